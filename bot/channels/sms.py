"""The SMS channel: one Rasa input channel, one route per gateway, under ``/webhooks/sms/``.

- ``GET|POST /kannel``: Kannel's smsbox ``sms-service`` (``get-url``, or ``post-url``
  with the text in the body); the response body is the reply SMS.
- ``POST /twilio``: Twilio's signed webhook; the reply goes back as TwiML.
- ``POST /africastalking``: Africa's Talking's callback; the reply is sent through
  its API in the background, after the callback has been answered.
- ``POST /generic``: ``{"from", "text"}`` in, ``{"messages": [{"text"}]}`` out
  (RapidPro's "external" channel style).

The phone number is normalised to E.164 and replaced by its keyed pseudonym at
once; it stays in memory only while the request (or the Africa's Talking send)
lasts. Each answer is kept within :data:`bot.sms_paging.BUDGET` segments; the
rest waits in memory for "MORE". STOP, HELP and START work in every language
(:mod:`bot.sms_keywords`). Logs carry reasons and error classes, never content.
"""

from __future__ import annotations

import hmac
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import sms_keywords
from bot.channels import sms_gateways as gateways
from bot.channels.sms_gateways import InboundSms, InvalidSms
from bot.i18n import N_, SOURCE_LANGUAGE, translator
from bot.privacy import default_pseudonymiser
from bot.sms import segments
from bot.sms_paging import BUDGET, PendingPages, join_messages, paginate

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Bot-Secret"  # noqa: S105 - a header name, not a secret
TWILIO_SIGNATURE_HEADER = "X-Twilio-Signature"
MORE_HINT = N_("Reply MORE for the rest.")


@dataclass(frozen=True)
class SmsSettings:
    default_region: str | None = None
    secret: str | None = None  # Kannel, Africa's Talking, generic: ?secret= or X-Bot-Secret
    twilio_auth_token: str | None = None
    twilio_public_url: str | None = None  # the base URL Twilio calls, if behind a proxy
    africastalking_username: str | None = None
    africastalking_api_key: str | None = None
    africastalking_api_url: str = "https://api.africastalking.com"
    africastalking_sender: str | None = None  # short code or sender id

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> SmsSettings:
        """From credentials.yml; secrets may come from the environment instead."""
        given = credentials or {}

        def value(key: str, env: str | None = None) -> str | None:
            found = given.get(key) or (os.environ.get(env) if env else None)
            return str(found) if found else None

        return cls(
            default_region=(value("default_region", "BOT_SMS_DEFAULT_REGION") or "").upper()
            or None,
            secret=value("secret", "BOT_SMS_SECRET"),
            twilio_auth_token=value("twilio_auth_token", "BOT_TWILIO_AUTH_TOKEN"),
            twilio_public_url=value("twilio_public_url", "BOT_TWILIO_PUBLIC_URL"),
            africastalking_username=value("africastalking_username",
                                          "BOT_AFRICASTALKING_USERNAME"),
            africastalking_api_key=value("africastalking_api_key", "BOT_AFRICASTALKING_API_KEY"),
            africastalking_api_url=value("africastalking_api_url", "BOT_AFRICASTALKING_API_URL")
            or cls.africastalking_api_url,
            africastalking_sender=value("africastalking_sender", "BOT_AFRICASTALKING_SENDER"),
        )


def _refuse(gateway: str, status: int, reason: str) -> HTTPResponse:
    log.info("sms %s: refused a request (%d): %s", gateway, status, reason)
    return response.json({"error": reason}, status=status)


