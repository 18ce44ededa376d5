"""The SMS channel without a server: what reaches Rasa (text, pseudonym, metadata), MORE pages,
the MORE and SOURCES keywords, each gateway's secret and namespace, what the Kannel route
refuses, and the settings."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import logging
from collections.abc import Awaitable, Callable
from types import SimpleNamespace

import pytest
from rasa.core.channels.channel import UserMessage
from sanic.compat import Header
from sanic.response import HTTPResponse

from bot.channels.sms import SmsChannel
from bot.channels.sms.channel import KANNEL_NO_QUERY, KANNEL_POST_ONLY, MORE_HINT, SmsSettings
from bot.channels.sms.gateways import InboundSms, twilio_signature
from bot.channels.sms.keywords import KEYWORDS, match
from bot.i18n import translator
from bot.privacy import default_pseudonymiser
from bot.render import PAGE_KEY, STEP_PAGE
from tests.support.rasa import BrokenBot, RecordingBot

PHONE = "+9779812345678"
SMS_CAPABILITIES = {"buttons": False, "max_chars": 459, "segment_budget": 3}
HINT = "Reply MORE for the rest."
MORE_CHOICE = '/choose_option{"choice":"more:answer"}'
SOURCES_CHOICE = '/choose_option{"choice":"sources:answer"}'
LONG_TURN = ("A" * 200, "B" * 200, "C" * 200)  # three messages, two pages
LONG_PAGES = ["A" * 200 + "\n" + "B" * 200 + "\n" + HINT, "C" * 200]


def no_agent() -> SimpleNamespace:
    """A request to a server without a Rasa agent: the MORE hint is in English."""
    return SimpleNamespace(app=SimpleNamespace(ctx=SimpleNamespace()))


def send(channel: SmsChannel, bot: RecordingBot | BrokenBot, text: str,
         number: str = PHONE, gateway: str = "generic") -> str | None:
    return asyncio.run(channel.answer(gateway, InboundSms(number, text), bot, no_agent()))


def test_rasa_gets_the_pseudonym_the_origin_and_the_sms_capabilities(secrets_dir):
    bot = RecordingBot("Hello", "Choose:\n1. English")
    assert send(SmsChannel(), bot, "hello") == "Hello\nChoose:\n1. English"
    [message] = bot.received
    assert message.text == "hello" and message.input_channel == "sms-generic"
    assert message.sender_id == default_pseudonymiser().pseudonym("sms-generic", PHONE)
    assert message.metadata == {"origin_hint": "NP", "capabilities": SMS_CAPABILITIES}


def test_a_number_of_no_country_gives_no_origin_hint(secrets_dir):
    bot = RecordingBot("Hello")
    send(SmsChannel(), bot, "hello", number="+80012345678")
    assert bot.received[0].metadata == {"capabilities": SMS_CAPABILITIES}


def test_a_long_answer_comes_in_pages_and_more_sends_the_next(secrets_dir):
    channel, bot = SmsChannel(), RecordingBot(*LONG_TURN)
    assert send(channel, bot, "what about wages?") == LONG_PAGES[0]
    assert send(channel, bot, "थप") == LONG_PAGES[1]
    assert bot.texts == ["what about wages?"]  # the page came from the channel, not Rasa


def test_more_with_nothing_waiting_goes_to_the_bot_as_the_more_choice(secrets_dir):
    channel, bot = SmsChannel(), RecordingBot(*LONG_TURN)
    send(channel, bot, "wages")
    send(channel, bot, "MORE")
    bot.replies = ["The rest of the answer."]
    assert send(channel, bot, "Más.") == "The rest of the answer."
    assert bot.texts == ["wages", MORE_CHOICE]


@pytest.mark.parametrize("word", ["SOURCES", "fuente", "स्रोत", "المصادر"])
def test_sources_always_goes_to_the_bot_as_the_sources_choice(secrets_dir, word):
    channel, bot = SmsChannel(), RecordingBot(*LONG_TURN)
    send(channel, bot, "wages")
    bot.replies = ["Source: ILO C189"]
    assert send(channel, bot, word) == "Source: ILO C189"
    # The pages that were waiting are dropped: MORE now asks the bot.
    send(channel, bot, "more")
    assert bot.texts == ["wages", SOURCES_CHOICE, MORE_CHOICE]


def test_a_new_question_drops_the_waiting_pages(secrets_dir):
    channel, bot = SmsChannel(), RecordingBot(*LONG_TURN)
    send(channel, bot, "wages")
    bot.replies = ["Short."]
    assert send(channel, bot, "and my passport?") == "Short."
    assert send(channel, bot, "more") == "Short."
    assert bot.texts == ["wages", "and my passport?", MORE_CHOICE]


def test_stop_help_and_start_are_intents(secrets_dir):
    bot = RecordingBot("OK")
    for text in ("STOP", "aide", "शुरू"):
        send(SmsChannel(), bot, text)
    assert bot.texts == ["/stop", "/help", "/greet"]


class StepBot(RecordingBot):
    """Answers with a procedure step, marked as Rasa sends it (its custom JSON after its
    text), then ``replies``."""

    def __init__(self, step: str, *replies: str) -> None:
        super().__init__(*replies)
        self.step = step

    async def __call__(self, message: UserMessage) -> None:
        self.received.append(message)
        channel = message.output_channel
        await channel.send_text_message(message.sender_id, self.step)
        await channel.send_custom_json(message.sender_id, {PAGE_KEY: STEP_PAGE})
        for text in self.replies:
            await channel.send_text_message(message.sender_id, text)


NE_STEP = "चरण 1 / 3: " + " ".join(["उजुरी गर्नुहोस्"] * 20)  # 330 UCS-2 units: 5 segments
NE_NEXT = 'अर्को चरण पढ्न "थप", स्रोत हेर्न "स्रोत" लेखेर पठाउनुहोस्।'


def test_a_procedure_step_is_one_page_beyond_the_budget_and_more_asks_for_the_next(
        secrets_dir):
    channel, bot = SmsChannel(), StepBot(NE_STEP, NE_NEXT)
    assert send(channel, bot, "उजुरी कसरी गर्ने?") == NE_STEP + "\n" + NE_NEXT  # 6 segments
    bot.step = "चरण 2 / 3: " + " ".join(["समितिमा जानुहोस्"] * 20)
    assert send(channel, bot, "थप").startswith("चरण 2 / 3: ")
    assert bot.texts == ["उजुरी कसरी गर्ने?", MORE_CHOICE]  # nothing waited in the channel


def test_a_step_too_long_for_its_cap_is_paged_like_any_answer(secrets_dir, caplog):
    channel, bot = SmsChannel(), StepBot("क" * 700, NE_NEXT)  # 11 segments
    with caplog.at_level(logging.WARNING):
        first = send(channel, bot, "उजुरी कसरी गर्ने?")
    assert first == "क" * 176 + "\n" + HINT
    assert send(channel, bot, "थप") == "क" * 176 + "\n" + HINT
    assert "longer than 10 segments" in caplog.text and "क" not in caplog.text


def test_a_failed_turn_is_none(secrets_dir):
    assert send(SmsChannel(), BrokenBot("hello " + PHONE), "hello") is None


def test_the_more_hint_names_a_more_keyword_of_its_language():
    for language in KEYWORDS:
        hint = translator(language).gettext(MORE_HINT)
        words = {word.strip('."“”«»!,।።').casefold() for word in hint.split()}
        assert any(match(word) == "more" for word in words), language


def test_settings_come_from_credentials_then_the_environment(monkeypatch):
    monkeypatch.setenv("BOT_TWILIO_AUTH_TOKEN", "from-env")
    monkeypatch.setenv("BOT_SMS_KANNEL_SECRET", "env-kannel")
    monkeypatch.setenv("BOT_SMS_AFRICASTALKING_SECRET", "env-at")
    monkeypatch.setenv("BOT_SMS_GENERIC_SECRET", "env-generic")
    settings = SmsSettings.from_credentials({"default_region": "np",
                                             "kannel_secret": "file-kannel"})
    assert settings.default_region == "NP" and settings.twilio_auth_token == "from-env"
    assert (settings.kannel_secret, settings.africastalking_secret,
            settings.generic_secret) == ("file-kannel", "env-at", "env-generic")
    from_env = SmsSettings.from_credentials(None)
    assert (from_env.kannel_secret, from_env.africastalking_secret,
            from_env.generic_secret) == ("env-kannel", "env-at", "env-generic")


def test_the_old_shared_secret_opens_nothing_and_says_what_replaces_it(monkeypatch, caplog):
    for name in ("BOT_SMS_KANNEL_SECRET", "BOT_SMS_AFRICASTALKING_SECRET",
                 "BOT_SMS_GENERIC_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BOT_SMS_SECRET", "old-shared-secret")
    settings = SmsSettings.from_credentials({"secret": "old-file-secret"})
    assert (settings.kannel_secret, settings.africastalking_secret,
            settings.generic_secret) == (None, None, None)
    assert [record.getMessage() for record in caplog.records] == [
        "sms: the shared secret (BOT_SMS_SECRET) is no longer read; each gateway has its "
        "own: BOT_SMS_KANNEL_SECRET, BOT_SMS_AFRICASTALKING_SECRET, BOT_SMS_GENERIC_SECRET"]
    assert "old-shared-secret" not in caplog.text and "old-file-secret" not in caplog.text


# -- the routes, without a server ----------------------------------------------------------
KANNEL_SECRET, AFRICASTALKING_SECRET, GENERIC_SECRET = "k-secret", "at-secret", "g-secret"
TWILIO_TOKEN = "twilio-token"
TWILIO_URL = "https://bot.example.org/webhooks/sms/twilio"
SETTINGS = SmsSettings(default_region="NP", kannel_secret=KANNEL_SECRET,
                       africastalking_secret=AFRICASTALKING_SECRET,
                       generic_secret=GENERIC_SECRET, twilio_auth_token=TWILIO_TOKEN,
                       africastalking_username="sandbox", africastalking_api_key="at-key")
UTF8 = 'text/plain; charset="UTF-8"'
WRONG_SECRET = {"error": "missing or wrong secret"}


def http_request(body: bytes = b"", headers: dict[str, str] | None = None, query: str = "",
                 method: str = "POST", url: str = "") -> SimpleNamespace:
    """What a route reads of a Sanic request; tasks the route starts are kept, not run."""
    app = SimpleNamespace(ctx=SimpleNamespace(), tasks=[])
    app.add_task = app.tasks.append
    return SimpleNamespace(method=method, body=body, headers=Header(headers or {}),
                           query_string=query, app=app, url=url, path=url)


def basic(password: str, user: str = "kannel") -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def kannel_request(text: str = "hello", number: str | None = PHONE,
                   authorization: str | None = basic(KANNEL_SECRET), content_type: str = UTF8,
                   coding: str = "0", **overrides) -> SimpleNamespace:
    """A request as Kannel 1.4.5's post-url with send-sender = true makes it."""
    headers = {"User-Agent": "Kannel/1.4.5", "Content-Type": content_type,
               "X-Kannel-To": "1234", "X-Kannel-Coding": coding, "X-Kannel-SMSC": "fake"}
    if number is not None:
        headers["X-Kannel-From"] = number
    if authorization is not None:
        headers["Authorization"] = authorization
    return http_request(**{"body": text.encode("utf-8"), "headers": headers, **overrides})


