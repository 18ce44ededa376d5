"""The action server: rasa-sdk's app, on this machine only, failing without a word.

``python -m bot action-server`` replaces ``rasa run actions``. It builds the same app
with rasa-sdk's public :func:`rasa_sdk.endpoint.create_app`, then changes three things:

- it listens on 127.0.0.1 unless ``BOT_ACTIONS_HOST`` says otherwise: only the Rasa
  server, on the same machine, may call the actions;
- an error anywhere in rasa-sdk answers 500 with ``{"error": "<class>"}`` and logs the
  class only. rasa-sdk's own handler echoes the request, which is the tracker with
  every unsealed answer of a report in progress, and Rasa logs that answer;
- logs are redacted and DEBUG is refused (:func:`bot.log_privacy.guard_server_logs`).

``--timings FILE`` (``make bench`` only) appends one line per ``/webhook`` call to
``FILE``: the action's name and how long the server took, from the request read to
the response written, in milliseconds. Nothing else: no sender, no slot, no text.
"""

from __future__ import annotations

import json
import logging
import time
import zlib
from pathlib import Path
from typing import TextIO

from rasa_sdk.endpoint import create_app
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.log_privacy import guard_server_logs
from bot.settings import settings

log = logging.getLogger(__name__)


async def _silent_error(_request: Request, exception: Exception) -> HTTPResponse:
    log.error("action server error: %s", type(exception).__name__)
    return response.json({"error": type(exception).__name__}, status=500)


def build_app(actions_package: str = "actions", timings: Path | None = None) -> Sanic:
    """rasa-sdk's action server app, with an error handler that never echoes; with
    ``timings``, each action's time is appended to that file (:func:`action_name`)."""
    app = create_app(actions_package, cors_origins=None)
    app.error_handler.add(Exception, _silent_error)
    if timings is not None:
        _record_timings(app, timings.open("a", encoding="utf-8", buffering=1))
    return app


def action_name(body: bytes, content_encoding: str | None) -> str:
    """The action a ``/webhook`` request runs (``next_action``), as rasa-sdk reads it."""
    try:
        if content_encoding == "deflate":
            body = zlib.decompress(body)
        name = json.loads(body).get("next_action")
    except (ValueError, AttributeError, zlib.error):
        return "?"
    return name if isinstance(name, str) else "?"


def _record_timings(app: Sanic, out: TextIO) -> None:
    @app.middleware("request")
    async def started(request: Request) -> None:
        request.ctx.started = time.perf_counter()

    @app.middleware("response")
    async def finished(request: Request, _response: HTTPResponse) -> None:
        began = getattr(request.ctx, "started", None)
        if began is None or request.path != "/webhook":
            return
        elapsed = (time.perf_counter() - began) * 1000
        out.write(f"{action_name(request.body, request.headers.get('Content-Encoding'))}"
                  f"\t{elapsed:.3f}\n")


def serve(port: int, actions_package: str = "actions", timings: Path | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s "
                                                   "%(message)s")
    guard_server_logs()
    host = settings().actions_host
    app = build_app(actions_package, timings)
    log.info("action server on http://%s:%d", host, port)
    app.run(host, port, workers=1, access_log=False)
