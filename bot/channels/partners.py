"""The partner side of reports, served by the Rasa server next to the user channels.

- ``POST /webhooks/partners/reply``: a partner answers a report. The body is
  ``{"partner_id", "report_id", "text", "sent_at", "nonce"}``, signed with the
  partner's Ed25519 key in the ``X-Partner-Signature`` header; the text is sealed to
  the reporter at once. A reply signed more than ten minutes ago, or whose nonce was
  seen, is refused (409): a copy cannot be replayed.
- In the background, the outbox delivers due reports to partners' webhooks and
  expired reports are deleted.

It takes no user messages: it is an "input channel" only to share the server.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.exc import SQLAlchemyError

from bot.channels.base import (
    MAX_BODY_BYTES,
    InvalidMessage,
    guarded_blueprint,
    json_object,
    refuse,
    unavailable,
)
from bot.reports import crypto
from bot.reports.db import session_scope, today
from bot.reports.outbox import deliver_due
from bot.reports.partners import PartnerRegistryError
from bot.reports.runtime import partners, registry, signing_key
from bot.reports.service import add_reply, expire, fresh_reply
from bot.settings import settings

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


def _reply_fields(body: bytes) -> dict[str, Any]:
    """The fields of a reply body, type-checked, or :class:`InvalidMessage`."""
    data = json_object(body, MAX_BODY_BYTES)
    text_fields = ("partner_id", "report_id", "text", "nonce")
    if not all(isinstance(data.get(key), str) and data[key] for key in text_fields) \
            or not isinstance(data.get("sent_at"), int) or isinstance(data["sent_at"], bool):
        raise InvalidMessage("expected JSON with partner_id, report_id, text, sent_at (unix "
                             "seconds) and nonce, as `python -m bot partner reply` makes it")
    return data


def _store_reply(reply: dict[str, Any]) -> str:
    """"stored", "replayed" (too old, or its nonce seen) or "unknown" (not this partner's
    report): in one transaction, so a refused reply leaves no nonce behind."""
    with session_scope() as session:
        if not fresh_reply(session, reply["partner_id"], reply["nonce"], reply["sent_at"]):
            return "replayed"
        if not add_reply(session, reply["report_id"], reply["partner_id"], reply["text"],
                         today()):
            session.rollback()
            return "unknown"
    return "stored"


class PartnerApi(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "partners"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        api = guarded_blueprint("partners_api", __name__)
        interval = settings().outbox_interval

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
                reply = _reply_fields(body)
            except InvalidMessage as exc:
                return refuse("partners", 400, str(exc))
            try:
                partner = next((p for p in partners() if p.id == reply["partner_id"]), None)
            except PartnerRegistryError:
                return unavailable()
            signature = request.headers.get(SIGNATURE_HEADER, "")
            if partner is None or not crypto.verify_signature(partner.verify_key, body,
                                                              signature):
                return refuse("partners", 401, "unknown partner or bad signature")
            try:
                outcome = await asyncio.to_thread(_store_reply, reply)
            except SQLAlchemyError as exc:
                log.error("partner reply not stored: %s", type(exc).__name__)
                return unavailable()
            if outcome == "replayed":
                return refuse("partners", 409, "this reply was signed more than ten minutes "
                                               "ago, or was already received: sign a new one")
            if outcome == "unknown":
                return refuse("partners", 404, "no such report for this partner")
            return response.json({"status": "stored"})

        return api
