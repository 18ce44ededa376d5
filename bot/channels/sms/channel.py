"""The SMS channel: one Rasa input channel, one route per gateway, under ``/webhooks/sms/``.

- ``POST /kannel``: Kannel's smsbox ``sms-service`` with ``post-url`` and ``send-sender =
  true`` (see docs/kannel.conf): the number in ``X-Kannel-From``, the text as the body,
  the secret as the URL's password (``Authorization: Basic``) or in ``X-Bot-Secret``;
  nothing in the query. The response body is the reply SMS.
- ``POST /twilio``: Twilio's signed webhook; the reply goes back as TwiML.
- ``POST /africastalking``: Africa's Talking's callback, with its secret in ``?secret=``
  (or ``X-Bot-Secret``); the reply is sent through its API in the background, after the
  callback has been answered.
- ``POST /generic``: ``{"from", "text"}`` in, ``{"messages": [{"text"}]}`` out
  (RapidPro's "external" channel style), with its secret in ``X-Bot-Secret``.

Each gateway has its own secret, and a gateway without one is off (403). Each is also
its own namespace: a number's conversation through one gateway is not its conversation
through another (:func:`conversation_channel`), so one gateway's credentials can never
reach what was said through another.

The phone number is normalised to E.164, its country goes into the message's
metadata as ``origin_hint``, and it is replaced by its keyed pseudonym at once
(:func:`bot.channels.base.run_turn`); it stays in memory only while the request
(or the Africa's Talking send) lasts. Each answer is kept within the segment
budget of :data:`bot.render.SMS`; the rest waits in memory for "MORE"
(:mod:`bot.channels.sms.paging`). A procedure step is one page, up to
:data:`~bot.channels.sms.paging.STEP_PAGE_CAP` segments, and MORE brings the next step.
STOP, HELP, START, MORE and SOURCES work in every language
(:mod:`bot.channels.sms.keywords`); MORE with no page waiting and SOURCES go to the
bot as choices. Logs carry reasons and error classes, never content.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from typing import Any, ClassVar

import aiohttp
from rasa.core.channels.channel import InputChannel
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.base import (
    ORIGIN_HINT,
    InvalidMessage,
    OnNewMessage,
    guarded_blueprint,
    pseudonym,
    refuse,
    run_turn,
    unavailable,
)
from bot.channels.sms import gateways, keywords
from bot.channels.sms.encoding import segments
from bot.channels.sms.gateways import InboundSms
from bot.channels.sms.paging import (
    STEP_PAGE_CAP,
    PendingPages,
    join_messages,
    paginate,
    step_page,
    turn_messages,
)
from bot.i18n import N_, SOURCE_LANGUAGE, translator
from bot.render import SMS, STEP_PAGE, Capabilities
from bot.settings import settings
from bot.storage.shared_state import shared_state

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Bot-Secret"  # noqa: S105 - a header name, not a secret
TWILIO_SIGNATURE_HEADER = "X-Twilio-Signature"
MORE_HINT = N_("Reply MORE for the rest.")
KANNEL_POST_ONLY = "only POST is accepted: use post-url in the sms-service (see docs/kannel.conf)"
KANNEL_NO_QUERY = ("the URL must carry no query (no secret, number or text): use post-url with "
                   "send-sender = true and the secret as the URL's password "
                   "(see docs/kannel.conf)")


@dataclass(frozen=True)
class SmsSettings:
    default_region: str | None = None
    kannel_secret: str | None = None  # the post-url's password (Basic auth), or X-Bot-Secret
    africastalking_secret: str | None = None  # ?secret= in its callback URL, or X-Bot-Secret
    generic_secret: str | None = None  # X-Bot-Secret
    twilio_auth_token: str | None = None
    twilio_public_url: str | None = None  # the base URL Twilio calls, if behind a proxy
    africastalking_username: str | None = None
    africastalking_api_key: str | None = None
    africastalking_api_url: str = "https://api.africastalking.com"
    africastalking_sender: str | None = None  # short code or sender id

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> SmsSettings:
        """From credentials.yml; each value may come from its ``BOT_*`` setting instead
        (:mod:`bot.settings`).

        The one secret of earlier versions (``secret``, ``BOT_SMS_SECRET``) is not read:
        if it is still set, a warning says which secrets replace it.
        """
        given = credentials or {}
        configured = settings()

        def value(key: str, fallback: str | None) -> str | None:
            found = given.get(key) or fallback
            return str(found) if found else None

        if value("secret", configured.sms_retired_secret):
            log.warning("sms: the shared secret (BOT_SMS_SECRET) is no longer read; each "
                        "gateway has its own: BOT_SMS_KANNEL_SECRET, "
                        "BOT_SMS_AFRICASTALKING_SECRET, BOT_SMS_GENERIC_SECRET")
        return cls(
            default_region=(value("default_region", configured.sms_default_region)
                            or "").upper() or None,
            kannel_secret=value("kannel_secret", configured.sms_kannel_secret),
            africastalking_secret=value("africastalking_secret",
                                        configured.sms_africastalking_secret),
            generic_secret=value("generic_secret", configured.sms_generic_secret),
            twilio_auth_token=value("twilio_auth_token", configured.twilio_auth_token),
            twilio_public_url=value("twilio_public_url", configured.twilio_public_url),
            africastalking_username=value("africastalking_username",
                                          configured.africastalking_username),
            africastalking_api_key=value("africastalking_api_key",
                                         configured.africastalking_api_key),
            africastalking_api_url=value("africastalking_api_url",
                                         configured.africastalking_api_url)
            or cls.africastalking_api_url,
            africastalking_sender=value("africastalking_sender",
                                        configured.africastalking_sender),
        )


def _refuse(gateway: str, status: int, reason: str) -> HTTPResponse:
    return refuse(f"sms {gateway}", status, reason)


def origin_metadata(number: str) -> dict[str, str]:
    """``{"origin_hint": "NP"}`` for a number's country; nothing if it has none."""
    region = gateways.origin_region(number)
    return {ORIGIN_HINT: region} if region else {}