def generic_request(secret: str | None = GENERIC_SECRET, text: str = "hello",
                    number: str = PHONE) -> SimpleNamespace:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Bot-Secret"] = secret
    return http_request(json.dumps({"from": number, "text": text}).encode(), headers)


def africastalking_request(secret: str = AFRICASTALKING_SECRET) -> SimpleNamespace:
    return http_request(f"from=%2B977{PHONE[4:]}&to=20880&text=hello".encode(),
                        {"Content-Type": "application/x-www-form-urlencoded"},
                        query=f"secret={secret}")


def twilio_request() -> SimpleNamespace:
    fields = {"From": PHONE, "Body": "hello"}
    signature = twilio_signature(TWILIO_URL, {k: [v] for k, v in fields.items()}, TWILIO_TOKEN)
    return http_request(f"From=%2B{PHONE[1:]}&Body=hello".encode(),
                        {"Content-Type": "application/x-www-form-urlencoded",
                         "X-Twilio-Signature": signature}, url=TWILIO_URL)


Route = Callable[[SmsChannel], Callable[..., Awaitable[HTTPResponse]]]
ROUTES: dict[str, Route] = {
    "kannel": lambda channel: channel.receive_kannel,
    "twilio": lambda channel: channel.receive_twilio,
    "africastalking": lambda channel: channel.receive_africastalking,
    "generic": lambda channel: channel.receive_generic,
}


