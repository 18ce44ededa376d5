"""The report machinery as the running bot uses it: registry, database, signing key."""

from __future__ import annotations

import logging
import os
from functools import cache
from pathlib import Path

from bot.privacy import load_or_create_key, secrets_dir
from bot.reports.partners import Partner, load_registry
from bot.reports.service import RETENTION_DAYS

log = logging.getLogger(__name__)
DEFAULT_PARTNERS_FILE = Path(__file__).resolve().parent.parent.parent / "content" / "partners.yml"


def partners_file() -> Path:
    return Path(os.environ.get("BOT_PARTNERS_FILE") or DEFAULT_PARTNERS_FILE)


def registry() -> tuple[list[Partner], list[Partner]]:
    """(partners, consulates), read at each use so that edits apply at once; refused
    if invalid."""
    return load_registry(partners_file())


def partners() -> list[Partner]:
    return registry()[0]


def retention_days() -> int:
    """How long reports and replies are kept (``BOT_REPORT_RETENTION_DAYS``, default 180)."""
    raw = os.environ.get("BOT_REPORT_RETENTION_DAYS", "")
    if raw.strip().isdigit() and int(raw) > 0:
        return int(raw)
    if raw:
        log.warning("BOT_REPORT_RETENTION_DAYS must be a positive number of days; using %d",
                    RETENTION_DAYS)
    return RETENTION_DAYS


@cache
def signing_key() -> bytes:
    """Our Ed25519 seed for signing webhooks (created on first run, kept in secrets/)."""
    return load_or_create_key(secrets_dir() / "webhook-signing.key")
