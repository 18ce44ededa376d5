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


@pytest.mark.model
@pytest.mark.parametrize("allowed", [False, True])
def test_the_rasa_server_refuses_debug_unless_allowed(tmp_path, allowed):
    """`rasa run --debug` with our channels stops before serving a message; with
    BOT_ALLOW_DEBUG_LOGS=1 it serves, and its debug log is redacted."""
    from bot.servers import BIN, CHANNELS, MODEL, free_port, server_env, wait_until_up

    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` (make test does it)")
    (tmp_path / "credentials.yml").write_text(CHANNELS, encoding="utf-8")
    (tmp_path / "endpoints.yml").write_text(
        "tracker_store:\n  type: bot.storage.tracker_store.RedactingSQLTrackerStore\n"
        f"  dialect: sqlite\n  db: {tmp_path / 'tracker.db'}\n", encoding="utf-8")
    env = {**server_env(), "BOT_SECRETS_DIR": str(tmp_path / "secrets"),
           "BOT_PARTNERS_FILE": str(tmp_path / "partners.yml")}
    if allowed:
        env["BOT_ALLOW_DEBUG_LOGS"] = "1"
    port = free_port()
    log = tmp_path / "rasa.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603
            [BIN / "rasa", "run", "--debug", "--model", str(MODEL), "--port", str(port),
             "--interface", "127.0.0.1", "--credentials", str(tmp_path / "credentials.yml"),
             "--endpoints", str(tmp_path / "endpoints.yml")],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        if not allowed:
            assert process.wait(timeout=240) == 2
            assert "Refusing to start: DEBUG logging" in log.read_text(encoding="utf-8")
            return
        wait_until_up(f"http://127.0.0.1:{port}/", process, log)
        from bot.servers import post_message

        post_message(f"http://127.0.0.1:{port}", "+9779812345678", "my madam took my passport")
        text = log.read_text(encoding="utf-8")
        assert "DEBUG" in text
        assert "madam took my passport" not in text and "9812345678" not in text
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_rasa_debug_events_are_off_once_quieted():
    """An Agent loaded in process (eval-nlu, bench) prints each parsed text at DEBUG
    through structlog unless quieted; run in a child, as structlog is process-wide."""
    script = ("import structlog\n"
              "from bot.log_privacy import quiet_rasa_debug_events\n"
              "quiet_rasa_debug_events()\n"
              "structlog.get_logger().debug('processor.message.parse', parse_data_text='CANARY')\n"
              "structlog.get_logger().info('kept.event')\n")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                            text=True, check=True)
    assert "CANARY" not in result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1] == '{"event": "kept.event", "level": "info"}'