def call(channel: SmsChannel, gateway: str, request: SimpleNamespace,
         bot: RecordingBot) -> HTTPResponse:
    answer = asyncio.run(ROUTES[gateway](channel)(request, bot))
    for task in request.app.tasks:
        task.close()  # the Africa's Talking send: it would go to the internet
    return answer


def refusal(answer: HTTPResponse) -> tuple[int, dict[str, str]]:
    return answer.status, json.loads(answer.body)


def test_kannel_post_url_gives_rasa_the_sms_and_the_reply_goes_back_as_the_body(secrets_dir):
    bot = RecordingBot("Hello", "Choose:\n1. English")
    answer = call(SmsChannel(SETTINGS), "kannel", kannel_request(text="hello"), bot)
    assert (answer.status, answer.body) == (200, b"Hello\nChoose:\n1. English")
    assert answer.content_type == "text/plain; charset=utf-8"
    [message] = bot.received
    assert (message.text, message.input_channel) == ("hello", "sms-kannel")
    assert message.sender_id == default_pseudonymiser().pseudonym("sms-kannel", PHONE)


@pytest.mark.parametrize(("content_type", "coding", "body"), [
    ('text/plain; charset="UTF-16BE"', "2", "नमस्ते".encode("utf-16-be")),  # no mo-recode
    ("application/octet-stream", "2", "नमस्ते".encode("utf-16-be")),  # Kannel before 1.4.4
    (UTF8, "0", "नमस्ते".encode()),  # UCS-2 that mo-recode made UTF-8
])
def test_kannel_ucs2_bodies_are_read_as_utf16be(secrets_dir, content_type, coding, body):
    bot = RecordingBot("नमस्ते")
    request = kannel_request(content_type=content_type, coding=coding, body=body)
    answer = call(SmsChannel(SETTINGS), "kannel", request, bot)
    assert (answer.status, bot.texts) == (200, ["नमस्ते"])
    assert answer.headers["X-Kannel-Coding"] == "2"  # the reply, in UCS-2 too


