"""A fake Telegram Bot API on localhost, at the protocol level, for tests.

It answers the methods the bot uses (getMe, sendMessage, answerCallbackQuery,
getUpdates, deleteWebhook) the way Telegram does, records every call, can queue
updates for getUpdates, and can fail the next calls with a 429 flood wait.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

TOKEN = "123456:TEST-token-for-the-fake-api"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Rights bot", "username": "rights_bot"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]

    @property
    def keyboard(self) -> list[list[dict[str, Any]]]:
        markup = self.params.get("reply_markup")
        return json.loads(markup)["inline_keyboard"] if markup else []


class FakeTelegram:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.updates: list[dict[str, Any]] = []
        self.failures: list[int] = []  # retry_after seconds of the next sendMessage calls
        self._lock = threading.Condition()
        self._message_ids = itertools.count(1)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.server.daemon_threads = True

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    # -- what tests look at ---------------------------------------------------
    def sent(self, chat_id: int) -> list[Call]:
        with self._lock:
            return [call for call in self.calls
                    if call.method == "sendMessage" and call.params.get("chat_id") == str(chat_id)]

    def wait_for(self, condition: Callable[[], bool], timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        with self._lock:
            while not condition():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError("the fake Telegram API did not get the expected calls")
                self._lock.wait(remaining)

    def replies_after(self, chat_id: int, before: int, quiet: float = 1.5,
                      timeout: float = 90) -> list[Call]:
        """The messages sent to ``chat_id`` after the first ``before``, once the bot is quiet."""
        self.wait_for(lambda: len(self.sent(chat_id)) > before, timeout)
        count = -1
        while count != len(self.sent(chat_id)):
            count = len(self.sent(chat_id))
            time.sleep(quiet)
        return self.sent(chat_id)[before:]

    def queue_update(self, update: dict[str, Any]) -> None:
        with self._lock:
            self.updates.append(update)
            self._lock.notify_all()

    # -- the API ----------------------------------------------------------------
    def answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.calls.append(Call(method, params))
            self._lock.notify_all()
            if method == "sendMessage" and self.failures:
                retry_after = self.failures.pop(0)
                return 429, {"ok": False, "error_code": 429,
                             "description": f"Too Many Requests: retry after {retry_after}",
                             "parameters": {"retry_after": retry_after}}
        if method == "getMe":
            return 200, {"ok": True, "result": BOT_USER}
        if method == "sendMessage":
            return 200, {"ok": True, "result": {
                "message_id": next(self._message_ids), "date": int(time.time()),
                "chat": {"id": int(params["chat_id"]), "type": "private"},
                "from": BOT_USER, "text": params.get("text", "")}}
        if method in ("answerCallbackQuery", "deleteWebhook", "setWebhook"):
            return 200, {"ok": True, "result": True}
        if method == "getUpdates":
            return 200, {"ok": True, "result": self._take_updates(params)}
        return 404, {"ok": False, "error_code": 404, "description": "Not Found"}

    def _take_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset", 0))
        deadline = time.monotonic() + min(float(params.get("timeout", 0)), 2)
        with self._lock:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
            while not self.updates and time.monotonic() < deadline:
                self._lock.wait(deadline - time.monotonic())
            return list(self.updates)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server convention
                prefix = f"/bot{TOKEN}/"
                if not self.path.startswith(prefix):
                    self._reply(401, {"ok": False, "error_code": 401,
                                      "description": "Unauthorized"})
                    return
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                params = _parse(body)
                self._reply(*fake.answer(self.path[len(prefix):], params))

            do_GET = do_POST  # noqa: N815

            def _reply(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass  # quiet: the test output is for the tests

        return Handler


def _parse(body: bytes) -> dict[str, Any]:
    """python-telegram-bot posts form fields (JSON-encoded where they are objects)."""
    return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))


@contextmanager
def running_fake_telegram() -> Iterator[FakeTelegram]:
    fake = FakeTelegram()
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.server.shutdown()
        fake.server.server_close()
