"""The Telegram channel's parts: reading updates, commands, buttons, sending, the webhook."""

from __future__ import annotations

import asyncio
import json
import logging
from types import SimpleNamespace

import pytest
from rasa.core.channels.channel import UserMessage
from telegram import Bot, Update

from bot.channels.telegram import (
    SECRET_HEADER,
    TelegramChannel,
    TelegramSender,
    callback_data,
    deep_link_language,
    keyboard,
    payload_from_callback,
    read_update,
    split_text,
    text_for_rasa,
)
from bot.render import Choice, choice_payload
from tests.support.fake_telegram import TOKEN, running_fake_telegram

USER = {"id": 7310000123, "is_bot": False, "first_name": "A", "language_code": "ne"}
CHAT = {"id": 7310000123, "type": "private"}
SECRET = "test-secret_0123456789"


def message(update_id: int = 1, text: str | None = "hello", kind: str = "message",
            chat: dict | None = None, **extra) -> dict:
    body = {"message_id": 5, "date": 1700000000, "chat": chat or CHAT, "from": USER, **extra}
    if text is not None:
        body["text"] = text
    return {"update_id": update_id, kind: body}


def callback(update_id: int, data: str) -> dict:
    return {"update_id": update_id, "callback_query": {
        "id": "cb1", "from": USER, "chat_instance": "1", "data": data,
        "message": {"message_id": 4, "date": 1700000000, "chat": CHAT, "text": "menu"}}}


def parsed(data: dict) -> Update:
    return Update.de_json(data, None)


@pytest.mark.parametrize(("text", "payload"), [
    ("/start", "/greet"),
    ("/start fr", '/choose_option{"choice":"language:fr"}'),
    ("/start lang-ne", '/choose_option{"choice":"language:ne"}'),
    ("/start language_fil", '/choose_option{"choice":"language:tl"}'),
    ("/start xx", "/greet"),
    ("/language", "/change_language"),
    ("/help@rights_bot", "/help"),
    ("/forget", "/forget"),
    ("/stop", "stop"),
    ('/report_abuse{"report_account": "x"}', 'report_abuse{"report_account": "x"}'),
    ("  //greet", "greet"),
    ("how much can the agency charge?", "how much can the agency charge?"),
])
def test_commands_become_intents_and_no_other_text_can(text, payload):
    assert text_for_rasa(text) == payload


def test_deep_link_parameters():
    assert deep_link_language("FR") == "fr"
    assert deep_link_language("lang_bn") == "bn"
    assert deep_link_language("something-else") is None


def test_long_texts_are_cut():
    assert text_for_rasa("a" * 10_000) == "a" * 5000


def test_a_text_message_is_read_with_the_language_hint():
    inbound = read_update(parsed(message(text="namaste")))
    assert inbound.text == "namaste" and inbound.language_hint == "ne"
    assert inbound.chat_id == CHAT["id"] and not inbound.text_only_notice


@pytest.mark.parametrize("update", [
    message(text=None, sticker={"file_id": "s", "file_unique_id": "s", "width": 1,
                                "height": 1, "is_animated": False, "is_video": False,
                                "type": "regular"}),
    message(text=None, photo=[{"file_id": "p", "file_unique_id": "p", "width": 1,
                               "height": 1}]),
    message(text=None, voice={"file_id": "v", "file_unique_id": "v", "duration": 2}),
    message(text="changed", kind="edited_message"),
])
def test_other_messages_get_the_text_only_notice(update):
    inbound = read_update(parsed(update))
    assert inbound.text is None and inbound.text_only_notice


@pytest.mark.parametrize("update", [
    message(chat={"id": -100, "type": "group", "title": "g"}),
    {"update_id": 9, "my_chat_member": {
        "chat": CHAT, "from": USER, "date": 1700000000,
        "old_chat_member": {"status": "member", "user": USER},
        "new_chat_member": {"status": "kicked", "user": USER, "until_date": 0}}},
    {"update_id": 10},
])
def test_groups_and_updates_without_a_message_are_ignored(update):
    assert read_update(parsed(update)) is None


def test_a_button_press_chooses_an_option():
    inbound = read_update(parsed(callback(3, "language:fr")))
    assert inbound.text == '/choose_option{"choice":"language:fr"}'
    assert inbound.callback_query_id == "cb1"


@pytest.mark.parametrize("data", [
    '/report_abuse{"x":1}', "language:fr\"}", "language", "", "a:" + "b" * 80,
    'language:fr"},"x":{"', "/choose_option",
])
def test_forged_callback_data_chooses_nothing(data):
    assert payload_from_callback(data) is None
    inbound = read_update(parsed(callback(3, data)))
    assert inbound.text is None and inbound.callback_query_id == "cb1"


