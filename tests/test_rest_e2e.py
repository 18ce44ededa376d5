"""Whole conversations over the REST channel, with the trained model and real servers."""

from __future__ import annotations

import json
import urllib.request
import uuid
from decimal import Decimal

import pytest

from bot import languages
from bot.countries import country_name
from bot.dialogue import COUNTRY_QUESTIONS, LANGUAGE_ORIGINS
from bot.i18n import translator
from bot.servers import MODEL, running_bot
from tests.support.rest import FEE_QUESTIONS, send, texts

pytestmark = pytest.mark.model

@pytest.fixture(scope="module")
def bot_url(tmp_path_factory):
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` (make test does it)")
    with running_bot(tmp_path_factory.mktemp("bot")) as url:
        yield url


def unchecked_marker(language: str) -> str:
    """What follows a fact's short source until a caseworker has checked it."""
    return translator(language).gettext("({source}, not yet checked)").split("{source}")[1]


@pytest.mark.parametrize("language", sorted(FEE_QUESTIONS))
def test_a_fee_question_without_a_country_gets_a_short_sourced_answer(bot_url, language):
    sender = f"fee-{language}-{uuid.uuid4().hex[:8]}"
    status, replies = send(bot_url, sender, FEE_QUESTIONS[language])
    assert status == 200
    t = translator(language)
    assert unchecked_marker(language) in replies[0]["text"]
    assert "https://" not in texts(replies)
    # Nepali, Tagalog, Bengali, Amharic and Indonesian speakers are taken to come from
    # Nepal, the Philippines, Bangladesh, Ethiopia and Indonesia, and told so.
    if language in LANGUAGE_ORIGINS:
        hint = t.gettext("(From {country}? Reply 0 to change.)").format(
            country=country_name(LANGUAGE_ORIGINS[language], language))
        assert hint in texts(replies)
    else:  # the fee cap is the origin's: the bot asks where they come from
        assert t.gettext(COUNTRY_QUESTIONS["origin"]) in texts(replies)


def test_walking_skeleton_greet_choose_language_then_corridor_fee(bot_url):
    sender = f"walk-{uuid.uuid4().hex[:8]}"
    _status, replies = send(bot_url, sender, "hello")
    assert "नेपाली" in texts(replies)  # the language menu is offered
    menu_lines = texts(replies).splitlines()
    nepali_number = next(line.split(".")[0] for line in menu_lines if "नेपाली" in line)
    _status, replies = send(bot_url, sender, nepali_number)
    ne = translator("ne")
    assert texts(replies).startswith(ne.gettext(
        "I will write in {language}. Ask me a question, or say \"help\" to see all "
        "topics.").format(language="नेपाली"))
    # A question in English now still gets answers in the chosen language, the
    # corridor's rule first, with its number, in one short reply.
    _status, replies = send(bot_url, sender, "I am from Nepal working in Qatar, what fee "
                                             "can the recruitment agency charge?")
    text = texts(replies)
    assert ne.format_amount(Decimal(10000), "NPR") in replies[0]["text"]
    assert unchecked_marker("ne") in replies[0]["text"]
    assert len(text) <= 500


GREETING = "Hello! I give free and confidential information about the rights of migrant workers."


@pytest.mark.parametrize(("first", "answer"), [
    ("hi", GREETING), ("hello", GREETING),
    ("ok", "OK. Ask me a question, or say \"help\" to see all topics."),
])
def test_a_first_short_message_is_answered_in_english(bot_url, first, answer):
    """"hi" is not Hindi: a short first message keeps the default language."""
    _status, replies = send(bot_url, f"short-{uuid.uuid4().hex[:8]}", first)
    assert replies[0]["text"] == answer


@pytest.mark.parametrize("message", [
    "", "   ", "🙂🙂🙏", "a" * 5000, "مرحبا hello नमस्ते ሰላም 你好",
    "x" * 20 + " <script>alert(1)</script> ' OR 1=1 --",
])
def test_odd_messages_get_a_clear_answer_and_the_next_message_works(bot_url, message):
    sender = f"odd-{uuid.uuid4().hex[:8]}"
    status, replies = send(bot_url, sender, message)
    assert status == 200
    assert replies and all(reply.get("text") for reply in replies)
    status, replies = send(bot_url, sender, "what rights do domestic workers have?")
    assert status == 200
    assert any(unchecked_marker(language) in texts(replies) for language in languages.CODES)


def test_a_language_the_bot_does_not_speak_gets_the_language_menu(bot_url):
    sender = f"de-{uuid.uuid4().hex[:8]}"
    _status, replies = send(bot_url, sender, "Guten Tag, ich habe eine Frage zu meinem "
                                             "Arbeitsvertrag in Deutschland")
    text = texts(replies)
    assert "English" in text and "नेपाली" in text and "العربية" in text


@pytest.mark.parametrize("body", [
    b"{not json", b"[]", b'{"message": "hi"}', b'{"sender": "", "message": "hi"}',
    b'{"sender": "x", "message": 5}', b'{"sender": "x", "message": "hi", "metadata": 3}',
    b"\xff\xfe\x00garbage", b"[" * 5000,
])
def test_malformed_rest_bodies_get_400_and_the_server_keeps_working(bot_url, body):
    status, _replies = send(bot_url, "", None, raw=body)
    assert status == 400
    status, replies = send(bot_url, f"after-{uuid.uuid4().hex[:8]}", "hello")
    assert status == 200 and replies


def test_a_20_mb_body_is_refused_unparsed_and_the_server_keeps_working(bot_url):
    request = urllib.request.Request(f"{bot_url}/webhooks/rest/webhook",
                                     data=b"[" * 20_000_000,  # deep nesting, were it parsed
                                     headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=60)  # noqa: S310 - localhost
    assert (refused.value.code, json.loads(refused.value.read())) == (
        400, {"error": "the body must be at most 65536 bytes"})
    status, replies = send(bot_url, f"after-{uuid.uuid4().hex[:8]}", "hello")
    assert status == 200 and replies


def test_a_message_without_text_gets_an_answer(bot_url):
    status, replies = send(bot_url, "", None, raw=b'{"sender": "no-text-user"}')
    assert status == 200 and replies
