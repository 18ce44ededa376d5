"""The partner side of reports, served by the Rasa server next to the user channels.

- ``POST /webhooks/partners/reply``: a partner answers a report. The body is
  ``{"partner_id", "report_id", "text"}``, signed with the partner's Ed25519 key in
  the ``X-Partner-Signature`` header; the text is sealed to the reporter at once.
- In the background, the outbox delivers due reports to partners' webhooks and
  expired reports are deleted.

It takes no user messages: it is an "input channel" only to share the server.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.reports import crypto
from bot.reports.db import session_scope, today
from bot.reports.outbox import deliver_due
from bot.reports.partners import PartnerRegistryError
from bot.reports.runtime import partners, registry, signing_key
from bot.reports.service import add_reply, expire

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Partner-Signature"


def run_outbox_once() -> int:
    """Delete what has expired, then deliver what is due; returns deliveries made.

    Expiry is committed first, on its own, so that nothing going wrong with delivery
    (a partner, the registry, the signing key) keeps a report past its retention.
    """
    day = today()
    with session_scope() as session:
        expired = expire(session, day)
    if expired:
        log.info("outbox: %d expired", expired)
    try:
        registered = registry()
    except PartnerRegistryError as exc:
        log.error("partner registry refused, nothing delivered (%s)", type(exc).__name__)
        return 0
    with session_scope() as session:
        delivered = deliver_due(session, registered.partners + registered.consulates,
                                signing_key(), day)
    if delivered:
        log.info("outbox: %d delivered", delivered)
    return delivered


class PartnerApi(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "partners"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        api = Blueprint("partners_api", __name__)
        interval = float(os.environ.get("BOT_OUTBOX_INTERVAL", "30"))

        @api.listener("after_server_start")
        async def start_outbox(app: Any, loop: asyncio.AbstractEventLoop) -> None:
            async def run_forever() -> None:
                while True:
                    try:
                        await loop.run_in_executor(None, run_outbox_once)
                    except Exception as exc:  # noqa: BLE001 - retried at the next tick
                        log.error("outbox run failed: %s", type(exc).__name__)
                    await asyncio.sleep(interval)
            app.add_task(run_forever())

        @api.route("/reply", methods=["POST"])
        async def reply(request: Request) -> HTTPResponse:
            body = request.body or b""
            try:
                data = json.loads(body)
                partner_id, report_id, text = data["partner_id"], data["report_id"], data["text"]
                if not all(isinstance(v, str) and v for v in (partner_id, report_id, text)):
                    raise ValueError
            except (ValueError, KeyError, TypeError):
                return response.json({"error": "expected JSON with partner_id, report_id and "
                                               "text"}, status=400)
            partner = next((p for p in partners() if p.id == partner_id), None)
            signature = request.headers.get(SIGNATURE_HEADER, "")
            if partner is None or not crypto.verify_signature(partner.verify_key, body,
                                                              signature):
                return response.json({"error": "unknown partner or bad signature"},
                                     status=401)
            with session_scope() as session:
                stored = add_reply(session, report_id, partner_id, text, today())
            if not stored:
                return response.json({"error": "no such report for this partner"}, status=404)
            return response.json({"status": "stored"})

        return api