def test_button_payloads_become_short_callback_data_and_back():
    payload = choice_payload(Choice("topic:domestic_worker_rights", "Domestic work"))
    data = callback_data(payload)
    assert data == "topic:domestic_worker_rights" and len(data.encode()) <= 64
    assert payload_from_callback(data) == payload
    assert callback_data('/greet{"choice":"language:fr"}') is None
    markup = keyboard([{"title": "Français", "payload": payload},
                       {"title": "bad", "payload": "/greet"}])
    assert [[button.text for button in row] for row in markup.inline_keyboard] == [["Français"]]


def test_long_replies_are_split_at_line_ends():
    text = "\n".join(["x" * 100] * 100)
    pieces = split_text(text, limit=4096)
    assert all(len(piece) <= 4096 for piece in pieces) and "".join(pieces).count("x") == 10_000
    assert split_text("short") == ["short"]


def test_sending_retries_after_a_flood_wait_and_gives_up_quietly(caplog):
    async def scenario(fake) -> None:
        sender = TelegramSender(Bot(TOKEN, base_url=f"{fake.api_url}/bot"))
        fake.failures = [1]
        await sender.send(42, "first")
        fake.failures = [1, 1, 1]
        await sender.send(42, "second")  # three 429s: given up, no exception
        await sender.send(42, "third")

    with running_fake_telegram() as fake:
        asyncio.run(scenario(fake))
        texts = [call.params["text"] for call in fake.sent(42)]
    assert texts == ["first", "first", "second", "second", "second", "third"]
    assert "RetryAfter" in caplog.text and "second" not in caplog.text


def test_sending_to_an_unreachable_api_does_not_raise(caplog):
    sender = TelegramSender(Bot(TOKEN, base_url="http://127.0.0.1:9/bot"))
    asyncio.run(sender.send(42, "hello"))
    assert "NetworkError" in caplog.text and "hello" not in caplog.text


# -- the webhook, without Rasa -------------------------------------------------------------
def request(body: bytes, secret: str | None = SECRET) -> SimpleNamespace:
    return SimpleNamespace(body=body, headers={SECRET_HEADER: secret} if secret else {})


def webhook(telegram_channel: TelegramChannel, body: bytes, secret: str | None = SECRET
            ) -> tuple[int, list[UserMessage]]:
    received: list[UserMessage] = []

    async def on_new_message(message: UserMessage) -> None:
        received.append(message)

    async def scenario() -> int:
        answer = await telegram_channel.receive(request(body, secret), on_new_message)
        await asyncio.gather(*telegram_channel._tasks)
        return answer.status

    return asyncio.run(scenario()), received


@pytest.fixture
def configured(secrets_dir):
    with running_fake_telegram() as fake:
        yield TelegramChannel(token=TOKEN, secret_token=SECRET, api_url=fake.api_url)


def test_the_webhook_passes_a_pseudonymous_message_with_its_hint(configured):
    status, received = webhook(configured, json.dumps(message(text="namaste")).encode())
    assert status == 200
    [user_message] = received
    assert user_message.text == "namaste" and user_message.input_channel == "telegram"
    assert user_message.metadata == {"language_hint": "ne", "capabilities": {
        "buttons": True, "max_chars": 500, "segment_budget": None}}
    assert str(USER["id"]) not in user_message.sender_id and len(user_message.sender_id) == 32


def test_without_a_telegram_language_only_the_capabilities_go_with_the_message(configured):
    user = {key: value for key, value in USER.items() if key != "language_code"}
    update = message(text="hi", **{"from": user})
    status, received = webhook(configured, json.dumps(update).encode())
    assert status == 200
    assert received[0].metadata == {"capabilities": {
        "buttons": True, "max_chars": 500, "segment_budget": None}}


def test_a_repeated_update_is_handled_once(configured):
    body = json.dumps(message(update_id=77)).encode()
    assert webhook(configured, body)[1] and webhook(configured, body) == (200, [])


@pytest.mark.parametrize(("body", "secret", "status"), [
    (json.dumps(message()).encode(), "wrong", 403),
    (json.dumps(message()).encode(), None, 403),
    (b"{not json", SECRET, 400),
    (b"\xff\xfe", SECRET, 400),
    (b"[]", SECRET, 400),
    (b'{"update_id": "1"}', SECRET, 400),
    (b'{"update_id": 1, "message": {"chat": 5}}', SECRET, 400),
    (b"[" * 5000, SECRET, 400),
    (b'{"update_id": 1, "message": ' * 5000, SECRET, 400),
])
def test_bad_requests_are_refused(configured, body, secret, status):
    assert webhook(configured, body, secret) == (status, [])


def with_fields(update: dict, kind: str, **fields) -> dict:
    """``update`` with some fields of its ``kind`` (message, callback_query...) replaced."""
    return {**update, kind: {**update[kind], **fields}}


