"""The Telegram channel, in webhook mode: ``POST /webhooks/telegram/webhook``.

Rasa's own Telegram connector checks no secret, calls Telegram at every update
and keys conversations by Telegram id. This one:

- refuses requests without Telegram's ``X-Telegram-Bot-Api-Secret-Token`` (403);
- parses updates with python-telegram-bot's own types, after checking the type of
  every field it reads (a wrong one gets a 400 with a reason, never a 500), and
  ignores repeated ``update_id`` s (Telegram re-sends an update it thinks was lost);
- answers Telegram at once and handles the update in the background, since
  Telegram retries webhooks that answer slowly;
- replaces the user id by its keyed pseudonym before Rasa sees anything; the chat
  id lives only in the reply channel of the one update being handled;
- turns /start (with a language deep link, ``t.me/<bot>?start=fr``), /language,
  /help and /forget into the intents they mean, and button presses into
  ``choose_option``; no other text can reach Rasa as an intent payload;
- answers stickers, photos, voice notes and edited messages with a polite
  "text only" message in the user's Telegram language.

Configuration (``credentials.yml``, or the environment so that no secret is in
git): ``token`` / ``BOT_TELEGRAM_TOKEN``, ``secret_token`` / ``BOT_TELEGRAM_SECRET``,
``api_url`` / ``BOT_TELEGRAM_API_URL`` (default ``https://api.telegram.org``).
Without a token or a secret the server still starts, and the webhook answers 503.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ClassVar

from rasa.core.channels.channel import InputChannel, OutputChannel
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType, MessageLimit
from telegram.error import NetworkError, RetryAfter, TelegramError

from bot import languages
from bot.channels.base import (
    LANGUAGE_HINT,
    MAX_BODY_BYTES,
    MAX_TEXT_CHARS,
    InvalidMessage,
    OnNewMessage,
    guarded_blueprint,
    refuse,
    run_turn,
)
from bot.i18n import N_, translator
from bot.render import CHAT, Capabilities, Choice, choice_payload
from bot.settings import DEFAULT_TELEGRAM_API_URL, settings
from bot.storage.shared_state import MemoryState, SharedState, shared_state

log = logging.getLogger(__name__)
# At INFO, httpx logs every request URL, which holds the bot token; at DEBUG,
# python-telegram-bot logs the text and chat id of every message it sends.
for _noisy in ("httpx", "telegram"):
    logging.getLogger(_noisy).setLevel(logging.WARNING)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
SEEN_UPDATES = 10_000  # remembered update ids; Telegram re-sends within hours, not days
SEEN_UPDATES_TTL = 24 * 3600.0
SEND_ATTEMPTS = 3
MAX_RETRY_WAIT = 10.0  # seconds; a longer flood wait drops the message rather than stall

TEXT_ONLY = N_("Sorry, I can only read text messages. Please write your question in a new "
               "message.")

# The commands we announce to users, and the Rasa payload each one stands for.
COMMANDS = {"start": "/greet", "language": "/change_language", "help": "/help",
            "forget": "/forget"}
_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@\w+)?(?:\s+(.*))?$", re.DOTALL)
_CHOICE = re.compile(r"^[a-z_]{1,20}:[A-Za-z0-9_\-]{1,40}$")
_CHOICE_PAYLOAD = re.compile(r"^/choose_option(\{.*\})$", re.DOTALL)
_DEEP_LINK_PREFIX = re.compile(r"^(?:lang(?:uage)?[-_])", re.IGNORECASE)
MAX_CALLBACK_BYTES = 64  # Telegram's limit for a button's callback_data


@dataclass(frozen=True)
class Inbound:
    """What one update asks of the bot; holds raw ids, so it lives only in memory."""

    chat_id: int
    user_id: int
    language_hint: str | None
    text: str | None = None  # for Rasa: a message or an intent payload
    text_only_notice: bool = False  # answer "text messages only" instead
    callback_query_id: str | None = None  # a button press to acknowledge


NOT_AN_UPDATE = "the body must be a Telegram update in JSON"


def parse_update(raw: bytes, bot: Bot | None) -> Update:
    """The update in a webhook body, every field :func:`read_update` reads of the type
    Telegram gives it; else :class:`InvalidMessage` with a reason (naming a field, never
    holding a value).

    python-telegram-bot checks no types: it keeps ``"text": 5`` as 5 and fails on
    ``"message": []`` with whatever error, so both kinds are caught here.
    """
    if len(raw) > MAX_BODY_BYTES:
        raise InvalidMessage(f"the body must be at most {MAX_BODY_BYTES} bytes")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # "[[[[..." recurses
        raise InvalidMessage(NOT_AN_UPDATE) from exc
    if not isinstance(data, dict):
        raise InvalidMessage(NOT_AN_UPDATE)
    if not _is_integer(data.get("update_id")):
        raise InvalidMessage("'update_id' must be an integer")
    for kind in Update.ALL_TYPES:  # "message", "callback_query"...: objects, if there
        if kind in data and not isinstance(data[kind], dict):
            raise InvalidMessage(f"'{kind}' must be an object")
    try:
        update = Update.de_json(data, bot)
    except Exception as exc:  # noqa: BLE001 - a wrong type deeper down, whatever it raises
        raise InvalidMessage(NOT_AN_UPDATE) from exc
    _check_read_fields(update)
    return update


def _is_integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_read_fields(update: Update) -> None:
    """:class:`InvalidMessage` if a field :func:`read_update` reads has the wrong type."""
    chat, user, query = update.effective_chat, update.effective_user, update.callback_query
    wrong = [
        (chat is not None and not _is_integer(chat.id), "'chat.id' must be an integer"),
        (chat is not None and not isinstance(chat.type, str), "'chat.type' must be a string"),
        (user is not None and not _is_integer(user.id), "'from.id' must be an integer"),
        (user is not None and not isinstance(user.is_bot, bool),
         "'from.is_bot' must be true or false"),
        (user is not None and not isinstance(user.language_code, str | None),
         "'from.language_code' must be a string"),
        (query is not None and not isinstance(query.id, str),
         "'callback_query.id' must be a string"),
        (query is not None and not isinstance(query.data, str | None),
         "'callback_query.data' must be a string"),
        (update.message is not None and not isinstance(update.message.text, str | None),
         "'message.text' must be a string"),
    ]
    for is_wrong, reason in wrong:
        if is_wrong:
            raise InvalidMessage(reason)


def read_update(update: Update) -> Inbound | None:
    """What to do with ``update``; None when it needs no answer at all.

    Only private chats are served: in a group, replies about someone's rights and
    situation would be read by everyone in it.
    """
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None or chat.type != ChatType.PRIVATE or user.is_bot:
        return None
    hint = languages.normalise(user.language_code)
    if update.callback_query is not None:
        payload = payload_from_callback(update.callback_query.data)
        return Inbound(chat.id, user.id, hint, text=payload,
                       callback_query_id=update.callback_query.id)
    if update.edited_message is not None:
        return Inbound(chat.id, user.id, hint, text_only_notice=True)
    if update.message is None:
        return None  # membership changes, polls and the like: nothing to say
    if update.message.text is None:  # stickers, photos, voice notes, locations...
        return Inbound(chat.id, user.id, hint, text_only_notice=True)
    return Inbound(chat.id, user.id, hint, text=text_for_rasa(update.message.text))


def text_for_rasa(text: str) -> str:
    """A command's intent payload, or the user's text, never read as a payload by Rasa.

    Rasa treats any message starting with "/" as ``/intent{entities}``, so an
    unknown command loses its slash: "/stop" is read as the word "stop".
    """
    text = text.strip()[:MAX_TEXT_CHARS]
    match = _COMMAND.match(text)
    if match:
        command, argument = match.group(1).lower(), (match.group(2) or "").strip()
        if command == "start" and argument:
            language = deep_link_language(argument)
            if language:
                return choice_payload(Choice(f"language:{language}", ""))
        if command in COMMANDS:
            return COMMANDS[command]
    return text.lstrip("/ ")


def deep_link_language(parameter: str) -> str | None:
    """The language of a /start deep link: "fr", "lang-fr", "language_ne", "fil"..."""
    return languages.normalise(_DEEP_LINK_PREFIX.sub("", parameter))


def payload_from_callback(data: str | None) -> str | None:
    """The ``choose_option`` payload for a button's callback data, or None if malformed.

    Buttons carry only the choice ("language:fr"); the payload is rebuilt here, so a
    forged callback can at most choose an option, never send another intent.
    """
    if data is None or not _CHOICE.match(data):
        return None
    return choice_payload(Choice(data, ""))


def callback_data(payload: str) -> str | None:
    """A button's callback data for a Rasa button payload; None if it cannot be one."""
    match = _CHOICE_PAYLOAD.match(payload)
    if not match:
        return None
    try:
        choice = json.loads(match.group(1)).get("choice")
    except (ValueError, AttributeError):
        return None
    if not isinstance(choice, str) or not _CHOICE.match(choice) \
            or len(choice.encode()) > MAX_CALLBACK_BYTES:
        return None
    return choice


