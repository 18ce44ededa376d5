"""Making, following up, answering and expiring reports."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot import indicators
from bot.privacy import receipt_lookup_key
from bot.reports import crypto
from bot.reports.db import SUMMARY_DELIVERY, CodeAttempt, OutboxItem, Reply, ReplyNonce, Report
from bot.reports.partners import Partner, route, route_consulate
from bot.settings import DEFAULT_RETENTION_DAYS

RETENTION_DAYS = DEFAULT_RETENTION_DAYS
# Wrong receipt codes: at most this many per conversation an hour; a report whose code's
# first group was given this many times with a wrong rest is locked for a quarter of an
# hour, whoever sends (so a guesser changing numbers gains nothing, and since the group
# is part of the secret, nobody can lock out a report they do not know); and above the
# global number everyone waits, so that guessing at scale stays hopeless.
MAX_FAILED_ATTEMPTS = 5
ATTEMPT_WINDOW_SECONDS = 3600
REPORT_LOCK_FAILURES = 5
REPORT_LOCK_SECONDS = 900
GLOBAL_MAX_FAILURES = 200
GLOBAL_WINDOW_SECONDS = 600
# A partner's signed reply is accepted once, within ten minutes of when it was signed.
REPLY_MAX_AGE_SECONDS = 600
# Answers that make a report urgent for the partner (ILO forced-labour indicators).
SEVERE_CATEGORIES = {"passport_kept": "document_retention", "confinement": "confinement",
                     "violence_or_threats": "violence", "sexual_abuse": "sexual_abuse"}
DANGER_CATEGORIES = frozenset({"confinement", "violence_or_threats", "sexual_abuse"})


@dataclass
class ReportDraft:
    """What the reporter answered. Free text stays in memory until sealed."""

    categories: list[str]
    destination: str | None
    account: str
    city: str | None = None
    employer: str | None = None
    when: str | None = None
    contact: str | None = None
    consent_consulate: bool = False
    nationality: str | None = None  # only asked for, and used, to find the consulate
    minor: bool = False
    language: str = "en"

    def severity(self) -> list[str]:
        flags = [SEVERE_CATEGORIES[c] for c in self.categories if c in SEVERE_CATEGORIES]
        if self.minor:
            flags.append("minor")
        return sorted(set(flags))

    def in_danger(self) -> bool:
        return bool(DANGER_CATEGORIES & set(self.categories))

    def summary(self) -> dict[str, object]:
        """What a consulate may see: the facts of the case, not the account or a contact."""
        return {"categories": self.categories, "destination": self.destination,
                "city": self.city, "employer": self.employer, "when": self.when,
                "nationality": self.nationality, "minor": self.minor,
                "severity": self.severity()}


@dataclass(frozen=True)
class Submission:
    code: str
    report_id: str
    partner: Partner
    consulate: Partner | None = None  # set when a summary was queued for it


def submit(session: Session, draft: ReportDraft, partners: list[Partner],
           today: date, retention_days: int = RETENTION_DAYS,
           consulates: list[Partner] | None = None,
           origin: str | None = None) -> Submission | None:
    """Store the report sealed to the partner that covers it, and queue its delivery;
    with the reporter's consent, queue a summary sealed to their consulate too.

    ``origin``, the worker's country if the conversation knows it, only adds to the
    corridor's count (:mod:`bot.indicators`); the report row never holds it.

    Returns None when no registered partner covers it: then nothing is stored.
    """
    partner = route(partners, draft.destination, draft.categories, draft.language)
    if partner is None:
        return None
    secret = receipt_lookup_key()
    code = _unused_code(session, secret)
    keys = crypto.new_reporter_keys(code)
    body = json.dumps(asdict(draft), ensure_ascii=False).encode("utf-8")
    report = Report(
        id=secrets.token_hex(16), lookup=crypto.lookup_key(code, secret),
        code_hash=crypto.hash_code(code), partner_id=partner.id,
        destination=draft.destination, categories=",".join(sorted(draft.categories)),
        severity=",".join(draft.severity()), status="received",
        sealed_body=crypto.seal(partner.public_key, body),
        reporter_public_key=keys.public_key, reporter_locked_key=keys.locked_private_key,
        reporter_salt=keys.salt, created_on=today,
        expires_on=today + timedelta(days=retention_days))
    session.add(report)
    session.add(OutboxItem(report_id=report.id, partner_id=partner.id, attempts=0,
                           next_attempt_at=0))
    consulate = None
    if draft.consent_consulate:
        consulate = route_consulate(consulates or [], draft.nationality, draft.destination)
    if consulate is not None:
        summary = json.dumps(draft.summary(), ensure_ascii=False).encode("utf-8")
        session.add(OutboxItem(report_id=report.id, partner_id=consulate.id, attempts=0,
                               next_attempt_at=0, kind=SUMMARY_DELIVERY,
                               sealed_payload=crypto.seal(consulate.public_key, summary)))
    indicators.count_report(session, draft.categories, origin, draft.destination, today)
    session.flush()
    return Submission(code, report.id, partner, consulate)


def _unused_code(session: Session, secret: bytes) -> str:
    while True:
        code = crypto.new_receipt_code()
        taken = session.execute(select(Report.id).where(
            Report.lookup == crypto.lookup_key(code, secret))).first()
        if not taken:
            return code


@dataclass
class StatusResult:
    found: bool
    rate_limited: bool = False
    status: str | None = None
    replies: list[str] = field(default_factory=list)


def check_status(session: Session, typed_code: str, conversation: str,
                 now: float | None = None) -> StatusResult:
    """The status and replies of the report with this code.

    A wrong code reveals nothing, and costs the same Argon2 work whether or not a
    report has its first group. Too many wrong codes make the conversation, the
    report, or everyone wait (see :data:`MAX_FAILED_ATTEMPTS`).
    """
    now = now or time.time()
    secret = receipt_lookup_key()
    _forget_old_attempts(session, now)
    code = crypto.normalise_code(typed_code) or ""
    lookup = crypto.lookup_key(code, secret) if code else ""
    limits = [_attempts(session, secret, f"conversation:{conversation}", now,
                        ATTEMPT_WINDOW_SECONDS, MAX_FAILED_ATTEMPTS),
              _attempts(session, secret, "everyone", now, GLOBAL_WINDOW_SECONDS,
                        GLOBAL_MAX_FAILURES)]
    if lookup:
        limits.append(_attempts(session, secret, f"report:{lookup}", now,
                                REPORT_LOCK_SECONDS, REPORT_LOCK_FAILURES))
    report = None
    if lookup:
        report = session.execute(select(Report).where(
            Report.lookup == lookup)).scalar_one_or_none()
    matched = crypto.verify_code(report.code_hash if report else None, code)
    if any(attempt.failures >= limit for attempt, limit in limits):
        return StatusResult(found=False, rate_limited=True)
    if report is None or not matched:
        for attempt, _limit in limits:
            attempt.failures += 1
        return StatusResult(found=False)
    replies = crypto.open_replies(code, report.reporter_locked_key, report.reporter_salt,
                                  [reply.sealed_text for reply in report.replies])
    return StatusResult(found=True, status=report.status, replies=replies)


def _attempts(session: Session, secret: bytes, scope: str, now: float, window: int,
              limit: int) -> tuple[CodeAttempt, int]:
    """The failure count of ``scope`` in its current window, keyed with the deployment's
    secret so that a row names no conversation and no report."""
    key = hmac.new(secret, f"attempts:{scope}".encode(), hashlib.sha256).hexdigest()
    attempt = session.get(CodeAttempt, key)
    if attempt is None:
        attempt = CodeAttempt(key=key, window_start=int(now), failures=0)
        session.add(attempt)
    elif now - attempt.window_start > window:
        attempt.window_start, attempt.failures = int(now), 0
    return attempt, limit


def _forget_old_attempts(session: Session, now: float) -> None:
    """Delete every count whose longest window has ended: nothing is kept longer."""
    longest = max(ATTEMPT_WINDOW_SECONDS, REPORT_LOCK_SECONDS, GLOBAL_WINDOW_SECONDS)
    session.execute(delete(CodeAttempt).where(CodeAttempt.window_start < int(now) - longest))


def fresh_reply(session: Session, partner_id: str, nonce: str, sent_at: int,
                now: float | None = None) -> bool:
    """Whether a signed reply is new: signed less than ten minutes ago (or ahead by
    as much, for clocks that differ), with a nonce not seen since. Records the nonce."""
    now = time.time() if now is None else now
    if abs(now - sent_at) > REPLY_MAX_AGE_SECONDS:
        return False
    session.execute(delete(ReplyNonce).where(
        ReplyNonce.seen_at < int(now) - 2 * REPLY_MAX_AGE_SECONDS))
    key = hashlib.sha256(f"{partner_id}\x00{nonce}".encode()).hexdigest()
    if session.get(ReplyNonce, key) is not None:
        return False
    session.add(ReplyNonce(key=key, seen_at=int(now)))
    session.flush()
    return True


def add_reply(session: Session, report_id: str, partner_id: str, text: str,
              today: date) -> bool:
    """A partner's answer, sealed at once to the reporter's key. False if not theirs."""
    report = session.get(Report, report_id)
    if report is None or report.partner_id != partner_id:
        return False
    sealed = crypto.seal(report.reporter_public_key, text.encode("utf-8"))
    session.add(Reply(report_id=report.id, sealed_text=sealed, created_on=today))
    report.status = "answered"
    return True


def expire(session: Session, today: date) -> int:
    """Delete every report past its expiry, with its replies and queued deliveries."""
    expired = session.execute(select(Report).where(Report.expires_on <= today)).scalars().all()
    for report in expired:
        session.delete(report)
    return len(expired)
