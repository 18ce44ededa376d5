"""The web chat channel's parts that need no server: bodies, languages, the page, the webhook."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from types import SimpleNamespace

import pytest
from rasa.core.channels.channel import UserMessage

from bot import languages
from bot.channels import web
from bot.channels.base import InvalidMessage
from bot.channels.web import (
    WebChannel,
    accepted_tags,
    bot_messages,
    negotiate_language,
    parse_body,
)
from bot.i18n import translator
from bot.render import Choice, Reply, choice_payload, render

SESSION = "0123456789abcdef0123456789abcdef"
UI_STRINGS = [web.TITLE, web.PRIVACY_NOTE, web.PLACEHOLDER, web.SEND, web.UNREACHABLE,
              web.CONVERSATION, web.YOU_SAID, web.BOT_SAID, web.NEEDS_JAVASCRIPT]


def body(**fields) -> bytes:
    return json.dumps(fields).encode()


def test_a_good_body_gives_session_text_and_the_page_language_as_hint():
    assert parse_body(body(session=SESSION, message="hello", language="fr-FR")) == (
        SESSION, "hello", {"language_hint": "fr"})
    assert parse_body(body(session=SESSION, message=None)) == (SESSION, "", {})
    assert parse_body(body(session=SESSION, message="hi", language="de")) == (SESSION, "hi", {})
    assert parse_body(body(session=SESSION, message="x" * 9000))[1] == "x" * 5000


@pytest.mark.parametrize("raw", [
    b"{not json", b"\xff\xfe\x00garbage", b"[]", b'"hello"', b"",
    body(message="hi"), body(session="", message="hi"), body(session="short", message="hi"),
    body(session=SESSION + "<script>", message="hi"), body(session=5, message="hi"),
    body(session="a" * 129, message="hi"), body(session=SESSION, message=5),
    body(session=SESSION, message=["hi"]), b" " * (web.MAX_BODY_BYTES + 1),
])
def test_malformed_bodies_are_refused_with_a_reason(raw):
    with pytest.raises(InvalidMessage):
        parse_body(raw)


@pytest.mark.parametrize(("query", "header", "expected"), [
    ("ne", "fr", "ne"),
    ("AR", None, "ar"),
    ("fil", None, "tl"),
    ("xx", "es-MX,es;q=0.9,en;q=0.8", "es"),
    (None, "de-DE,de;q=0.9,fr;q=0.8,en;q=0.5", "fr"),
    (None, "en;q=0.2, hi;q=0.9", "hi"),
    (None, "fil-PH", "tl"),
    (None, "ne-NP;q=0, bn", "bn"),
    (None, "de, *", "en"),
    (None, "", "en"),
    (None, None, "en"),
    (None, "q=;;,,;q=abc", "en"),
])
def test_the_page_language_comes_from_the_query_then_accept_language(query, header, expected):
    assert negotiate_language(query, header) == expected


def test_accept_language_is_ordered_by_quality_then_position():
    assert accepted_tags("a;q=0.5, b, c;q=0.9, d") == ["b", "d", "c", "a"]


def test_every_page_string_is_translated_in_every_language():
    for language in languages.CODES:
        for message in UI_STRINGS:
            assert translator(language).lookup(message) is not None, (language, message)


def request(path: str = "/webhooks/web/", args: dict | None = None,
            headers: dict | None = None, raw: bytes = b"") -> SimpleNamespace:
    return SimpleNamespace(path=path, args=args or {}, headers=headers or {}, body=raw)


def html_of(answer) -> str:
    return answer.body.decode("utf-8")


@pytest.mark.parametrize("language", languages.CODES)
def test_the_page_is_in_the_chosen_language_and_direction(language):
    answer = WebChannel().page(request(args={"lang": language}))
    page = html_of(answer)
    expected_dir = "rtl" if language == "ar" else "ltr"
    tag = languages.get(language).locale.language
    assert f'<html lang="{tag}" dir="{expected_dir}">' in page
    t = translator(language)
    for message in (web.TITLE, web.PLACEHOLDER, web.SEND):
        assert t.gettext(message).replace("'", "&#x27;") in page
    assert 'aria-live="polite"' in page and '<label for="message"' in page


def test_the_page_loads_nothing_from_elsewhere_and_allows_only_its_own_code():
    answer = WebChannel().page(request(headers={"accept-language": "ne-NP,ne;q=0.9"}))
    page = html_of(answer)
    assert '<html lang="ne" dir="ltr">' in page
    markup = re.sub(r"<script[^>]*>.*?</script>", "", page, flags=re.S)
    assert not re.search(r"""<[^>]*\s(src|href|action)\s*=|@import|url\(|https?:""", markup)
    policy = answer.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert page.count(f'nonce="{nonce}"') == 2  # the one style and the one script
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy
    assert "innerHTML" not in page and "eval(" not in page
    assert WebChannel().page(request()).headers["Content-Security-Policy"] != policy


def test_the_endpoint_is_relative_to_where_the_page_is_served():
    assert 'data-endpoint="webhook"' in html_of(WebChannel().page(request()))
    assert 'data-endpoint="web/webhook"' in html_of(WebChannel().page(request("/webhooks/web")))


def test_translations_are_escaped_in_the_page(monkeypatch):
    class Evil:
        def gettext(self, _message):
            return '"><script>alert(1)</script>'

    monkeypatch.setattr(web, "translator", lambda _language: Evil())
    page = web.page("en", "webhook", "n0nce")
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page


def test_web_replies_get_buttons_with_the_choice_payload():
    choice = Choice("language:fr", "Français")
    message = render(Reply("Choose your language:", [choice]), WebChannel.capabilities,
                     translator("en"))
    assert message["buttons"] == [{"title": "Français", "payload": choice_payload(choice)}]
    assert "1." not in message["text"]


def test_bot_messages_keep_only_text_and_buttons():
    collected = [{"recipient_id": "abc", "text": "hi", "buttons": [
                     {"title": "A", "payload": "/a"}, {"title": "no payload"}, "junk"]},
                 {"recipient_id": "abc", "image": "https://example.org/x.png"},
                 {"recipient_id": "abc", "text": "bye"}]
    assert bot_messages(collected) == [
        {"text": "hi", "buttons": [{"title": "A", "payload": "/a"}]},
        {"text": "bye", "buttons": []}]


# -- the webhook, without Rasa -------------------------------------------------------------
def webhook(raw: bytes, handler=None) -> tuple[int, dict, list[UserMessage]]:
    received: list[UserMessage] = []

    async def on_new_message(message: UserMessage) -> None:
        received.append(message)
        await message.output_channel.send_text_with_buttons(
            message.sender_id, "Choose your language:",
            [{"title": "Français", "payload": '/choose_option{"choice":"language:fr"}'}])

    answer = asyncio.run(WebChannel().receive(request(raw=raw), handler or on_new_message))
    return answer.status, json.loads(answer.body), received


def test_the_webhook_passes_a_pseudonymous_message_and_returns_the_replies(secrets_dir):
    status, answer, received = webhook(body(session=SESSION, message="bonjour", language="fr"))
    assert status == 200
    [message] = received
    assert message.text == "bonjour" and message.input_channel == "web"
    assert message.metadata == {"language_hint": "fr", "capabilities": {
        "buttons": True, "max_chars": 500, "segment_budget": None}}
    assert SESSION not in message.sender_id and len(message.sender_id) == 32
    assert answer == {"messages": [{"text": "Choose your language:", "buttons": [
        {"title": "Français", "payload": '/choose_option{"choice":"language:fr"}'}]}]}
    assert message.sender_id not in json.dumps(answer)
    # The same session is the same conversation; another session is another.
    assert webhook(body(session=SESSION, message="x"))[2][0].sender_id == message.sender_id
    assert webhook(body(session="f" * 32, message="x"))[2][0].sender_id != message.sender_id


@pytest.mark.parametrize("raw", [b"{not json", b"\xff\xfe", body(message="hi"),
                                 body(session=SESSION, message=3)])
def test_the_webhook_refuses_malformed_bodies_with_400(secrets_dir, raw):
    status, answer, received = webhook(raw)
    assert status == 400 and answer["error"] and received == []


def test_a_failure_gets_a_503_and_the_log_holds_no_content(secrets_dir, caplog):
    async def broken(_message: UserMessage) -> None:
        raise RuntimeError("secret text " + SESSION)

    caplog.set_level(logging.DEBUG)
    status, answer, _received = webhook(body(session=SESSION, message="my name is Rina"), broken)
    assert status == 503 and answer == {"error": "temporarily unavailable, try again"}
    assert "RuntimeError" in caplog.text
    assert "Rina" not in caplog.text and SESSION not in caplog.text
    assert "secret text" not in caplog.text


def test_a_pseudonymiser_failure_gets_a_503(secrets_dir):
    (secrets_dir / "pseudonym.key").write_bytes(b"too short")
    status, _answer, received = webhook(body(session=SESSION, message="hi"))
    assert status == 503 and received == []
