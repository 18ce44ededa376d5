"""Nothing about the bot's use leaves the server: Rasa's telemetry and error reports off.

Rasa sends usage events (and, through Sentry, its own exceptions) to Rasa's servers
unless ``RASA_TELEMETRY_ENABLED=false`` or ``rasa telemetry disable``; ``make`` sets
the variable, but a server started by hand would report. Rasa reads the variable at
every event, so setting it when our code loads turns the events off; the Sentry
client Rasa may already have started is unbound, so no exception goes out either.
An operator who wants telemetry says so explicitly: ``RASA_TELEMETRY_ENABLED=true``.
"""

from __future__ import annotations

import os

import sentry_sdk

VARIABLE = "RASA_TELEMETRY_ENABLED"


def turn_off_telemetry() -> None:
    """Rasa telemetry and error reporting off, unless the operator turned them on."""
    os.environ.setdefault(VARIABLE, "false")
    if os.environ[VARIABLE].lower() != "true":
        sentry_sdk.Hub.current.bind_client(None)
