"""Cases as the console shows them: a partner's queue, a report opened with the
session's key, statuses, and a consulate's consented summaries.

Every query names the organisation: a report or summary of another one is not found,
exactly like one that does not exist.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, SealedBox
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.console.models import ConsoleCase, ConsoleNote, ConsoleUser
from bot.reports import crypto, service
from bot.reports.db import SUMMARY_DELIVERY, OutboxItem, Report
from bot.reports.partners import Partner

STATUSES = ("new", "acknowledged", "referred", "closed")
MAX_TEXT_CHARS = 2000  # a note or a reply
# The flags that put a report first: danger to the person before everything else.
DANGER_FLAGS = frozenset({"confinement", "violence", "sexual_abuse", "minor"})
_ID = re.compile(r"[0-9a-f]{32}")


def valid_id(text: str) -> bool:
    return bool(_ID.fullmatch(text))


def severity_rank(severity: list[str]) -> tuple[int, int]:
    """(danger flags, all flags): the larger comes first in the queue."""
    return (len(DANGER_FLAGS & set(severity)), len(severity))


def _flags(text: str) -> list[str]:
    return [flag for flag in text.split(",") if flag]


def _open(private_key: bytes, sealed: bytes) -> dict[str, Any] | None:
    try:
        return json.loads(SealedBox(PrivateKey(private_key)).decrypt(sealed))
    except (CryptoError, ValueError):
        return None


@dataclass(frozen=True)
class QueueRow:
    id: str
    created_on: date
    age_days: int
    destination: str
    categories: list[str]
    severity: list[str]
    status: str
    language: str


@dataclass(frozen=True)
class Filters:
    country: str = ""
    category: str = ""
    status: str = ""
    language: str = ""


def queue(session: Session, partner_id: str, private_key: bytes, today: date,
          filters: Filters = Filters()) -> list[QueueRow]:  # noqa: B008 - frozen, immutable
    """The partner's reports, most severe first, then oldest first."""
    rows = session.execute(
        select(Report, ConsoleCase.status).outerjoin(
            ConsoleCase, ConsoleCase.report_id == Report.id).where(
            Report.partner_id == partner_id)).all()
    result = []
    for report, status in rows:
        body = _open(private_key, report.sealed_body) or {}
        row = QueueRow(report.id, report.created_on, (today - report.created_on).days,
                       report.destination or "", _flags(report.categories),
                       _flags(report.severity), status or "new",
                       str(body.get("language", "")))
        if filters.country and row.destination != filters.country:
            continue
        if filters.category and filters.category not in row.categories:
            continue
        if filters.status and row.status != filters.status:
            continue
        if filters.language and row.language != filters.language:
            continue
        result.append(row)
    result.sort(key=lambda r: (tuple(-n for n in severity_rank(r.severity)), r.created_on,
                               r.id))
    return result


@dataclass(frozen=True)
class Note:
    kind: str  # "note" or "reply"
    author: str  # the author's email, or "" if their account is gone
    text: str
    created_on: date


@dataclass(frozen=True)
class OpenedReport:
    row: QueueRow
    body: dict[str, Any]
    notes: list[Note]


def open_report(session: Session, partner_id: str, report_id: str, private_key: bytes,
                today: date) -> OpenedReport | None:
    """The report decrypted with the session's key, or None if it is not this partner's."""
    if not valid_id(report_id):
        return None
    found = session.execute(
        select(Report, ConsoleCase.status).outerjoin(
            ConsoleCase, ConsoleCase.report_id == Report.id).where(
            Report.id == report_id, Report.partner_id == partner_id)).first()
    if found is None:
        return None
    report, status = found
    body = _open(private_key, report.sealed_body)
    if body is None:
        return None
    row = QueueRow(report.id, report.created_on, (today - report.created_on).days,
                   report.destination or "", _flags(report.categories),
                   _flags(report.severity), status or "new", str(body.get("language", "")))
    return OpenedReport(row, body, _notes(session, report.id, private_key))


def _notes(session: Session, report_id: str, private_key: bytes) -> list[Note]:
    rows = session.execute(
        select(ConsoleNote, ConsoleUser.email).outerjoin(
            ConsoleUser, ConsoleUser.id == ConsoleNote.author).where(
            ConsoleNote.report_id == report_id)).all()
    box = SealedBox(PrivateKey(private_key))
    notes = []
    for note, email in rows:
        try:
            text = box.decrypt(note.sealed_text).decode("utf-8")
        except (CryptoError, UnicodeDecodeError):
            continue  # sealed to a partner the report was referred away from
        notes.append(Note(note.kind, email or "", text, note.created_on))
    notes.sort(key=lambda n: n.created_on)
    return notes