def conversation_channel(gateway: str) -> str:
    """The channel name a gateway's messages go to Rasa under, and their pseudonyms are
    keyed with: ``"sms-kannel"``, ``"sms-twilio"``...: one namespace per gateway."""
    return f"{SmsChannel.name()}-{gateway}"


def secret_matches(expected: str, given: str | None) -> bool:
    """Whether ``given`` is ``expected``, compared in constant time."""
    return given is not None and hmac.compare_digest(expected.encode("utf-8"),
                                                     given.encode("utf-8"))


class SmsChannel(InputChannel):
    """Every SMS gateway, one route each, and the pages waiting for MORE."""

    capabilities: ClassVar[Capabilities] = SMS

    def __init__(self, settings: SmsSettings | None = None) -> None:
        self.settings = settings or SmsSettings()
        self.pending = PendingPages(state=shared_state(max_keys=10_000))

    @classmethod
    def name(cls) -> str:
        return "sms"  # the route prefix; conversations are per gateway (conversation_channel)

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls(SmsSettings.from_credentials(credentials))

    async def answer(self, gateway: str, sms: InboundSms, on_new_message: OnNewMessage,
                     request: Request) -> str | None:
        """The SMS to send back for one SMS that came through ``gateway`` (empty when there
        is nothing to say); None if the turn failed."""
        channel = conversation_channel(gateway)
        key = pseudonym(channel, sms.sender)
        keyword = keywords.match(sms.text)
        if keyword == "more":
            page = self.pending.next_page(key)
            if page is not None:
                return page
        self.pending.forget(key)
        text = keywords.PAYLOADS[keyword] if keyword else sms.text
        replies = await run_turn(channel, sms.sender, text, origin_metadata(sms.sender),
                                 on_new_message, self.capabilities)
        if replies is None:
            return None
        messages = turn_messages(replies)
        texts = [text for text, _page in messages]
        budget = self.capabilities.segment_budget
        answer = join_messages(texts)
        if budget is None or segments(answer) <= budget:
            return answer
        step = step_page(messages)
        if step is not None:  # one step, one page: MORE asks the bot for the next step
            return step
        if any(page == STEP_PAGE for _text, page in messages):
            log.warning("sms: a procedure step is longer than %d segments: sent in pages",
                        STEP_PAGE_CAP)
        language = await _conversation_language(request, key)
        pages = paginate(texts, translator(language).gettext(MORE_HINT), budget)
        self.pending.keep(key, pages[1:])
        return pages[0]

    async def _turn(self, gateway: str, message: InboundSms, on_new_message: OnNewMessage,
                    request: Request) -> str | None:
        """:meth:`answer`, with any failure logged by class and turned into None."""
        try:
            return await self.answer(gateway, message, on_new_message, request)
        except Exception as exc:  # noqa: BLE001 - the gateway gets a retryable answer
            log.error("sms %s: answering failed: %s", gateway, type(exc).__name__)
            return None

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        sms = guarded_blueprint("sms_webhook", __name__)

        @sms.route("/", methods=["GET"])
        async def health(_request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        # GET too, so that a get-url gets a 405 that says what to do instead.
        @sms.route("/kannel", methods=["GET", "POST"])
        async def kannel(request: Request) -> HTTPResponse:
            return await self.receive_kannel(request, on_new_message)

        @sms.route("/twilio", methods=["POST"])
        async def twilio(request: Request) -> HTTPResponse:
            return await self.receive_twilio(request, on_new_message)

        @sms.route("/africastalking", methods=["POST"])
        async def africastalking(request: Request) -> HTTPResponse:
            return await self.receive_africastalking(request, on_new_message)

        @sms.route("/generic", methods=["POST"])
        async def generic(request: Request) -> HTTPResponse:
            return await self.receive_generic(request, on_new_message)

        return sms

    async def receive_kannel(self, request: Request, on_new_message: OnNewMessage
                             ) -> HTTPResponse:
        """Kannel's post-url. Refused: without a configured secret (403), by GET (405), with
        a query, where a get-url would put the secret, number and text (400), without the
        secret (403), and a request that is no SMS (400)."""
        secret = self.settings.kannel_secret
        if not secret:
            return _refuse("kannel", 403, "Kannel is not configured")
        if request.method != "POST":
            refused = _refuse("kannel", 405, KANNEL_POST_ONLY)
            refused.headers["Allow"] = "POST"
            return refused
        if request.query_string:
            return _refuse("kannel", 400, KANNEL_NO_QUERY)
        given = request.headers.get(SECRET_HEADER)
        if given is None:
            given = gateways.basic_password(request.headers.get("Authorization"))
        if not secret_matches(secret, given):
            return _refuse("kannel", 403, "missing or wrong secret")
        try:
            message = gateways.kannel_message(
                request.headers.get("X-Kannel-From"), request.body or b"",
                request.headers.get("Content-Type", ""), request.headers.get("X-Kannel-Coding"),
                self.settings.default_region)
        except InvalidMessage as exc:
            return _refuse("kannel", 400, str(exc))
        reply = await self._turn("kannel", message, on_new_message, request)
        if reply is None:
            return unavailable()
        body, headers = gateways.kannel_reply(reply)
        return response.raw(body, headers=headers, content_type=headers["Content-Type"])

    async def receive_twilio(self, request: Request, on_new_message: OnNewMessage
                             ) -> HTTPResponse:
        """Twilio's webhook, signed with the auth token; the reply as TwiML."""
        token = self.settings.twilio_auth_token
        if not token:
            return _refuse("twilio", 403, "Twilio is not configured")
        try:
            fields = gateways.form_fields(request.body or b"")
        except InvalidMessage as exc:
            return _refuse("twilio", 400, str(exc))
        if not gateways.twilio_signature_ok(_twilio_url(request, self.settings), fields, token,
                                            request.headers.get(TWILIO_SIGNATURE_HEADER)):
            return _refuse("twilio", 403, "bad signature")
        try:
            message = gateways.twilio_message(fields, self.settings.default_region)
        except InvalidMessage as exc:
            return _refuse("twilio", 400, str(exc))
        reply = await self._turn("twilio", message, on_new_message, request)
        if reply is None:
            return unavailable()
        return response.text(gateways.twiml(reply), content_type="text/xml; charset=utf-8")

    async def receive_africastalking(self, request: Request, on_new_message: OnNewMessage
                                     ) -> HTTPResponse:
        """Africa's Talking's callback, a form; the reply goes through its API afterwards.

        Its callback URL cannot carry a header, so its secret may be in ``?secret=``.
        """
        settings = self.settings
        secret = settings.africastalking_secret
        if not (secret and settings.africastalking_username and settings.africastalking_api_key):
            return _refuse("africastalking", 403, "Africa's Talking is not configured")
        try:
            given = request.headers.get(SECRET_HEADER)
            if given is None:
                given = gateways.single(gateways.query_fields(request.query_string), "secret",
                                        required=False)
            if not secret_matches(secret, given):
                return _refuse("africastalking", 403, "missing or wrong secret")
            message = gateways.africastalking_message(
                gateways.form_fields(request.body or b""), settings.default_region)
        except InvalidMessage as exc:
            return _refuse("africastalking", 400, str(exc))
        reply = await self._turn("africastalking", message, on_new_message, request)
        if reply is None:
            return unavailable()
        if reply:
            # The number lives in this task only until the API has the message.
            request.app.add_task(_send_africastalking(settings, message.sender, reply))
        return response.json({"status": "accepted"})

    async def receive_generic(self, request: Request, on_new_message: OnNewMessage
                              ) -> HTTPResponse:
        """``{"from", "text"}`` with the secret in ``X-Bot-Secret``; the replies as JSON."""
        secret = self.settings.generic_secret
        if not secret:
            return _refuse("generic", 403, "the generic gateway is not configured")
        if not secret_matches(secret, request.headers.get(SECRET_HEADER)):
            return _refuse("generic", 403, "missing or wrong secret")
        try:
            message = gateways.json_message(request.body or b"", self.settings.default_region)
        except InvalidMessage as exc:
            return _refuse("generic", 400, str(exc))
        reply = await self._turn("generic", message, on_new_message, request)
        if reply is None:
            return unavailable()
        return response.json({"messages": [{"text": reply}] if reply else []})


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
