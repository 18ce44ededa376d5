"""Delivering reports to partners, and consented summaries to consulates: signed
webhooks, retried until they arrive."""

from __future__ import annotations

import http.client
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import date
from typing import IO

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.reports import crypto
from bot.reports.db import SUMMARY_DELIVERY, OutboxItem, Report
from bot.reports.partners import Partner

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Report-Signature"
MAX_BACKOFF_SECONDS = 3600

Post = Callable[[str, bytes, dict[str, str]], int]


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """A 3xx is the partner's answer, not an instruction: following it would send a
    report to an address nobody registered, or vetted against enforcement bodies."""

    def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int,
                         msg: str, headers: http.client.HTTPMessage, newurl: str) -> None:
        return None  # urllib then raises the 3xx as an HTTPError


_OPENER = urllib.request.build_opener(_RefuseRedirects)


def http_post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST ``body`` to ``url`` and return the HTTP status; redirects are not followed."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with _OPENER.open(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        error.close()
        return error.code


def payload(report: Report) -> bytes:
    """What a partner receives: the sealed body, and what routing needs in clear."""
    return json.dumps({
        "kind": "report", "report_id": report.id, "destination": report.destination,
        "categories": report.categories.split(","),
        "severity": [flag for flag in report.severity.split(",") if flag],
        "created_on": report.created_on.isoformat(),
        "sealed_body": crypto.b64(report.sealed_body),
    }).encode("utf-8")


def summary_payload(item: OutboxItem, report: Report) -> bytes:
    """What a consulate receives: the sealed summary; no way to answer or trace it."""
    return json.dumps({
        "kind": SUMMARY_DELIVERY, "summary_id": item.id,
        "created_on": report.created_on.isoformat(),
        "sealed_body": crypto.b64(item.sealed_payload),
    }).encode("utf-8")


def deliver_due(session: Session, partners: list[Partner], signing_key: bytes,
                today: date, now: float | None = None, post: Post = http_post) -> int:
    """Try every delivery that is due; return how many arrived.

    ``partners`` are all registered recipients, partners and consulates alike; an item
    for an unregistered one waits, it is never sent elsewhere.

    Each item is its own transaction, committed on ``session`` as soon as it is tried
    (so whatever the caller had pending is committed too). While it is posted, only
    that item is locked (``FOR UPDATE SKIP LOCKED`` on PostgreSQL): another server
    running at the same time skips it instead of sending it a second time, and a slow
    partner holds one row, not the whole outbox. (SQLite has no row locks: run one
    server there.) Whatever goes wrong while posting one item is that item's failed
    attempt, retried after a backoff; the run goes on with the next.
    """
    now = now or time.time()
    by_id = {partner.id: partner for partner in partners}
    due = (OutboxItem.delivered_on.is_(None), OutboxItem.next_attempt_at <= now)
    candidates = session.execute(select(OutboxItem.id).where(
        *due, OutboxItem.partner_id.in_(list(by_id))).order_by(OutboxItem.id)).scalars().all()
    delivered = 0
    for item_id in candidates:
        row = session.execute(
            select(OutboxItem, Report).join(Report).where(OutboxItem.id == item_id, *due)
            .with_for_update(skip_locked=True, of=OutboxItem)
            .execution_options(populate_existing=True)).first()
        if row is None:
            continue  # another server is sending it, has sent it, or it expired
        item, report = row
        partner = by_id[item.partner_id]
        on_console = partner.delivery == "console"  # it waits here, sealed, for its staff
        error = None if on_console else _post_item(item, report, partner, signing_key, post)
        item.attempts += 1
        if error is None:
            item.delivered_on = today
            item.last_error = None
            if item.kind == SUMMARY_DELIVERY:
                if not on_console:
                    item.sealed_payload = None  # the consulate has it; we keep no copy
            else:  # in the database, so that a reply stored meanwhile stays "answered"
                session.execute(update(Report).where(
                    Report.id == report.id, Report.status == "received").values(
                    status="delivered").execution_options(synchronize_session="fetch"))
            delivered += 1
        else:
            item.last_error = error
            item.next_attempt_at = int(now + min(30 * 2 ** item.attempts, MAX_BACKOFF_SECONDS))
            log.warning("report delivery to %s failed (%s), attempt %d", partner.id, error,
                        item.attempts)
        session.commit()
    return delivered


def _post_item(item: OutboxItem, report: Report, partner: Partner, signing_key: bytes,
               post: Post) -> str | None:
    """Send one item: None if it arrived, else why not, as no more than an error class
    or an HTTP status (exception messages may hold the URL and its query string)."""
    body = summary_payload(item, report) if item.kind == SUMMARY_DELIVERY else payload(report)
    headers = {"Content-Type": "application/json",
               SIGNATURE_HEADER: crypto.sign(signing_key, body)}
    try:
        status = post(partner.webhook_url, body, headers)
    except Exception as exc:  # a partner answering garbage can raise anything from http.client
        return type(exc).__name__
    return None if 200 <= status < 300 else f"HTTP {status}"
