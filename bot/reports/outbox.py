"""Delivering reports to partners, and consented summaries to consulates: signed
webhooks, retried until they arrive."""

from __future__ import annotations

import json
import logging
import time
import urllib.request
from collections.abc import Callable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.reports import crypto
from bot.reports.db import SUMMARY_DELIVERY, OutboxItem, Report
from bot.reports.partners import Partner

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Report-Signature"
MAX_BACKOFF_SECONDS = 3600

Post = Callable[[str, bytes, dict[str, str]], int]


def http_post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
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

    ``partners`` are all registered recipients, partners and consulates alike.
    """
    now = now or time.time()
    by_id = {partner.id: partner for partner in partners}
    due = session.execute(select(OutboxItem).where(
        OutboxItem.delivered_on.is_(None), OutboxItem.next_attempt_at <= now)).scalars().all()
    delivered = 0
    for item in due:
        partner = by_id.get(item.partner_id)
        report = session.get(Report, item.report_id)
        if partner is None or report is None:
            continue  # partner unregistered: the item waits, it is never sent elsewhere
        summary = item.kind == SUMMARY_DELIVERY
        body = summary_payload(item, report) if summary else payload(report)
        headers = {"Content-Type": "application/json",
                   SIGNATURE_HEADER: crypto.sign(signing_key, body)}
        try:
            status = post(partner.webhook_url, body, headers)
            error = None if 200 <= status < 300 else f"HTTP {status}"
        except OSError as exc:
            error = type(exc).__name__
        item.attempts += 1
        if error is None:
            item.delivered_on = today
            item.last_error = None
            if summary:
                item.sealed_payload = None  # the consulate has it; we keep no copy
            elif report.status == "received":
                report.status = "delivered"
            delivered += 1
        else:
            item.last_error = error
            item.next_attempt_at = int(now + min(30 * 2 ** item.attempts, MAX_BACKOFF_SECONDS))
            log.warning("report delivery to %s failed (%s), attempt %d", partner.id, error,
                        item.attempts)
    return delivered
