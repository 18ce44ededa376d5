"""Keyed pseudonyms for channel identifiers (phone numbers, Telegram ids, REST senders).

A channel replaces the id it receives with ``pseudonym(channel, id)`` before the
message goes any further, so that no store, log or action ever sees the real id.
The key is random, created on first run, kept outside git (``secrets/``, or the
directory named by ``BOT_SECRETS_DIR``), and never leaves the machine: without it
a pseudonym cannot be linked back to a phone number, even by trying every number.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from nacl.encoding import HexEncoder
from nacl.hash import blake2b
from nacl.utils import random as random_bytes

KEY_BYTES = 32
DEFAULT_SECRETS_DIR = Path(__file__).resolve().parent.parent / "secrets"


def secrets_dir() -> Path:
    return Path(os.environ.get("BOT_SECRETS_DIR") or DEFAULT_SECRETS_DIR)


def load_or_create_key(path: Path) -> bytes:
    """The key in ``path``; a new random one, readable only by its owner, on first run."""
    if path.exists():
        key = path.read_bytes()
        if len(key) != KEY_BYTES:
            raise ValueError(f"{path} is not a {KEY_BYTES}-byte key; restore it from backup "
                             "(a new key would split every conversation in two)")
        return key
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = random_bytes(KEY_BYTES)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key)
    return key


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
