"""Logs that cannot carry what a worker wrote.

Rasa logs trackers, events and action replies when something fails (and everything at
DEBUG); Sanic logs request URLs, with their query strings, on an unhandled error. This
module makes every log record of the process safe before any handler sees it, through
the standard library's record factory (:func:`logging.setLogRecordFactory`), so that it
holds whichever handler Rasa, Sanic or an operator adds:

- payloads are cut: anything from the first JSON or Python mapping or list on;
- quoted strings become ``'…'``, query strings ``?…``, runs of six or more digits
  (phone numbers, Telegram ids) ``#…``;
- an exception is named by its class only, without its message or traceback;
- a message is at most :data:`MAX_MESSAGE_CHARS` long.

:func:`guard_server_logs` installs it, and refuses to run at DEBUG unless the operator
sets ``BOT_ALLOW_DEBUG_LOGS=1`` (then the same redaction still applies). The action
server calls it as it starts (:mod:`bot.action_server`), and the Rasa server when it
starts serving any of our channels (:func:`bot.channels.base.guarded_blueprint`); a
process that only imports our code (a test) keeps its logging as it was.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from typing import Any

from bot.settings import settings

MAX_MESSAGE_CHARS = 300
_PAYLOAD = re.compile(r"""[\[{(]\s*['"{\[]""")
_QUOTED = re.compile(r"""'[^'\n]*'|"[^"\n]*\"""")
_QUERY = re.compile(r"\?[^\s'\"]*=[^\s'\"]*")
_DIGITS = re.compile(r"\+?\d(?:[\d \-]{4,}\d)")
_GUARDED = "_bot_guarded"


def scrub(message: str) -> str:
    """``message`` without payloads, quoted text, query strings or long numbers."""
    payload = _PAYLOAD.search(message)
    if payload:
        message = message[:payload.start()].rstrip() + " [payload removed]"
    message = _QUOTED.sub("'…'", message)
    message = _QUERY.sub("?…", message)
    message = _DIGITS.sub(_hide_long_number, message)
    if len(message) > MAX_MESSAGE_CHARS:
        message = message[:MAX_MESSAGE_CHARS] + "…"
    return message


def _hide_long_number(match: re.Match[str]) -> str:
    digits = sum(char.isdigit() for char in match.group())
    return "#…" if digits >= 6 else match.group()


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """The record with its message scrubbed and its exception reduced to a class."""
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a bad format string must not break logging
        message = str(record.msg)
    if record.exc_info and record.exc_info[0] is not None:
        message += f" [{record.exc_info[0].__name__}]"
    record.msg, record.args = scrub(message), ()
    record.exc_info, record.exc_text, record.stack_info = None, None, None
    return record


def install_redaction() -> None:
    """Make every record of this process pass :func:`redact_record`; once only."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, _GUARDED, False):
        return

    def redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact_record(factory(*args, **kwargs))

    setattr(redacting_factory, _GUARDED, True)
    logging.setLogRecordFactory(redacting_factory)


def debug_logging_on() -> bool:
    """Whether Rasa, rasa-sdk, Sanic or the root logger would write DEBUG records."""
    names = ("", "rasa", "rasa_sdk", "sanic.root", "sanic.error", "bot")
    return (os.environ.get("LOG_LEVEL", "").upper() == "DEBUG"
            or any(logging.getLogger(name).isEnabledFor(logging.DEBUG) for name in names))


def guard_server_logs() -> None:
    """Redact every log record, and stop the server if it logs at DEBUG without the
    operator's explicit ``BOT_ALLOW_DEBUG_LOGS=1``."""
    install_redaction()
    if debug_logging_on() and not settings().allow_debug_logs:
        print("Refusing to start: DEBUG logging (--debug or LOG_LEVEL=DEBUG) writes what "
              "workers type. Use the default level, or set BOT_ALLOW_DEBUG_LOGS=1 to debug "
              "on a test machine (logs stay redacted).", file=sys.stderr)
        raise SystemExit(2)


def quiet_rasa_debug_events() -> None:
    """Rasa's structlog events below INFO off in this process, as ``rasa run`` has them.

    An Agent loaded in process (``eval-nlu``, ``make bench``) would otherwise print every
    message it parses, with its text, at DEBUG: structlog writes to standard output
    itself, past the record factory above."""
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.INFO)
