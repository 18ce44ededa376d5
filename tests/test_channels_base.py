"""The turn every channel shares: body checks, text limits, pseudonyms, capabilities, failures."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from rasa.core.channels.channel import CollectingOutputChannel

from bot.channels import base
from bot.channels.base import InvalidMessage, json_object, message_text, run_turn
from bot.channels.rest import RestChannel
from bot.channels.sms import SmsChannel
from bot.channels.telegram import TelegramChannel
from bot.channels.web import WebChannel
from bot.privacy import default_pseudonymiser
from bot.render import CHAT, PLAIN_TEXT, SMS
from tests.support.rasa import BrokenBot, RecordingBot

PHONE = "+9779812345678"
CHAT_CAPABILITIES = {"buttons": True, "max_chars": 500, "segment_budget": None}


def base_log(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == base.__name__]


def test_a_turn_reaches_rasa_under_the_pseudonym_with_the_capabilities(secrets_dir):
    bot = RecordingBot("Choose your language:")
    replies = asyncio.run(run_turn("web", "session-1", "bonjour", {"language_hint": "fr"},
                                   bot, CHAT))
    [message] = bot.received
    expected_id = default_pseudonymiser().pseudonym("web", "session-1")
    assert message.sender_id == expected_id == base.pseudonym("web", "session-1")
    assert len(expected_id) == 32 and "session-1" not in expected_id
    assert (message.text, message.input_channel) == ("bonjour", "web")
    assert message.metadata == {"language_hint": "fr", "capabilities": CHAT_CAPABILITIES}
    assert replies == [{"recipient_id": expected_id, "text": "Choose your language:"}]


def test_the_channel_declares_the_capabilities_not_the_client(secrets_dir):
    bot = RecordingBot()
    asyncio.run(run_turn("rest", "x", "hi", {"capabilities": {"buttons": True}}, bot,
                         PLAIN_TEXT))
    assert bot.received[0].metadata == {"capabilities": {
        "buttons": False, "max_chars": 500, "segment_budget": None}}


def test_sms_capabilities_go_with_the_origin_hint(secrets_dir):
    bot = RecordingBot()
    asyncio.run(run_turn("sms", PHONE, "hello", {"origin_hint": "NP"}, bot, SMS))
    assert bot.received[0].metadata == {"origin_hint": "NP", "capabilities": {
        "buttons": False, "max_chars": 459, "segment_budget": 3}}


def test_with_an_output_channel_the_replies_go_there(secrets_dir):
    output = CollectingOutputChannel()
    replies = asyncio.run(run_turn("telegram", "7310000123", "hi", {}, RecordingBot("one", "two"),
                                   CHAT, output=output))
    assert replies == []
    assert [message["text"] for message in output.messages] == ["one", "two"]


def test_a_failure_is_none_and_the_log_holds_only_the_error_class(secrets_dir, caplog):
    caplog.set_level(logging.DEBUG)
    replies = asyncio.run(run_turn("rest", PHONE, "my name is Rina", {},
                                   BrokenBot("Rina " + PHONE), PLAIN_TEXT))
    assert replies is None
    assert base_log(caplog) == ["rest: message handling failed: RuntimeError"]
    assert "Rina" not in caplog.text and PHONE not in caplog.text


def test_a_pseudonymiser_failure_is_none_and_nothing_reaches_rasa(secrets_dir, caplog):
    (secrets_dir / "pseudonym.key").write_bytes(b"too short")
    bot = RecordingBot()
    assert asyncio.run(run_turn("web", "session-1", "hi", {}, bot, CHAT)) is None
    assert bot.received == []
    assert base_log(caplog) == ["web: message handling failed: KeyFileError"]


@pytest.mark.parametrize(("channel", "capabilities"), [
    (RestChannel, PLAIN_TEXT), (WebChannel, CHAT), (TelegramChannel, CHAT), (SmsChannel, SMS),
])
def test_each_channel_declares_its_capabilities(channel, capabilities):
    assert channel.capabilities == capabilities


def test_json_objects_are_parsed_or_refused_with_a_reason():
    assert json_object(b'{"sender": "a", "message": "hi"}') == {"sender": "a", "message": "hi"}
    assert json_object(b"{}", max_bytes=2) == {}
    reasons = {}
    for raw, max_bytes in [(b"{not json", None), (b"\xff\xfe", None), (b"[]", None),
                           (b'"hello"', None), (b"", None), (b"{ }", 2),
                           (b"[" * 5000, None), (b'{"a":' * 5000, None)]:
        with pytest.raises(InvalidMessage) as error:
            json_object(raw, max_bytes)
        reasons[raw] = str(error.value)
    assert reasons == {
        b"{not json": "the body must be a JSON object in UTF-8",
        b"\xff\xfe": "the body must be a JSON object in UTF-8",
        b"[]": "the body must be a JSON object",
        b'"hello"': "the body must be a JSON object",
        b"": "the body must be a JSON object in UTF-8",
        b"{ }": "the body must be at most 2 bytes",
        b"[" * 5000: "the body is nested too deeply",
        b'{"a":' * 5000: "the body is nested too deeply",
    }


def test_texts_are_cut_and_non_strings_refused():
    assert message_text(None, "'message'") == ""
    assert message_text("hello", "'message'") == "hello"
    assert message_text("x" * 9000, "'message'") == "x" * base.MAX_TEXT_CHARS
    assert base.MAX_TEXT_CHARS == 5000
    with pytest.raises(InvalidMessage) as error:
        message_text(["hi"], "the text")
    assert str(error.value) == "the text must be a string"


def test_refusals_and_unavailability_say_why_and_nothing_more(caplog):
    caplog.set_level(logging.INFO)
    refused = base.refuse("sms kannel", 403, "missing or wrong secret")
    assert (refused.status, json.loads(refused.body)) == (403, {"error": "missing or wrong secret"})
    assert base_log(caplog) == ["sms kannel: refused a request (403): missing or wrong secret"]
    failed = base.unavailable()
    assert (failed.status, json.loads(failed.body)) == (
        503, {"error": "temporarily unavailable, try again"})
