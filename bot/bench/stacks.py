"""The two bots: plain ``rasa init`` and ours, trained, started and timed.

Plain Rasa is ``rasa init``'s example assistant (responses from the domain, no
action server, Rasa's own REST channel and SQL tracker store on SQLite), trained
by ``rasa init`` itself in the run's temporary directory. Ours runs as
``make run`` does (action server plus Rasa server, our redacting tracker store on
SQLite in the temporary directory), with the generic SMS gateway open for the
segment count and the action server writing its ``--timings``.

Cold start is the wall time from starting the processes to the first answered
turn: a ``hello`` from a new sender every :data:`POLL_SECONDS` until one gets a
reply, so it includes loading the model and, for ours, the action server.
"""

from __future__ import annotations

import subprocess
import time
import urllib.error
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bot.bench.load import SMS_SECRET
from bot.bench.memory import timed_peak, tree_rss_mb
from bot.servers import BIN, CHANNELS, ROOT, bot_commands, free_port, post_message, server_env

POLL_SECONDS = 0.2
START_TIMEOUT = 300
OURS_CHANNELS = CHANNELS + "bot.channels.sms.SmsChannel:\n  default_region: NP\n"


@dataclass
class Stack:
    url: str
    processes: dict[str, subprocess.Popen]
    cold_start_s: float = 0.0
    logs: list[Path] = field(default_factory=list)

    def resident_mb(self) -> dict[str, float]:
        return {name: tree_rss_mb(process.pid) for name, process in self.processes.items()}


def init_plain(workdir: Path) -> tuple[list, Path, dict]:
    """``rasa init`` in ``workdir/plain``: the server's argv, its model and how long
    ``rasa init`` (which trains the model) took, with its peak memory."""
    project = workdir / "plain"
    project.mkdir()
    training = timed_peak([BIN / "rasa", "init", "--no-prompt", "--init-dir", str(project)],
                          workdir, server_env(), workdir / "plain-init.log")
    model = max((project / "models").glob("*.tar.gz"), key=lambda path: path.stat().st_mtime)
    (project / "endpoints.yml").write_text(
        f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: {project / 'tracker.db'}\n",
        encoding="utf-8")
    port = free_port()
    argv = [BIN / "rasa", "run", "--model", str(model), "--port", str(port), "--interface",
            "127.0.0.1", "--endpoints", str(project / "endpoints.yml"),
            "--credentials", str(project / "credentials.yml")]
    return argv, model, training


def train_ours(workdir: Path) -> dict:
    """``rasa train`` of our model into ``workdir`` (models/ is left alone)."""
    out = workdir / "ours-model"
    return timed_peak([BIN / "rasa", "train", "--fixed-model-name", "bench", "--out", str(out),
                       "--quiet"], ROOT, server_env(), workdir / "ours-train.log")


def _first_answer(url: str, processes: dict[str, subprocess.Popen], logs: list[Path]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        for name, process in processes.items():
            if process.poll() is not None:
                tail = "\n".join(log.read_text()[-2000:] for log in logs)
                raise RuntimeError(f"{name} exited early:\n{tail}")
        try:
            if post_message(url, uuid.uuid4().hex, "hello", timeout=30):
                return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(POLL_SECONDS)
    raise RuntimeError(f"{url} gave no answer in {START_TIMEOUT} s")


@contextmanager
def _started(commands: list[tuple[str, list, Path]], env: dict[str, str], url: str
             ) -> Iterator[Stack]:
    processes: dict[str, subprocess.Popen] = {}
    logs = [log for _name, _argv, log in commands]
    try:
        start = time.perf_counter()
        for name, argv, log in commands:
            with log.open("wb") as out:
                processes[name] = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out,  # noqa: S603
                                                   stderr=subprocess.STDOUT)
        _first_answer(url, processes, logs)
        yield Stack(url, processes, time.perf_counter() - start, logs)
    finally:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


@contextmanager
def plain_stack(workdir: Path, argv: list) -> Iterator[Stack]:
    url = f"http://127.0.0.1:{argv[argv.index('--port') + 1]}"
    with _started([("rasa", argv, workdir / "plain.log")], server_env(), url) as stack:
        yield stack


@contextmanager
def ours_stack(workdir: Path, timings: Path) -> Iterator[Stack]:
    commands, env, url = bot_commands(workdir, OURS_CHANNELS,
                                      {"BOT_SMS_GENERIC_SECRET": SMS_SECRET},
                                      ["--timings", str(timings)])
    named = [("actions", commands[0][0], commands[0][1]), ("rasa", commands[1][0], commands[1][1])]
    with _started(named, env, url) as stack:
        yield stack
