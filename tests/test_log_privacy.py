"""Log records lose payloads, quoted text, query strings, numbers and exception text."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest

from bot.log_privacy import redact_record, scrub
from bot.servers import ROOT

ACCOUNT = "Madam locks me in and kept my passport"


@pytest.mark.parametrize(("message", "expected"), [
    # rasa.core.actions.action, when the action server answers 500 with the request body
    (f'Failed to run custom action \'action_submit_report\'. Action server responded with a '
     f'non 200 status code of 500. Make sure your action server properly runs actions and '
     f'returns a 200 once the action is executed. Error: {{"error": "KeyError", '
     f'"request_body": {{"tracker": {{"slots": {{"report_account": "{ACCOUNT}"}}}}}}}}',
     "Failed to run custom action '…'. Action server responded with a non 200 status code "
     "of 500. Make sure your action server properly runs actions and returns a 200 once the "
     "action is executed. Error: [payload removed]"),
    # rasa.core.processor at DEBUG
    (f"Received user message '{ACCOUNT}' with intent '{{'name': 'inform'}}'",
     "Received user message '…' with intent ' [payload removed]"),
    # sanic.error on an unhandled error: the Kannel get-url with number, text and secret
    ("Exception occurred while handling uri: http://127.0.0.1:5005/webhooks/sms/kannel"
     "?from=%2B9779812345678&text=help&secret=s3cr3t",
     "Exception occurred while handling uri: http://127.0.0.1:5005/webhooks/sms/kannel?…"),
    ("reply to +977 981 234 5678 and 123456789 failed on attempt 3",
     "reply to #… and #… failed on attempt 3"),
    ("outbox: 3 delivered, 1 expired", "outbox: 3 delivered, 1 expired"),
    ("Tracker(sender_id=abc) events=[{'event': 'user', 'text': 'x'}]",
     "Tracker(sender_id=abc) events= [payload removed]"),
    ("x" * 400, "x" * 300 + "…"),
])
def test_scrub(message, expected):
    assert scrub(message) == expected


def test_an_exception_is_named_by_its_class_only():
    try:
        raise ValueError(f"invalid literal for int() with base 10: '{'9' * 4301}'")
    except ValueError:
        record = logging.getLogger("rasa.core").makeRecord(
            "rasa.core", logging.ERROR, __file__, 1, "action %s failed for %s",
            ("action_submit_report", ACCOUNT), sys.exc_info())
    redacted = redact_record(record)
    assert redacted.getMessage() == f"action action_submit_report failed for {ACCOUNT} " \
                                    "[ValueError]"
    assert (redacted.exc_info, redacted.exc_text, redacted.args) == (None, None, ())
    assert logging.Formatter().format(redacted).endswith("[ValueError]")


def test_every_logger_and_handler_of_the_process_is_redacted():
    program = (
        "import logging, io\n"
        "from bot.log_privacy import install_redaction\n"
        "install_redaction(); install_redaction()\n"
        "stream = io.StringIO()\n"
        "logging.getLogger('sanic.error').addHandler(logging.StreamHandler(stream))\n"
        "logging.getLogger('sanic.error').error('uri: %s', '/x?from=%2B97798&secret=abc')\n"
        "try:\n"
        "    int('9' * 5000)\n"
        "except ValueError:\n"
        "    logging.getLogger('sanic.error').exception('Exception occurred')\n"
        "print(repr(stream.getvalue()))\n")
    result = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, check=True)
    assert result.stdout.strip() == repr("uri: /x?…\nException occurred [ValueError]\n")


@pytest.mark.parametrize(("argv", "env", "refused"), [
    (["--port", "1"], {"LOG_LEVEL": "DEBUG"}, True),
    (["--port", "1"], {"LOG_LEVEL": "DEBUG", "BOT_ALLOW_DEBUG_LOGS": "1"}, False),
])
def test_servers_refuse_debug_logs_unless_allowed(argv, env, refused, tmp_path):
    program = ("import logging, os\n"
               "logging.basicConfig(level=os.environ['LOG_LEVEL'])\n"
               "from bot.log_privacy import guard_server_logs\n"
               "guard_server_logs()\nprint('started')\n")
    result = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, env={"PATH": "/usr/bin", **env})
    if refused:
        assert (result.returncode, result.stdout) == (2, "")
        assert result.stderr.startswith("Refusing to start: DEBUG logging")
    else:
        assert (result.returncode, result.stdout) == (0, "started\n")
