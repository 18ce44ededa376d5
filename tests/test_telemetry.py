"""A Rasa server started by hand, outside make, reports nothing to Rasa."""

from __future__ import annotations

import subprocess
import sys

import yaml

from bot.servers import ROOT

PROGRAM = """
import sentry_sdk
import rasa.telemetry
sentry_sdk.init(dsn="https://key@sentry.invalid/1")  # as Rasa's error reporting does
import bot.channels
print(rasa.telemetry.is_telemetry_enabled(), sentry_sdk.Hub.current.client is None)
"""


def _run(tmp_path, env: dict[str, str]) -> str:
    config = tmp_path / ".config" / "rasa" / "global.yml"
    config.parent.mkdir(parents=True)
    config.write_text(yaml.safe_dump({"metrics": {"enabled": True, "rasa_user_id": "x"}}))
    result = subprocess.run([sys.executable, "-c", PROGRAM], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, check=True,
                            env={"PATH": "/usr/bin", "HOME": str(tmp_path),
                                 "BOT_SECRETS_DIR": str(tmp_path / "secrets"), **env})
    return result.stdout.strip()


def test_telemetry_and_error_reports_are_off_when_nobody_chose(tmp_path):
    assert _run(tmp_path, {}) == "False True"


def test_an_operator_may_turn_telemetry_on_explicitly(tmp_path):
    assert _run(tmp_path, {"RASA_TELEMETRY_ENABLED": "true"}) == "True False"