def test_the_kannel_secret_may_come_in_x_bot_secret(secrets_dir):
    bot = RecordingBot("Hello")
    request = kannel_request(authorization=None)
    request.headers["X-Bot-Secret"] = KANNEL_SECRET
    assert call(SmsChannel(SETTINGS), "kannel", request, bot).status == 200
    assert bot.texts == ["hello"]


@pytest.mark.parametrize(("request_", "status", "error"), [
    (kannel_request(method="GET"), 405, KANNEL_POST_ONLY),
    (kannel_request(method="GET", authorization=None,
                    query=f"from=%2B{PHONE[1:]}&to=1234&text=hello&secret={KANNEL_SECRET}"),
     405, KANNEL_POST_ONLY),
    (kannel_request(query=f"secret={KANNEL_SECRET}"), 400, KANNEL_NO_QUERY),
    (kannel_request(query=f"from=%2B{PHONE[1:]}"), 400, KANNEL_NO_QUERY),
    (kannel_request(query="text=hello"), 400, KANNEL_NO_QUERY),
    (kannel_request(authorization=None), 403, "missing or wrong secret"),
    (kannel_request(authorization=basic("wrong")), 403, "missing or wrong secret"),
    (kannel_request(authorization=basic(GENERIC_SECRET)), 403, "missing or wrong secret"),
    (kannel_request(authorization=f"Bearer {KANNEL_SECRET}"), 403, "missing or wrong secret"),
    (kannel_request(authorization="Basic !!!"), 403, "missing or wrong secret"),
    (kannel_request(number=None), 400,
     "X-Kannel-From is missing: set send-sender = true in the sms-service "
     "(see docs/kannel.conf)"),
    (kannel_request(number="12"), 400, "the sender is not a valid phone number"),
    (kannel_request(content_type="application/octet-stream", coding="1"), 400,
     "8-bit (binary) messages are not text"),
    (kannel_request(body=b"\xff"), 400, "the body is not in its charset"),
], ids=["get", "get-url", "query-secret", "query-from", "query-text", "no-secret",
        "wrong-secret", "another-gateways-secret", "not-basic", "bad-basic", "no-sender",
        "bad-number", "8-bit", "bad-utf8"])
