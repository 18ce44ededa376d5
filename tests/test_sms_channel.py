"""The SMS channel without a server: what reaches Rasa (text, pseudonym, metadata), MORE pages,
the MORE and SOURCES keywords, and the settings."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from bot.channels.sms import SmsChannel
from bot.channels.sms.channel import MORE_HINT, SmsSettings
from bot.channels.sms.gateways import InboundSms
from bot.channels.sms.keywords import KEYWORDS, match
from bot.i18n import translator
from bot.privacy import default_pseudonymiser
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
         number: str = PHONE) -> str | None:
    return asyncio.run(channel.answer(InboundSms(number, text), bot, no_agent()))


def test_rasa_gets_the_pseudonym_the_origin_and_the_sms_capabilities(secrets_dir):
    bot = RecordingBot("Hello", "Choose:\n1. English")
    assert send(SmsChannel(), bot, "hello") == "Hello\nChoose:\n1. English"
    [message] = bot.received
    assert message.text == "hello" and message.input_channel == "sms"
    assert message.sender_id == default_pseudonymiser().pseudonym("sms", PHONE)
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


def test_a_failed_turn_is_none(secrets_dir):
    assert send(SmsChannel(), BrokenBot("hello " + PHONE), "hello") is None


def test_the_more_hint_names_a_more_keyword_of_its_language():
    for language in KEYWORDS:
        hint = translator(language).gettext(MORE_HINT)
        words = {word.strip('."“”«»!,।።').casefold() for word in hint.split()}
        assert any(match(word) == "more" for word in words), language


def test_settings_come_from_credentials_then_the_environment(monkeypatch):
    monkeypatch.setenv("BOT_TWILIO_AUTH_TOKEN", "from-env")
    monkeypatch.setenv("BOT_SMS_SECRET", "env-secret")
    settings = SmsSettings.from_credentials({"default_region": "np", "secret": "file-secret"})
    assert settings.default_region == "NP"
    assert settings.secret == "file-secret" and settings.twilio_auth_token == "from-env"
    assert SmsSettings.from_credentials(None).secret == "env-secret"
