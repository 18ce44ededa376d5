"""The report machinery as the running bot uses it: registry, database, signing key."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from bot.privacy import load_or_create_key, secrets_dir
from bot.reports.partners import Partner, PartnerRegistryError, Registry, load_registry
from bot.reports.vetting import TrustFileError, load_maintainers, trust_file
from bot.settings import settings

log = logging.getLogger(__name__)


def partners_file() -> Path:
    """``BOT_PARTNERS_FILE``, or ``content/partners.yml`` (read at each call)."""
    return settings().partners_file


def last_good_file() -> Path:
    return secrets_dir() / "partners.last-good.yml"


def registry() -> Registry:
    """The registry in force, read at each use so that vetted edits apply at once.

    A registry that fails the check (an unvetted entry, a typo, an enforcement body)
    is not used: the last one that passed stays in force, checked again against the
    trust file. With no such copy, :class:`PartnerRegistryError`: the caller holds the
    report and sends it nowhere.
    """
    try:
        maintainers = load_maintainers(trust_file())
    except TrustFileError as exc:
        log.error("trust file refused (%s): no partner can be used; run "
                  "`python -m bot partner check`", type(exc).__name__)
        raise PartnerRegistryError("the trust file is invalid") from None
    path = partners_file()
    try:
        current = load_registry(path, maintainers)
    except PartnerRegistryError:
        log.error("partner registry refused, the last good one stays in force; run "
                  "`python -m bot partner check` for the reasons")
        return _last_good(maintainers)
    _remember(path)
    return current


def _remember(path: Path) -> None:
    """Keep a copy of a registry that passed, replacing the previous one atomically."""
    if not path.exists():
        return
    text = path.read_bytes()
    copy = last_good_file()
    if copy.exists() and copy.read_bytes() == text:
        return
    copy.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = copy.with_name(f"{copy.name}.{os.getpid()}.tmp")
    temporary.write_bytes(text)
    os.replace(temporary, copy)


def _last_good(maintainers: dict) -> Registry:
    copy = last_good_file()
    if not copy.exists():
        raise PartnerRegistryError("no registry has passed the check yet")
    return load_registry(copy, maintainers)


def partners() -> list[Partner]:
    return registry().partners


def retention_days() -> int:
    """How long reports and replies are kept (``BOT_REPORT_RETENTION_DAYS``, default 180)."""
    return settings().report_retention_days


def signing_key() -> bytes:
    """Our Ed25519 seed for signing webhooks (created on first run, kept in secrets/).
    Read at each use (an outbox run), so it follows ``BOT_SECRETS_DIR``."""
    return load_or_create_key(secrets_dir() / "webhook-signing.key")
