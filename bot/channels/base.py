"""What every channel does with a message: check it, pseudonymise the sender, run Rasa.

One place for the rules all channels share, so that there is one place to audit:

- a request that cannot be a message raises :class:`InvalidMessage`, whose text
  says why and holds no content (never the text, never an id): the channel
  answers 400 with it;
- texts are cut at :data:`MAX_TEXT_CHARS`;
- :func:`run_turn` replaces the channel's id by its keyed pseudonym
  (:mod:`bot.privacy`) before Rasa sees the message, declares the channel's
  :class:`~bot.render.Capabilities` in its metadata, and logs a failure by error
  class only; the channel answers 503 (:func:`unavailable`).

The metadata a channel may put in a message: :data:`LANGUAGE_HINT` (a language
code the channel suggests), :data:`ORIGIN_HINT` (the user's likely country,
ISO 3166 alpha-2) and :data:`~bot.render.CAPABILITIES_KEY` (added here).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.response import HTTPResponse

from bot.log_privacy import guard_server_logs
from bot.privacy import default_pseudonymiser
from bot.render import CAPABILITIES_KEY, Capabilities

log = logging.getLogger(__name__)

MAX_TEXT_CHARS = 5000  # longer messages are cut: nobody types more on a phone
MAX_BODY_BYTES = 64 * 1024  # for bodies that hold one message and little else

LANGUAGE_HINT = "language_hint"
ORIGIN_HINT = "origin_hint"

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


class InvalidMessage(ValueError):
    """The request cannot be a message; the text says why (and holds no content)."""


def json_object(raw: bytes, max_bytes: int | None = None) -> dict[str, Any]:
    """A request body as a JSON object, or :class:`InvalidMessage`."""
    if max_bytes is not None and len(raw) > max_bytes:
        raise InvalidMessage(f"the body must be at most {max_bytes} bytes")
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidMessage("the body must be a JSON object in UTF-8") from exc
    except RecursionError as exc:  # "[[[[...": a few kilobytes are enough
        raise InvalidMessage("the body is nested too deeply") from exc
    if not isinstance(body, dict):
        raise InvalidMessage("the body must be a JSON object")
    return body


def message_text(value: object, field: str) -> str:
    """``value`` as a message's text, cut at :data:`MAX_TEXT_CHARS`; None is no text.

    ``field`` names the value in the reason given when it is not a string.
    """
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidMessage(f"{field} must be a string")
    return value[:MAX_TEXT_CHARS]


def pseudonym(channel: str, raw_id: str) -> str:
    """The keyed pseudonym under which Rasa knows ``raw_id`` on ``channel``."""
    return default_pseudonymiser().pseudonym(channel, raw_id)


async def run_turn(channel: str, raw_id: str, text: str, metadata: Mapping[str, Any],
                   on_new_message: OnNewMessage, capabilities: Capabilities,
                   output: OutputChannel | None = None) -> list[dict[str, Any]] | None:
    """One message from ``raw_id`` through Rasa, which sees only its pseudonym.

    The metadata Rasa gets is ``metadata`` plus the channel's ``capabilities``.
    Returns the bot's replies, collected; with ``output`` they are sent there as
    they come instead, and the list is empty. None if anything failed (logged by
    error class, never with content).
    """
    collector = CollectingOutputChannel()
    try:
        message = UserMessage(
            text, output or collector, pseudonym(channel, raw_id), input_channel=channel,
            metadata={**metadata, CAPABILITIES_KEY: capabilities.to_metadata()})
        await on_new_message(message)
    except Exception as exc:  # noqa: BLE001 - the client gets a retryable answer
        log.error("%s: message handling failed: %s", channel, type(exc).__name__)
        return None
    return collector.messages


def guarded_blueprint(name: str, import_name: str) -> Blueprint:
    """A channel's blueprint that, when the Rasa server starts serving it (after Rasa
    configured logging, before the first request), makes the server's logs safe
    (:func:`bot.log_privacy.guard_server_logs`). Every channel of ours is made with it,
    so whichever are configured, the server is guarded; importing a channel (a test
    does) changes nothing."""
    blueprint = Blueprint(name, import_name)

    @blueprint.listener("before_server_start")
    async def _guard_logs(_app: Any, _loop: Any) -> None:
        guard_server_logs()

    return blueprint


def refuse(where: str, status: int, reason: str) -> HTTPResponse:
    """A 4xx answer with ``reason`` (which holds no content), logged under ``where``."""
    log.info("%s: refused a request (%d): %s", where, status, reason)
    return response.json({"error": reason}, status=status)


def unavailable() -> HTTPResponse:
    """The answer to a request whose turn failed: the client may try again."""
    return response.json({"error": "temporarily unavailable, try again"}, status=503)