class SmsChannel(InputChannel):
    def __init__(self, settings: SmsSettings | None = None) -> None:
        self.settings = settings or SmsSettings()
        self.pending = PendingPages()

    @classmethod
    def name(cls) -> str:
        return "sms"  # bot.render treats "sms" as a short channel: numbered lists, no links

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls(SmsSettings.from_credentials(credentials))

    async def answer(self, sms: InboundSms, on_new_message: Callable[[UserMessage], Awaitable[Any]],
                     request: Request) -> str:
        """The SMS to send back for one incoming SMS (empty when there is nothing to say)."""
        key = default_pseudonymiser().pseudonym(self.name(), sms.sender)
        keyword = sms_keywords.match(sms.text)
        if keyword == "more":
            page = self.pending.next_page(key)
            if page is not None:
                return page
        self.pending.forget(key)
        text = sms_keywords.PAYLOADS.get(keyword, sms.text) if keyword else sms.text
        collector = CollectingOutputChannel()
        await on_new_message(UserMessage(text, collector, key, input_channel=self.name()))
        answer = join_messages([message.get("text") or "" for message in collector.messages])
        if segments(answer) <= BUDGET:
            return answer
        language = await _conversation_language(request, key)
        pages = paginate(answer, translator(language).gettext(MORE_HINT))
        self.pending.keep(key, pages[1:])
        return pages[0]

    def _secret_ok(self, request: Request) -> bool:
        """The shared secret, in the X-Bot-Secret header or the ``secret`` query parameter.

        Raises :class:`InvalidSms` if the query string is malformed.
        """
        expected = self.settings.secret
        if not expected:
            return False
        given = request.headers.get(SECRET_HEADER)
        if given is None:
            given = gateways.single(gateways.query_fields(request.query_string), "secret",
                                    required=False)
        return hmac.compare_digest(expected.encode("utf-8"), (given or "").encode("utf-8"))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        sms = Blueprint("sms_webhook", __name__)
        region = self.settings.default_region

        async def turn(gateway: str, message: InboundSms, request: Request) -> str | None:
            try:
                return await self.answer(message, on_new_message, request)
            except Exception as exc:  # noqa: BLE001 - the gateway gets a retryable answer
                log.error("sms %s: message handling failed: %s", gateway, type(exc).__name__)
                return None

        unavailable = {"error": "temporarily unavailable, try again"}

        @sms.route("/", methods=["GET"])
        async def health(_request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sms.route("/kannel", methods=["GET", "POST"])
        async def kannel(request: Request) -> HTTPResponse:
            try:
                if not self._secret_ok(request):
                    return _refuse("kannel", 403, "missing or wrong secret")
                message = gateways.kannel_message(
                    gateways.query_fields(request.query_string), region,
                    body=request.body if request.method == "POST" else None,
                    content_type=request.headers.get("Content-Type", ""))
            except InvalidSms as exc:
                return _refuse("kannel", 400, str(exc))
            reply = await turn("kannel", message, request)
            if reply is None:
                return response.json(unavailable, status=503)
            body, headers = gateways.kannel_reply(reply)
            return response.raw(body, headers=headers, content_type=headers["Content-Type"])

        @sms.route("/twilio", methods=["POST"])
        async def twilio(request: Request) -> HTTPResponse:
            token = self.settings.twilio_auth_token
            if not token:
                return _refuse("twilio", 403, "Twilio is not configured")
            try:
                fields = gateways.form_fields(request.body or b"")
            except InvalidSms as exc:
                return _refuse("twilio", 400, str(exc))
            if not gateways.twilio_signature_ok(_twilio_url(request, self.settings), fields,
                                                token, request.headers.get(
                                                    TWILIO_SIGNATURE_HEADER)):
                return _refuse("twilio", 403, "bad signature")
            try:
                message = gateways.twilio_message(fields, region)
            except InvalidSms as exc:
                return _refuse("twilio", 400, str(exc))
            reply = await turn("twilio", message, request)
            if reply is None:
                return response.json(unavailable, status=503)
            return response.text(gateways.twiml(reply), content_type="text/xml; charset=utf-8")

        @sms.route("/africastalking", methods=["POST"])
        async def africastalking(request: Request) -> HTTPResponse:
            settings = self.settings
            if not (settings.africastalking_username and settings.africastalking_api_key):
                return _refuse("africastalking", 403, "Africa's Talking is not configured")
            try:
                if not self._secret_ok(request):
                    return _refuse("africastalking", 403, "missing or wrong secret")
                message = gateways.africastalking_message(
                    gateways.form_fields(request.body or b""), region)
            except InvalidSms as exc:
                return _refuse("africastalking", 400, str(exc))
            reply = await turn("africastalking", message, request)
            if reply is None:
                return response.json(unavailable, status=503)
            if reply:
                # The number lives in this task only until the API has the message.
                request.app.add_task(_send_africastalking(settings, message.sender, reply))
            return response.json({"status": "accepted"})

        @sms.route("/generic", methods=["POST"])
        async def generic(request: Request) -> HTTPResponse:
            try:
                if not self._secret_ok(request):
                    return _refuse("generic", 403, "missing or wrong secret")
                message = gateways.json_message(request.body or b"", region)
            except InvalidSms as exc:
                return _refuse("generic", 400, str(exc))
            reply = await turn("generic", message, request)
            if reply is None:
                return response.json(unavailable, status=503)
            return response.json({"messages": [{"text": reply}] if reply else []})

        return sms


def _twilio_url(request: Request, settings: SmsSettings) -> str:
    """The URL Twilio signed: as configured (behind a proxy), else as this server saw it."""
    if not settings.twilio_public_url:
        return request.url
    query = f"?{request.query_string}" if request.query_string else ""
    return settings.twilio_public_url.rstrip("/") + request.path + query


async def _conversation_language(request: Request, key: str) -> str:
    agent = getattr(request.app.ctx, "agent", None)
    tracker = await agent.tracker_store.retrieve(key) if agent else None
    language = tracker.get_slot("language") if tracker else None
    return language if isinstance(language, str) and language else SOURCE_LANGUAGE


async def _send_africastalking(settings: SmsSettings, number: str, text: str) -> None:
    """One reply through Africa's Talking's SMS API; failures are logged by class only."""
    form = {"username": settings.africastalking_username or "", "to": number, "message": text}
    if settings.africastalking_sender:
        form["from"] = settings.africastalking_sender
    headers = {"apiKey": settings.africastalking_api_key or "", "Accept": "application/json"}
    url = settings.africastalking_api_url.rstrip("/") + "/version1/messaging"
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
            async with session.post(url, data=form, headers=headers) as reply:
                if reply.status >= 300:
                    log.error("sms africastalking: sending failed with HTTP %d", reply.status)
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.error("sms africastalking: sending failed: %s", type(exc).__name__)
