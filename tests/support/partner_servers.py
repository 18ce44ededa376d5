"""Partner webhooks on localhost that answer well, slowly or badly, over real sockets:
the outbox must meet what ``http.client`` really raises, not a stand-in for it."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Answer = Callable[[BaseHTTPRequestHandler], None]


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    body: bytes


@dataclass
class PartnerServer:
    url: str
    received: list[Received] = field(default_factory=list)

    def report_ids(self) -> list[str]:
        """The ids of the reports it was sent, in the order they came."""
        return [json.loads(request.body)["report_id"] for request in self.received]


def ok(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.end_headers()


def garbage(handler: BaseHTTPRequestHandler) -> None:
    """Bytes that are not HTTP: ``http.client`` raises BadStatusLine on them."""
    handler.wfile.write(b"\x00\x01 this is not HTTP\r\n\r\n")


def hang_up(_handler: BaseHTTPRequestHandler) -> None:
    """Close without a byte: ``http.client`` raises RemoteDisconnected."""


def redirect_to(location: str) -> Answer:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(302)
        handler.send_header("Location", location)
        handler.end_headers()
    return answer


def slow_ok(seconds: float) -> Answer:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)
        ok(handler)
    return answer


@contextmanager
def partner_server(answer: Answer) -> Iterator[PartnerServer]:
    """A webhook on a free localhost port that records every request (any method: a
    followed redirect would arrive as a GET) and answers it with ``answer``."""
    server: PartnerServer

    class Handler(BaseHTTPRequestHandler):
        def _record_and_answer(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            server.received.append(Received(self.command, self.path, body))
            answer(self)

        do_GET = do_POST = _record_and_answer  # http.server dispatches on these names

        def log_message(self, *_args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    server = PartnerServer(f"http://127.0.0.1:{httpd.server_address[1]}")
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()