def keyboard(buttons: list[dict[str, Any]]) -> InlineKeyboardMarkup | None:
    """One button per row: titles are long in some languages."""
    rows = []
    for button in buttons:
        data = callback_data(str(button.get("payload", "")))
        if data is None:
            log.warning("telegram: a button with an unsupported payload was left out")
            continue
        rows.append([InlineKeyboardButton(str(button.get("title") or data),
                                          callback_data=data)])
    return InlineKeyboardMarkup(rows) if rows else None


def split_text(text: str, limit: int = MessageLimit.MAX_TEXT_LENGTH) -> list[str]:
    """Pieces of at most ``limit`` characters, cut at line ends where possible."""
    pieces = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        cut = cut if cut > 0 else limit
        pieces.append(text[:cut])
        text = text[cut:].lstrip("\n")
    pieces.append(text)
    return pieces


class TelegramSender:
    """Bot API calls that retry a little and never raise: a lost reply must not end a turn."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, chat_id: int, text: str,
                   markup: InlineKeyboardMarkup | None = None) -> None:
        if not text.strip():
            return  # Telegram refuses empty messages
        pieces = split_text(text)
        for number, piece in enumerate(pieces, start=1):
            await self._call("sendMessage", functools.partial(
                self.bot.send_message, chat_id, piece,
                reply_markup=markup if number == len(pieces) else None))

    async def answer_callback(self, query_id: str) -> None:
        await self._call("answerCallbackQuery",
                         lambda: self.bot.answer_callback_query(query_id))

    async def _call(self, method: str, call: Callable[[], Awaitable[Any]]) -> None:
        error: TelegramError
        for attempt in range(1, SEND_ATTEMPTS + 1):
            try:
                await call()
                return
            except RetryAfter as exc:  # flood control: Telegram says how long to wait
                delay, error = _seconds(exc.retry_after), exc
            except NetworkError as exc:  # also TimedOut
                delay, error = 0.5 * 2 ** (attempt - 1), exc
            except TelegramError as exc:  # blocked by the user, bad request...: no retry
                log.warning("telegram: %s failed: %s", method, type(exc).__name__)
                return
            if attempt == SEND_ATTEMPTS or delay > MAX_RETRY_WAIT:
                log.warning("telegram: %s failed, given up after %d attempts: %s", method,
                            attempt, type(error).__name__)
                return
            log.info("telegram: %s failed (%s), retrying", method, type(error).__name__)
            await asyncio.sleep(delay)


def _seconds(value: int | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class TelegramOutput(OutputChannel):
    """Replies for one update, to the chat it came from (the id is never stored)."""

    def __init__(self, sender: TelegramSender, chat_id: int) -> None:
        self._sender = sender
        self._chat_id = chat_id

    @classmethod
    def name(cls) -> str:
        return "telegram"

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._sender.send(self._chat_id, text)

    async def send_text_with_buttons(self, recipient_id: str, text: str,
                                     buttons: list[dict[str, Any]], **kwargs: Any) -> None:
        await self._sender.send(self._chat_id, text, keyboard(buttons))


class RecentIds:
    """The update ids seen in the last ``ttl`` seconds (at most ``size`` in memory), to
    drop repeated updates: in ``state``, shared by every server when ``BOT_REDIS_URL``
    is set (Telegram may re-send an update to another server), else in memory."""

    def __init__(self, size: int = SEEN_UPDATES, state: SharedState | None = None,
                 ttl: float = SEEN_UPDATES_TTL, namespace: str = "") -> None:
        self._state = state or MemoryState(max_keys=size)
        self._ttl = ttl
        self._namespace = namespace

    def add(self, update_id: int) -> bool:
        """Remember ``update_id``; False if it was already there."""
        return self._state.add_once(f"telegram-update:{self._namespace}:{update_id}",
                                    self._ttl)


class TelegramChannel(InputChannel):
    capabilities: ClassVar[Capabilities] = CHAT

    @classmethod
    def name(cls) -> str:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TelegramChannel:
        credentials = credentials or {}
        configured = settings()
        return cls(token=credentials.get("token") or configured.telegram_token,
                   secret_token=credentials.get("secret_token") or configured.telegram_secret,
                   api_url=credentials.get("api_url") or configured.telegram_api_url)

    def __init__(self, token: str | None = None, secret_token: str | None = None,
                 api_url: str = DEFAULT_TELEGRAM_API_URL) -> None:
        self.secret_token = secret_token or None
        self.bot = Bot(token, base_url=f"{api_url.rstrip('/')}/bot") if token else None
        # The bot's own id (the token's part before ":", public) keeps two bots on one
        # Redis apart; update ids are counters, no user's id.
        self.seen = RecentIds(state=shared_state(max_keys=SEEN_UPDATES),
                              namespace=token.split(":", 1)[0] if token else "")
        self._tasks: set[asyncio.Task] = set()
        if self.bot is None or self.secret_token is None:
            log.warning("telegram: no token or no secret token configured (BOT_TELEGRAM_TOKEN, "
                        "BOT_TELEGRAM_SECRET); the webhook will answer 503")

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        webhook = guarded_blueprint("telegram_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_request: Request) -> HTTPResponse:
            configured = self.bot is not None and self.secret_token is not None
            return response.json({"status": "ok" if configured else "not configured"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            return await self.receive(request, on_new_message)

        return webhook

    async def receive(self, request: Request, on_new_message: OnNewMessage) -> HTTPResponse:
        if self.bot is None or self.secret_token is None:
            return response.json({"error": "the Telegram channel is not configured"}, status=503)
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret_token.encode()):
            log.warning("telegram: refused a request with a wrong secret token")
            return response.json({"error": "wrong secret token"}, status=403)
        try:
            update = parse_update(request.body or b"", self.bot)
        except InvalidMessage as exc:
            return refuse(self.name(), 400, str(exc))
        if not self.seen.add(update.update_id):
            log.info("telegram: ignored a repeated update")
            return response.json({"status": "duplicate"})
        inbound = read_update(update)
        if inbound is None:
            log.info("telegram: ignored an update that needs no answer")
            return response.json({"status": "ignored"})
        task = asyncio.create_task(self._handle(inbound, TelegramSender(self.bot),
                                                on_new_message))
        self._tasks.add(task)  # keeps the task alive until it is done
        task.add_done_callback(self._tasks.discard)
        return response.json({"status": "accepted"})

    async def _handle(self, inbound: Inbound, sender: TelegramSender,
                      on_new_message: OnNewMessage) -> None:
        try:
            side_calls = []
            if inbound.callback_query_id:
                side_calls.append(sender.answer_callback(inbound.callback_query_id))
            if inbound.text_only_notice:
                language = inbound.language_hint or languages.DEFAULT_LANGUAGE
                side_calls.append(sender.send(inbound.chat_id,
                                              translator(language).gettext(TEXT_ONLY)))
            turn = []
            if inbound.text is not None:
                metadata = {LANGUAGE_HINT: inbound.language_hint} if inbound.language_hint \
                    else {}
                turn.append(run_turn(self.name(), str(inbound.user_id), inbound.text, metadata,
                                     on_new_message, self.capabilities,
                                     output=TelegramOutput(sender, inbound.chat_id)))
            await asyncio.gather(*turn, *side_calls)
        except Exception as exc:  # noqa: BLE001 - logged without content; the next update works
            log.error("telegram: update handling failed: %s", type(exc).__name__)