def test_kannel_refuses_with_the_reason_and_rasa_sees_nothing(secrets_dir, caplog, request_,
                                                              status, error):
    caplog.set_level(logging.INFO)
    bot = RecordingBot("Hello")
    answer = call(SmsChannel(SETTINGS), "kannel", request_, bot)
    assert refusal(answer) == (status, {"error": error})
    assert answer.headers.get("Allow") == ("POST" if status == 405 else None)
    assert bot.received == []
    assert PHONE[4:] not in caplog.text and "hello" not in caplog.text


@pytest.mark.parametrize(("gateway", "request_", "error"), [
    ("kannel", kannel_request(), "Kannel is not configured"),
    ("generic", generic_request(), "the generic gateway is not configured"),
    ("africastalking", africastalking_request(), "Africa's Talking is not configured"),
])
def test_a_gateway_without_its_secret_is_off(secrets_dir, gateway, request_, error):
    # Every other secret is set, and the request carries the gateway's usual one.
    settings = dataclasses.replace(SETTINGS, **{f"{gateway}_secret": None})
    bot = RecordingBot("Hello")
    assert refusal(call(SmsChannel(settings), gateway, request_, bot)) == (403, {"error": error})
    assert bot.received == []


@pytest.mark.parametrize(("gateway", "request_"), [
    ("generic", generic_request(secret=KANNEL_SECRET)),
    ("generic", generic_request(secret=AFRICASTALKING_SECRET)),
    ("generic", generic_request(secret=None)),
    ("africastalking", africastalking_request(secret=GENERIC_SECRET)),
    ("kannel", kannel_request(authorization=basic(AFRICASTALKING_SECRET))),
])
def test_one_gateways_secret_opens_no_other(secrets_dir, gateway, request_):
    bot = RecordingBot("Hello")
    assert refusal(call(SmsChannel(SETTINGS), gateway, request_, bot)) == (403, WRONG_SECRET)
    assert bot.received == []


def test_the_generic_secret_is_read_from_the_header_only(secrets_dir):
    request = generic_request(secret=None)
    request.query_string = f"secret={GENERIC_SECRET}"
    bot = RecordingBot("Hello")
    assert refusal(call(SmsChannel(SETTINGS), "generic", request, bot)) == (403, WRONG_SECRET)


def test_each_gateway_is_its_own_conversation_for_the_same_number(secrets_dir):
    bot = RecordingBot("Hello")
    channel = SmsChannel(SETTINGS)
    requests = {"kannel": kannel_request(), "twilio": twilio_request(),
                "africastalking": africastalking_request(), "generic": generic_request()}
    for gateway, request in requests.items():
        assert call(channel, gateway, request, bot).status == 200, gateway
    assert requests["africastalking"].app.tasks  # its reply went to the API, not the answer
    pseudonyms = default_pseudonymiser()
    assert [(m.input_channel, m.sender_id) for m in bot.received] == [
        (f"sms-{gateway}", pseudonyms.pseudonym(f"sms-{gateway}", PHONE))
        for gateway in requests]
    assert len({message.sender_id for message in bot.received}) == 4


def test_pages_waiting_on_one_gateway_cannot_be_read_through_another(secrets_dir):
    channel, bot = SmsChannel(SETTINGS), RecordingBot(*LONG_TURN)
    assert call(channel, "kannel", kannel_request(text="wages"), bot).body == \
        LONG_PAGES[0].encode()
    bot.replies = ["Nothing is waiting."]
    through_generic = call(channel, "generic", generic_request(text="MORE"), bot)
    assert json.loads(through_generic.body) == {"messages": [{"text": "Nothing is waiting."}]}
    # The page still waits for the number on Kannel, and only there.
    assert call(channel, "kannel", kannel_request(text="MORE"), bot).body == \
        LONG_PAGES[1].encode()
    assert bot.texts == ["wages", MORE_CHOICE]
