"""The REST channel: ``POST /webhooks/rest/webhook`` with ``{"sender", "message"}``.

The sender is replaced by its keyed pseudonym at once (see :mod:`bot.channels.base`).

It replaces Rasa's built-in one, which answers 500 to malformed bodies and logs
the message text when anything fails. Here a malformed body gets a 400 with a
reason (so does a body over 64 KiB, unparsed), a failure gets a 503 the client may
retry, and logs carry no content.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rasa.core.channels.channel import InputChannel
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.base import (
    LANGUAGE_HINT,
    MAX_BODY_BYTES,
    InvalidMessage,
    OnNewMessage,
    guarded_blueprint,
    json_object,
    message_text,
    refuse,
    run_turn,
    unavailable,
)
from bot.render import PLAIN_TEXT, Capabilities

MAX_SENDER_CHARS = 128


def parse_body(raw: bytes) -> tuple[str, str, dict[str, Any]]:
    """(sender, text, metadata) from a request body, or :class:`InvalidMessage`; a body
    over :data:`~bot.channels.base.MAX_BODY_BYTES` is refused before it is parsed."""
    body = json_object(raw, MAX_BODY_BYTES)
    sender = body.get("sender")
    if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_CHARS:
        raise InvalidMessage(f"'sender' must be a non-empty string of at most "
                             f"{MAX_SENDER_CHARS} characters")
    text = message_text(body.get("message"), "'message'")
    metadata = body.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise InvalidMessage("'metadata' must be a JSON object")
    hint = metadata.get("language")
    clean_metadata = {LANGUAGE_HINT: hint} if isinstance(hint, str) else {}
    return sender, text, clean_metadata


class RestChannel(InputChannel):
    """Synchronous HTTP channel: the reply messages come back in the response."""

    capabilities: ClassVar[Capabilities] = PLAIN_TEXT

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        webhook = guarded_blueprint("rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                sender, text, metadata = parse_body(request.body or b"")
            except InvalidMessage as exc:
                return refuse(self.name(), 400, str(exc))
            replies = await run_turn(self.name(), sender, text, metadata, on_new_message,
                                     self.capabilities)
            return unavailable() if replies is None else response.json(replies)

        return webhook
