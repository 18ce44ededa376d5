"""The REST channel: ``POST /webhooks/rest/webhook`` with ``{"sender", "message"}``.

The sender is replaced by its keyed pseudonym at once (see :mod:`bot.privacy`).

It replaces Rasa's built-in one, which answers 500 to malformed bodies and logs
the message text when anything fails. Here a malformed body gets a 400 with a
reason, a failure gets a 503 the client may retry, and logs carry no content.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.privacy import default_pseudonymiser

log = logging.getLogger(__name__)

MAX_TEXT_CHARS = 5000  # longer messages are cut: nobody types more on a phone
MAX_SENDER_CHARS = 128


class InvalidMessage(ValueError):
    """The request cannot be a message; the text says why (and holds no content)."""


def json_object(raw: bytes) -> dict[str, Any]:
    """A request body as a JSON object, or :class:`InvalidMessage`."""
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidMessage("the body must be a JSON object in UTF-8") from exc
    if not isinstance(body, dict):
        raise InvalidMessage("the body must be a JSON object")
    return body


async def run_turn(channel: str, raw_id: str, text: str, metadata: dict[str, Any],
                   on_new_message: Callable[[UserMessage], Awaitable[Any]]
                   ) -> list[dict[str, Any]] | None:
    """The bot's replies to one message from ``raw_id``, which Rasa sees only as its
    pseudonym; None if anything failed (logged by error class, never with content)."""
    collector = CollectingOutputChannel()
    try:
        pseudonym = default_pseudonymiser().pseudonym(channel, raw_id)
        await on_new_message(UserMessage(text, collector, pseudonym, input_channel=channel,
                                         metadata=metadata))
    except Exception as exc:  # noqa: BLE001 - the client gets a retryable answer
        log.error("%s: message handling failed: %s", channel, type(exc).__name__)
        return None
    return collector.messages


def unavailable() -> HTTPResponse:
    return response.json({"error": "temporarily unavailable, try again"}, status=503)


def parse_body(raw: bytes) -> tuple[str, str, dict[str, Any]]:
    """(sender, text, metadata) from a request body, or :class:`InvalidMessage`."""
    body = json_object(raw)
    sender = body.get("sender")
    if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_CHARS:
        raise InvalidMessage(f"'sender' must be a non-empty string of at most "
                             f"{MAX_SENDER_CHARS} characters")
    text = body.get("message", "")
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise InvalidMessage("'message' must be a string")
    metadata = body.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise InvalidMessage("'metadata' must be a JSON object")
    hint = metadata.get("language")
    clean_metadata = {"language_hint": hint} if isinstance(hint, str) else {}
    return sender, text[:MAX_TEXT_CHARS], clean_metadata


class RestChannel(InputChannel):
    """Synchronous HTTP channel: the reply messages come back in the response."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                sender, text, metadata = parse_body(request.body or b"")
            except InvalidMessage as exc:
                log.info("rest: refused a request: %s", exc)
                return response.json({"error": str(exc)}, status=400)
            replies = await run_turn(self.name(), sender, text, metadata, on_new_message)
            return unavailable() if replies is None else response.json(replies)

        return webhook
