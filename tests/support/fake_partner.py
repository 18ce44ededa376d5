"""A partner organisation's webhook on localhost: it accepts and records deliveries."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer

from bot.servers import free_port


@dataclass
class Delivery:
    path: str
    body: bytes
    headers: dict[str, str]


@dataclass
class FakePartner:
    url: str  # where the bot should POST, e.g. f"{url}/reports"
    received: list[Delivery] = field(default_factory=list)

    def bodies(self, path: str) -> list[bytes]:
        return [delivery.body for delivery in self.received if delivery.path == path]


@contextmanager
def running_fake_partner(delay: float = 0.0) -> Iterator[FakePartner]:
    """The webhook; with ``delay``, each POST is answered that many seconds late."""
    fake = FakePartner(f"http://127.0.0.1:{free_port()}")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers["Content-Length"]))
            fake.received.append(Delivery(self.path, body, dict(self.headers)))
            if delay:
                time.sleep(delay)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_args) -> None:
            pass

    server = HTTPServer(("127.0.0.1", int(fake.url.rsplit(":", 1)[1])), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield fake
    finally:
        server.shutdown()