NOT_AN_UPDATE = "the body must be a Telegram update in JSON"


@pytest.mark.parametrize(("update", "reason"), [
    ({"update_id": "x", "message": message()["message"]}, "'update_id' must be an integer"),
    ({"update_id": True}, "'update_id' must be an integer"),
    ({"update_id": 1.5}, "'update_id' must be an integer"),
    ({"update_id": 1, "message": []}, "'message' must be an object"),
    ({"update_id": 1, "message": "hi"}, "'message' must be an object"),
    ({"update_id": 1, "message": None}, "'message' must be an object"),
    ({"update_id": 1, "edited_message": 5}, "'edited_message' must be an object"),
    ({"update_id": 1, "callback_query": []}, "'callback_query' must be an object"),
    ({"update_id": 1, "my_chat_member": "x"}, "'my_chat_member' must be an object"),
    (with_fields(message(), "message", text=5), "'message.text' must be a string"),
    (with_fields(message(), "message", text=["hi"]), "'message.text' must be a string"),
    (message(chat={"id": "abc", "type": "private"}), "'chat.id' must be an integer"),
    (message(chat={"id": 1.5, "type": "private"}), "'chat.id' must be an integer"),
    (message(chat={"id": True, "type": "private"}), "'chat.id' must be an integer"),
    (message(chat={"id": 1, "type": 5}), "'chat.type' must be a string"),
    (message(**{"from": {**USER, "id": "7310000123"}}), "'from.id' must be an integer"),
    (message(**{"from": {**USER, "is_bot": "no"}}), "'from.is_bot' must be true or false"),
    (message(**{"from": {**USER, "language_code": 5}}),
     "'from.language_code' must be a string"),
    (with_fields(callback(3, "language:fr"), "callback_query", data=5),
     "'callback_query.data' must be a string"),
    (with_fields(callback(3, "language:fr"), "callback_query", id=5),
     "'callback_query.id' must be a string"),
    ({"update_id": 9, "my_chat_member": {
        "chat": CHAT, "from": {**USER, "language_code": ["ne"]}, "date": 1700000000,
        "old_chat_member": {"status": "member", "user": USER},
        "new_chat_member": {"status": "kicked", "user": USER, "until_date": 0}}},
     "'from.language_code' must be a string"),
    (with_fields(message(), "message", chat=5), NOT_AN_UPDATE),
    (message(**{"from": []}), NOT_AN_UPDATE),
    (with_fields(message(), "message", date="yesterday"), NOT_AN_UPDATE),
])
def test_an_update_with_a_wrong_typed_field_gets_400_with_the_reason(configured, caplog,
                                                                     update, reason):
    caplog.set_level(logging.INFO)
    received: list[UserMessage] = []

    async def on_new_message(user_message: UserMessage) -> None:
        received.append(user_message)

    async def scenario():
        answer = await configured.receive(request(json.dumps(update).encode()), on_new_message)
        await asyncio.gather(*configured._tasks)
        return answer

    answer = asyncio.run(scenario())
    assert (answer.status, json.loads(answer.body)) == (400, {"error": reason})
    assert received == []
    assert caplog.messages[-1] == f"telegram: refused a request (400): {reason}"
    assert str(USER["id"]) not in caplog.text


def test_without_token_or_secret_the_webhook_answers_503(monkeypatch):
    monkeypatch.delenv("BOT_TELEGRAM_TOKEN", raising=False)
    monkeypatch.delenv("BOT_TELEGRAM_SECRET", raising=False)
    assert webhook(TelegramChannel.from_credentials(None), b"{}")[0] == 503
    no_secret = TelegramChannel.from_credentials({"token": TOKEN})
    assert webhook(no_secret, json.dumps(message()).encode())[0] == 503


def test_credentials_fall_back_to_the_environment(monkeypatch):
    monkeypatch.setenv("BOT_TELEGRAM_TOKEN", TOKEN)
    monkeypatch.setenv("BOT_TELEGRAM_SECRET", SECRET)
    monkeypatch.setenv("BOT_TELEGRAM_API_URL", "http://127.0.0.1:1/")
    configured = TelegramChannel.from_credentials(None)
    assert configured.secret_token == SECRET
    assert configured.bot.base_url == f"http://127.0.0.1:1/bot{TOKEN}"


def test_an_update_over_the_body_cap_is_refused_unparsed():
    from bot.channels.base import MAX_BODY_BYTES, InvalidMessage
    from bot.channels.telegram import parse_update

    body = b'{"update_id": 1, "message": {"text": "' + b"x" * MAX_BODY_BYTES + b'"}}'
    with pytest.raises(InvalidMessage, match=f"the body must be at most {MAX_BODY_BYTES} bytes"):
        parse_update(body, None)
