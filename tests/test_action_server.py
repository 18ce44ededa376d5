"""The action server: only on this machine, and an error never echoes the tracker."""

from __future__ import annotations

import json
import socket
import sys
import urllib.error
import urllib.request

import pytest

from bot.servers import free_port, running_processes, server_env

ACCOUNT = "Madam locks me in and kept my passport"


@pytest.fixture(scope="module")
def action_server(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("actions")
    port = free_port()
    env = {**server_env(), "BOT_SECRETS_DIR": str(workdir / "secrets")}
    log = workdir / "actions.log"
    argv = [sys.executable, "-m", "bot", "action-server", "--port", str(port)]
    with running_processes([(argv, log, f"http://127.0.0.1:{port}/health")], env):
        yield port, log


def _post(port: int, body: bytes) -> tuple[int, bytes]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/webhook", data=body,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_an_error_in_rasa_sdk_answers_its_class_and_nothing_else(action_server):
    port, log = action_server
    call = {"next_action": "action_submit_report", "sender_id": "x", "version": "3.6.21",
            "tracker": ACCOUNT, "domain": {"slots": {"report_account": ACCOUNT}}}
    status, body = _post(port, json.dumps(call).encode())
    assert (status, json.loads(body)) == (500, {"error": "TypeError"})
    assert ACCOUNT not in log.read_text(encoding="utf-8")
    assert "action server error: TypeError" in log.read_text(encoding="utf-8")


def test_it_listens_on_loopback_only(action_server):
    port, _log = action_server
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("10.255.255.255", 1))  # no packet is sent: it picks the route
        address = probe.getsockname()[0]
    if address.startswith("127."):
        pytest.skip("this machine has no address but loopback")
    with pytest.raises(OSError), socket.create_connection((address, port), timeout=5):
        pass


# Rasa checks every reply of the action server against a JSON schema. With no
# "$schema" in it, jsonschema 4 takes the 2020-12 draft and re-checks the schema itself
# against that draft's meta-schema on every call (24 ms of a turn's CPU); jsonschema
# 3.2.0, inside Rasa 3.6's range, takes draft 7 (3 ms). pyproject.toml pins it.

def test_rasa_checks_action_replies_with_the_draft_7_validator():
    import jsonschema
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    assert jsonschema.validators.validator_for(schema) is jsonschema.Draft7Validator


def test_a_malformed_action_reply_is_still_refused_by_rasa():
    import jsonschema
    from rasa.core.actions.action import RemoteAction

    action = RemoteAction("action_answer", None)
    assert action._validate_action_result(
        {"events": [{"event": "slot", "name": "language", "value": "ne"}],
         "responses": [{"text": "नमस्ते"}]}) is True
    with pytest.raises(jsonschema.ValidationError):
        action._validate_action_result({"events": [{"event": "slot"}], "responses": "x"})
    with pytest.raises(jsonschema.ValidationError):
        action._validate_action_result({"events": [{"event": "no_such_event"}]})
