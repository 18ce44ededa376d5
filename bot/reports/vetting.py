"""Vetting: a partner or consulate receives reports only if a maintainer signed it.

Maintainers are the few people who check, outside the bot, that an organisation is
what it says (an NGO that helps workers, the real consulate) and that its keys and
webhook are its own. Their Ed25519 verify keys are listed in a trust file kept apart
from the registry (``trust/maintainers.yml``, or ``BOT_TRUST_FILE``): caseworkers
edit ``content/partners.yml``, while the trust file changes only by maintainers'
review, and a deployment may keep it read-only, outside the content directory.

A maintainer vets an entry with ``python -m bot partner vet ID --key FILE``. The
signature covers every field that decides where reports go and who can read them
(:data:`SIGNED_FIELDS`), with the defaults filled in. Change any of them, the
webhook most of all, and the entry stops receiving reports until it is vetted again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from bot.reports.crypto import b64, unb64
from bot.settings import settings

SIGNED_FIELDS = ("id", "name", "kind", "nationality", "countries", "categories", "languages",
                 "priority", "public_key", "verify_key", "webhook_url")
_DEFAULTS: dict[str, Any] = {"nationality": None, "countries": ["*"], "categories": ["*"],
                             "languages": [], "priority": 0, "verify_key": ""}
_CONTEXT = b"migrant-bot partner vetting v1\n"


class TrustFileError(ValueError):
    """The trust file is missing a field or holds a key that is not one."""


@dataclass(frozen=True)
class Maintainer:
    id: str
    name: str
    verify_key: str  # base64 Ed25519


def trust_file() -> Path:
    """``BOT_TRUST_FILE``, or ``trust/maintainers.yml`` (read at each call)."""
    return settings().trust_file


def load_maintainers(path: Path) -> dict[str, Maintainer]:
    """The maintainers whose signatures count, by id. A missing file trusts nobody."""
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise TrustFileError(f"{path}: not valid YAML") from exc
    entries = data.get("maintainers") or [] if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise TrustFileError(f"{path}: 'maintainers' must be a list")
    maintainers: dict[str, Maintainer] = {}
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or not all(
                isinstance(entry.get(key), str) and entry[key] for key in
                ("id", "name", "verify_key")):
            raise TrustFileError(f"{path}: maintainer {number} needs id, name and verify_key")
        try:
            VerifyKey(unb64(entry["verify_key"]))
        except ValueError as exc:
            raise TrustFileError(f"{path}: maintainer {entry['id']}: verify_key is not a "
                                 "base64 Ed25519 key") from exc
        maintainers[entry["id"]] = Maintainer(entry["id"], entry["name"], entry["verify_key"])
    return maintainers


def signed_message(section: str, entry: dict[str, Any], vetted_on: str) -> bytes:
    """The bytes a maintainer signs: the section, the date and the signed fields."""
    fields = {key: entry.get(key, _DEFAULTS.get(key)) for key in SIGNED_FIELDS}
    for key in ("countries", "categories", "languages"):
        fields[key] = list(fields[key] or _DEFAULTS[key])
    if entry.get("delivery", "webhook") != "webhook":  # signed only when not the default,
        fields["delivery"] = entry["delivery"]  # so entries vetted before it still verify
    document = {"section": section, "vetted_on": vetted_on, "entry": fields}
    return _CONTEXT + json.dumps(document, sort_keys=True, ensure_ascii=False,
                                 separators=(",", ":")).encode("utf-8")


def vetting_block(section: str, entry: dict[str, Any], maintainer_id: str,
                  signing_key: bytes, vetted_on: date) -> dict[str, str]:
    """The ``vetted`` mapping to add to an entry: who, when, and the signature."""
    message = signed_message(section, entry, vetted_on.isoformat())
    signature = SigningKey(signing_key).sign(message).signature
    return {"by": maintainer_id, "date": vetted_on.isoformat(), "signature": b64(signature)}


def vetting_problem(section: str, entry: dict[str, Any],
                    maintainers: dict[str, Maintainer]) -> str | None:
    """Why an entry may not receive reports, or None when a trusted maintainer signed
    exactly what it says now."""
    vetted = entry.get("vetted")
    if not isinstance(vetted, dict):
        return "not vetted: a maintainer must sign it (`python -m bot partner vet ID --key FILE`)"
    maintainer = maintainers.get(str(vetted.get("by")))
    if maintainer is None:
        return f"vetted by {vetted.get('by')!r}, who is not in the trust file"
    when = vetted.get("date")
    when = when.isoformat() if isinstance(when, date) else str(when)
    try:
        VerifyKey(unb64(maintainer.verify_key)).verify(
            signed_message(section, entry, when), unb64(str(vetted.get("signature", ""))))
    except (BadSignatureError, ValueError):
        return (f"the vetting signature by {maintainer.id} does not match the entry: it was "
                "changed after vetting, so it must be vetted again")
    return None