def _own_report(session: Session, partner_id: str, report_id: str) -> Report | None:
    if not valid_id(report_id):
        return None
    return session.execute(select(Report).where(
        Report.id == report_id, Report.partner_id == partner_id)).scalar_one_or_none()


def _clean(text: str) -> str | None:
    text = text.strip()
    return text if 0 < len(text) <= MAX_TEXT_CHARS else None


def add_note(session: Session, partner_id: str, report_id: str, private_key: bytes,
             author: str, text: str, today: date, kind: str = "note") -> bool:
    """An internal note, sealed to the partner's own key. False if not this partner's
    report, or the text is empty or too long."""
    report, cleaned = _own_report(session, partner_id, report_id), _clean(text)
    if report is None or cleaned is None:
        return False
    public = crypto.b64(bytes(PrivateKey(private_key).public_key))
    session.add(ConsoleNote(report_id=report.id, kind=kind, author=author,
                            sealed_text=crypto.seal(public, cleaned.encode("utf-8")),
                            created_on=today))
    session.flush()
    return True


def reply(session: Session, partner_id: str, report_id: str, private_key: bytes,
          author: str, text: str, today: date) -> bool:
    """Answer the reporter: sealed to their key (they read it with their receipt code, as
    ``partner reply`` does it), and a copy sealed to the partner for its staff."""
    if _own_report(session, partner_id, report_id) is None or _clean(text) is None:
        return False
    if not service.add_reply(session, report_id, partner_id, text.strip(), today):
        return False
    return add_note(session, partner_id, report_id, private_key, author, text, today, "reply")


def refer(session: Session, partner_id: str, report_id: str, private_key: bytes,
          target: Partner, today: date) -> bool:
    """Hand a report to another vetted partner: the body is sealed again to its key and
    queued for it (a console partner finds it in its queue, a webhook partner gets it
    posted); this partner's notes on it are deleted, as nobody else could read them."""
    report = _own_report(session, partner_id, report_id)
    if report is None or target.id == partner_id:
        return False
    body = SealedBox(PrivateKey(private_key)).decrypt(report.sealed_body)
    report.sealed_body = crypto.seal(target.public_key, body)
    report.partner_id = target.id
    for note in session.execute(select(ConsoleNote).where(
            ConsoleNote.report_id == report.id)).scalars():
        session.delete(note)
    case = session.get(ConsoleCase, report.id)
    if case is not None:
        session.delete(case)
    session.add(OutboxItem(report_id=report.id, partner_id=target.id, attempts=0,
                           next_attempt_at=0))
    session.flush()
    return True


def set_status(session: Session, partner_id: str, report_id: str, status: str,
               today: date) -> str | None:
    """Change a report's status; the status before, or None if not this partner's."""
    report = _own_report(session, partner_id, report_id)
    if status not in STATUSES or report is None:
        return None
    case = session.get(ConsoleCase, report_id)
    before = case.status if case else "new"
    if case is None:
        session.add(ConsoleCase(report_id=report_id, status=status, changed_on=today))
    else:
        case.status, case.changed_on = status, today
    session.flush()
    return before


@dataclass(frozen=True)
class SummaryRow:
    id: str
    created_on: date
    summary: dict[str, Any]


def summaries(session: Session, consulate_id: str, private_key: bytes) -> list[SummaryRow]:
    """The summaries sealed to this consulate (only ever made with the reporter's
    consent), newest first."""
    rows = session.execute(
        select(OutboxItem, Report.created_on).join(Report).where(
            OutboxItem.kind == SUMMARY_DELIVERY, OutboxItem.partner_id == consulate_id,
            OutboxItem.sealed_payload.is_not(None))).all()
    opened = []
    for item, created_on in rows:
        summary = _open(private_key, item.sealed_payload)
        if summary is not None:
            opened.append(SummaryRow(item.id, created_on, summary))
    opened.sort(key=lambda s: (s.created_on, s.id), reverse=True)
    return opened


def open_summary(session: Session, consulate_id: str, summary_id: str,
                 private_key: bytes) -> SummaryRow | None:
    if not valid_id(summary_id):
        return None
    found = session.execute(
        select(OutboxItem, Report.created_on).join(Report).where(
            OutboxItem.id == summary_id, OutboxItem.kind == SUMMARY_DELIVERY,
            OutboxItem.partner_id == consulate_id,
            OutboxItem.sealed_payload.is_not(None))).first()
    if found is None:
        return None
    item, created_on = found
    summary = _open(private_key, item.sealed_payload)
    return SummaryRow(item.id, created_on, summary) if summary is not None else None
