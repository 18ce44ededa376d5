"""Telegram users for tests: updates shaped like Telegram's, posted to a running bot,
and the replies the fake Bot API received."""

from __future__ import annotations

import itertools
import json
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from bot.channels.telegram import SECRET_HEADER
from tests.support.fake_telegram import Call, FakeTelegram

SECRET = "e2e-secret_" + uuid.uuid4().hex
_user_ids = itertools.count(5550001001)
USED_IDS: list[int] = []  # every Telegram id the tests used, for the privacy audit
_update_ids = itertools.count(1000)


class Bot:
    def __init__(self, url: str, fake: FakeTelegram, workdir: Path) -> None:
        self.url, self.fake, self.workdir = url, fake, workdir

    @property
    def webhook(self) -> str:
        return f"{self.url}/webhooks/telegram/webhook"

    def post(self, body: bytes, secret: str | None = SECRET) -> int:
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers[SECRET_HEADER] = secret
        request = urllib.request.Request(self.webhook, data=body, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return response.status
        except urllib.error.HTTPError as error:
            return error.code


class User:
    """A Telegram user in a private chat with the bot."""

    def __init__(self, bot: Bot, language_code: str = "en") -> None:
        self.bot = bot
        self.id = next(_user_ids)
        USED_IDS.append(self.id)
        self.language_code = language_code

    @property
    def json(self) -> dict:
        return {"id": self.id, "is_bot": False, "first_name": "Test",
                "language_code": self.language_code}

    def message(self, text: str | None = None, kind: str = "message", **fields) -> dict:
        body = {"message_id": next(_update_ids), "date": 1767225600,
                "chat": {"id": self.id, "type": "private", "first_name": "Test"},
                "from": self.json, **fields}
        if text is not None:
            body["text"] = text
        return {"update_id": next(_update_ids), kind: body}

    def press(self, data: str) -> dict:
        return {"update_id": next(_update_ids), "callback_query": {
            "id": uuid.uuid4().hex, "from": self.json, "chat_instance": "1", "data": data,
            "message": {"message_id": 1, "date": 1767225600,
                        "chat": {"id": self.id, "type": "private"}, "text": "menu"}}}

    def send(self, update: dict) -> list[Call]:
        """Post ``update`` like Telegram does; the bot's replies, once it is quiet."""
        before = len(self.bot.fake.sent(self.id))
        assert self.bot.post(json.dumps(update).encode()) == 200
        return self.bot.fake.replies_after(self.id, before)

    def says(self, text: str | None = None, **fields) -> list[Call]:
        return self.send(self.message(text, **fields))


def texts(replies: list[Call]) -> str:
    return "\n".join(reply.params["text"] for reply in replies)
