"""Keyed pseudonyms for channel identifiers (phone numbers, Telegram ids, REST senders).

A channel replaces the id it receives with ``pseudonym(channel, id)`` before the
message goes any further, so that no store, log or action ever sees the real id.
The key is random, created on first run, kept outside git (``secrets/``, or the
directory named by ``BOT_SECRETS_DIR``), and never leaves the machine: without it
a pseudonym cannot be linked back to a phone number, even by trying every number.
"""

from __future__ import annotations

import os
import tempfile
from functools import cache
from pathlib import Path

from nacl.encoding import HexEncoder
from nacl.hash import blake2b
from nacl.utils import random as random_bytes

from bot.settings import settings

KEY_BYTES = 32
# Every key of a deployment, all in secrets_dir(): `python -m bot keys init` makes them.
DEPLOYMENT_KEYS = ("pseudonym.key", "slots.key", "webhook-signing.key", "receipt-lookup.key")


class KeyFileError(ValueError):
    """A key file that must not be used as it is. The message names the file and the
    fix, never the key."""


def secrets_dir() -> Path:
    """``BOT_SECRETS_DIR``, or ``secrets/`` (read at each call)."""
    return settings().secrets_dir


def in_production() -> bool:
    """``BOT_ENV=production``."""
    return settings().in_production


def load_or_create_key(path: Path) -> bytes:
    """The key in ``path``; a new random one, readable only by its owner, on first run.

    In production (``BOT_ENV=production``) a missing key is an error rather than a new
    key: a key made by accident would split every conversation in two.
    """
    if path.exists() or in_production():
        return read_key(path)
    return create_key(path)


def read_key(path: Path) -> bytes:
    """The key in ``path``, if only its owner can read or change it."""
    _check_directory(path.parent)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise KeyFileError(
            f"{path} is missing. Create the keys of a new deployment once with "
            f"`BOT_SECRETS_DIR={path.parent} python -m bot keys init`; restore a lost one "
            "from backup (a new key would split every conversation in two)") from None
    if mode & 0o077:
        raise KeyFileError(f"{path} can be read or changed by other users (mode "
                           f"{mode & 0o777:o}); run `chmod 600 {path}`")
    key = path.read_bytes()
    if len(key) != KEY_BYTES:
        raise KeyFileError(f"{path} is not a {KEY_BYTES}-byte key; restore it from backup "
                           "(a new key would split every conversation in two)")
    return key


def create_key(path: Path) -> bytes:
    """A new random key in ``path``, or the one already there.

    The key is written whole to a temporary file beside ``path`` and then linked to
    its name, which fails if the name exists: of two processes starting at once,
    one creates the key and the other reads it, and neither sees half a key.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    _check_directory(path.parent)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        key = random_bytes(KEY_BYTES)
        with os.fdopen(descriptor, "wb") as handle:  # mkstemp: mode 0600
            handle.write(key)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return read_key(path)
    finally:
        os.unlink(temporary)
    _fsync_directory(path.parent)
    return key


def _check_directory(directory: Path) -> None:
    try:
        mode = directory.stat().st_mode
    except FileNotFoundError:
        return  # read_key says which key is missing
    if mode & 0o022:
        raise KeyFileError(f"{directory} can be written by other users, who could replace "
                           f"the keys in it (mode {mode & 0o777:o}); run `chmod 700 {directory}`")


def _fsync_directory(directory: Path) -> None:
    """Make the new key's name durable: a key lost in a crash splits conversations."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class Pseudonymiser:
    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"the key must be {KEY_BYTES} bytes")
        self._key = key

    def pseudonym(self, channel: str, identifier: str) -> str:
        """A stable 32-hex-digit pseudonym of ``identifier`` on ``channel``."""
        message = f"{channel}\x00{identifier}".encode()
        return blake2b(message, digest_size=16, key=self._key, encoder=HexEncoder).decode()


@cache
def default_pseudonymiser() -> Pseudonymiser:
    return Pseudonymiser(load_or_create_key(secrets_dir() / "pseudonym.key"))


def receipt_lookup_key() -> bytes:
    """The key of the receipt-code lookups in the reports database. Read at each use (a
    report or a status check, not every message), so it follows ``BOT_SECRETS_DIR``."""
    return load_or_create_key(secrets_dir() / "receipt-lookup.key")
