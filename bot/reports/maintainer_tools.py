"""The maintainers' side: their signing keys, vetting an entry, checking a registry.

How maintainers hold keys: each maintainer makes one key pair with
``python -m bot partner maintainer-keygen --id NAME`` on their own computer. The
private key file stays with them (an encrypted disk or a hardware-backed password
manager; never on the bot's server, never in git). Only the printed public entry goes
into the trust file, through a reviewed change. A lost or exposed key is removed from
the trust file; every entry it vetted then stops receiving reports until another
maintainer vets it again.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import yaml
from nacl.signing import SigningKey
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError as RuamelYAMLError

from bot.reports.crypto import b64, unb64
from bot.reports.partners import check_registry
from bot.reports.vetting import TrustFileError, load_maintainers, vetting_block


class MaintainerToolError(ValueError):
    """What went wrong, in words a maintainer can act on."""


def new_maintainer_key(maintainer_id: str, out: Path) -> str:
    """Write a new private signing key to ``out`` (mode 0600, never overwritten) and
    return the public verify key (base64) for the trust file."""
    signing = SigningKey.generate()
    descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(f"# Vetting key of maintainer {maintainer_id}: keep it with you, never "
                     "on the server.\n"
                     f"maintainer: {maintainer_id}\nsigning_key: {b64(bytes(signing))}\n")
    return b64(bytes(signing.verify_key))


def read_maintainer_key(path: Path) -> tuple[str, bytes]:
    """(maintainer id, signing key) from a file written by :func:`new_maintainer_key`."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        maintainer, key = str(data["maintainer"]), unb64(str(data["signing_key"]))
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise MaintainerToolError(f"{path} is not a maintainer key file "
                                  "(make one with `partner maintainer-keygen`)") from exc
    if len(key) != 32:
        raise MaintainerToolError(f"{path} does not hold a 32-byte signing key")
    return maintainer, key


def vet(registry_path: Path, entry_id: str, key_file: Path, trust_path: Path,
        today: date) -> str:
    """Sign the entry ``entry_id`` in place, keeping the file's comments and layout.

    Refused when the maintainer is not in the trust file, or when the entry has any
    problem other than lacking a valid signature: nobody can vet an enforcement body
    or an http webhook. Returns the section the entry is in.
    """
    maintainer_id, signing_key = read_maintainer_key(key_file)
    try:
        maintainers = load_maintainers(trust_path)
    except TrustFileError as exc:
        raise MaintainerToolError(str(exc)) from exc
    trusted = maintainers.get(maintainer_id)
    if trusted is None or unb64(trusted.verify_key) != bytes(SigningKey(signing_key).verify_key):
        raise MaintainerToolError(f"{key_file} is not the key of a maintainer in {trust_path}")
    round_trip = YAML()
    round_trip.preserve_quotes = True  # type: ignore[assignment]  # ruamel 0.17 types it None
    round_trip.indent(mapping=2, sequence=4, offset=2)  # the layout of content/partners.yml
    try:
        document = round_trip.load(registry_path.read_text(encoding="utf-8"))
    except (OSError, RuamelYAMLError) as exc:
        raise MaintainerToolError(f"cannot read {registry_path}: {type(exc).__name__}") from exc
    for section in ("partners", "consulates"):
        for entry in (document or {}).get(section) or []:
            if isinstance(entry, dict) and entry.get("id") == entry_id:
                plain = {key: _plain(value) for key, value in entry.items()}
                entry["vetted"] = vetting_block(section, plain, maintainer_id, signing_key,
                                                today)
                break
        else:
            continue
        break
    else:
        raise MaintainerToolError(f"no entry with id {entry_id!r} in {registry_path}")
    temporary = registry_path.with_name(f"{registry_path.name}.vetting")
    with temporary.open("w", encoding="utf-8") as handle:
        round_trip.dump(document, handle)
    _registry, problems = check_registry(temporary, maintainers)
    mine = [problem for problem in problems if f"({entry_id})" in problem]
    if mine:
        temporary.unlink()
        raise MaintainerToolError("not vetted:\n" + "\n".join(mine))
    os.replace(temporary, registry_path)
    return section


def _plain(value: object) -> object:
    """ruamel's commented sequences and scalars as plain Python values."""
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    return str(value)
