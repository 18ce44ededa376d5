"""The action server: rasa-sdk's app, on this machine only, failing without a word.

``python -m bot action-server`` replaces ``rasa run actions``. It builds the same app
with rasa-sdk's public :func:`rasa_sdk.endpoint.create_app`, then changes three things:

- it listens on 127.0.0.1 unless ``BOT_ACTIONS_HOST`` says otherwise: only the Rasa
  server, on the same machine, may call the actions;
- an error anywhere in rasa-sdk answers 500 with ``{"error": "<class>"}`` and logs the
  class only. rasa-sdk's own handler echoes the request, which is the tracker with
  every unsealed answer of a report in progress, and Rasa logs that answer;
- logs are redacted and DEBUG is refused (:func:`bot.log_privacy.guard_server_logs`).
"""

from __future__ import annotations

import logging

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


def build_app(actions_package: str = "actions") -> Sanic:
    """rasa-sdk's action server app, with an error handler that never echoes."""
    app = create_app(actions_package, cors_origins=None)
    app.error_handler.add(Exception, _silent_error)
    return app


def serve(port: int, actions_package: str = "actions") -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s "
                                                   "%(message)s")
    guard_server_logs()
    host = settings().actions_host
    app = build_app(actions_package)
    log.info("action server on http://%s:%d", host, port)
    app.run(host, port, workers=1, access_log=False)
