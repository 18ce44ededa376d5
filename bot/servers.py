"""Starting the real action server and Rasa server on free localhost ports (tests, bench)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.settings import MODEL_FILE, ROOT

BIN = Path(sys.executable).parent
MODEL = MODEL_FILE


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310
                return
        except OSError:
            time.sleep(1)
    raise RuntimeError(f"{url} did not start in {timeout} s:\n{log.read_text()[-3000:]}")


def server_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update({"RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2",
                "PYTHONPATH": str(ROOT)})
    return env


@contextmanager
def running_processes(commands: list[tuple[list, Path, str]], env: dict[str, str]
                      ) -> Iterator[None]:
    """Start each (argv, log file, health URL); stop them all on exit."""
    processes = []
    try:
        for argv, log, _url in commands:
            with log.open("wb") as out:
                processes.append(subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out,  # noqa: S603
                                                  stderr=subprocess.STDOUT))
        for process, (_argv, log, url) in zip(processes, commands, strict=True):
            wait_until_up(url, process, log)
        yield
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


CHANNELS = "bot.channels.rest.RestChannel:\nbot.channels.partners.PartnerApi:\n"


def bot_commands(workdir: Path, credentials: str = CHANNELS,
                 extra_env: dict[str, str] | None = None,
                 actions_args: list[str] | None = None
                 ) -> tuple[list[tuple[list, Path, str]], dict[str, str], str]:
    """The action server's and the Rasa server's (argv, log file, health URL), their
    environment and the Rasa server's URL, with a private SQLite tracker store in
    ``workdir``."""
    actions_port, rasa_port = free_port(), free_port()
    (workdir / "endpoints.yml").write_text(
        f'action_endpoint:\n  url: "http://127.0.0.1:{actions_port}/webhook"\n'
        "tracker_store:\n  type: bot.storage.tracker_store.RedactingSQLTrackerStore\n"
        f"  dialect: sqlite\n  db: {workdir / 'tracker.db'}\n",
        encoding="utf-8")
    (workdir / "credentials.yml").write_text(credentials, encoding="utf-8")
    env = server_env()
    env["BOT_SECRETS_DIR"] = str(workdir / "secrets")
    env["BOT_DATABASE_URL"] = f"sqlite:///{workdir / 'reports.db'}"
    env.setdefault("BOT_PARTNERS_FILE", str(workdir / "partners.yml"))
    env.setdefault("BOT_TRUST_FILE", str(workdir / "maintainers.yml"))
    env.update(extra_env or {})
    actions = [sys.executable, "-m", "bot", "action-server", "--port", str(actions_port),
               *(actions_args or [])]
    rasa = [BIN / "rasa", "run", "--model", str(MODEL), "--port", str(rasa_port),
            "--interface", "127.0.0.1", "--endpoints", str(workdir / "endpoints.yml"),
            "--credentials", str(workdir / "credentials.yml")]
    return [
        (actions, workdir / "actions.log", f"http://127.0.0.1:{actions_port}/health"),
        (rasa, workdir / "rasa.log", f"http://127.0.0.1:{rasa_port}/"),
    ], env, f"http://127.0.0.1:{rasa_port}"


@contextmanager
def running_bot(workdir: Path, credentials: str = CHANNELS,
                extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """Action server plus Rasa server, with a private SQLite tracker store in ``workdir``."""
    commands, env, url = bot_commands(workdir, credentials, extra_env)
    with running_processes(commands, env):
        yield url


def post_message(url: str, sender: str, text: str, timeout: float = 60) -> list[dict]:
    """One turn over a REST channel: the bot's replies."""
    body = json.dumps({"sender": sender, "message": text}).encode()
    request = urllib.request.Request(f"{url}/webhooks/rest/webhook", data=body,  # noqa: S310
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - localhost
        return json.loads(response.read() or b"[]")
