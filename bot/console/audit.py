"""The audit log: every view and change in the console, chained by SHA-256.

An entry says who (a user id and email), what (an action and the id it concerns, with
a short detail such as ``new->acknowledged``) and when, never report content. Its hash
covers those fields and the previous entry's hash, and ``prev_hash`` is unique, so an
entry cannot be changed, removed or inserted without :func:`verify` finding where.
What a chain cannot show by itself is entries cut off its end: compare the head hash
(shown to administrators) with one written down earlier.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.console.models import AuditEntry

GENESIS = "0" * 64
_LOCK = threading.Lock()


def entry_hash(prev_hash: str, at: int, actor: str, actor_email: str, action: str,
               target: str, detail: str) -> str:
    """SHA-256 of the previous hash and the entry's fields, as canonical JSON."""
    fields = json.dumps([prev_hash, at, actor, actor_email, action, target, detail],
                        ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(fields.encode("utf-8")).hexdigest()


def head(session: Session) -> str:
    """The latest entry's hash (``GENESIS`` for an empty log)."""
    latest = session.execute(select(AuditEntry.hash).order_by(
        AuditEntry.seq.desc()).limit(1)).scalar_one_or_none()
    return latest or GENESIS


def record(session: Session, action: str, actor: str = "", actor_email: str = "",
           target: str = "", detail: str = "", now: float | None = None) -> AuditEntry:
    """Append an entry and commit it (with whatever ``session`` had pending)."""
    at = int(time.time() if now is None else now)
    for _attempt in range(5):
        with _LOCK:
            prev = head(session)
            entry = AuditEntry(at=at, actor=actor, actor_email=actor_email, action=action,
                               target=target[:64], detail=detail[:200], prev_hash=prev,
                               hash=entry_hash(prev, at, actor, actor_email, action,
                                               target[:64], detail[:200]))
            session.add(entry)
            try:
                session.commit()
            except IntegrityError:  # another process appended to the same head
                session.rollback()
                continue
            return entry
    raise RuntimeError("the audit log is too busy to append to")


@dataclass(frozen=True)
class Verification:
    entries: int
    first_bad: int | None  # the seq of the first entry that does not match, if any

    @property
    def intact(self) -> bool:
        return self.first_bad is None


def verify(session: Session) -> Verification:
    """Walk the chain from the start: each entry must follow the one before it and hash
    to what it says."""
    prev = GENESIS
    count = 0
    for entry in session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars():
        count += 1
        expected = entry_hash(prev, entry.at, entry.actor, entry.actor_email, entry.action,
                              entry.target, entry.detail)
        if entry.prev_hash != prev or entry.hash != expected:
            return Verification(count, entry.seq)
        prev = entry.hash
    return Verification(count, None)


def entries(session: Session, limit: int | None = 200) -> list[AuditEntry]:
    """The latest entries, newest first (all of them with ``limit=None``)."""
    query = select(AuditEntry).order_by(AuditEntry.seq.desc())
    return list(session.execute(query if limit is None else query.limit(limit)).scalars())
