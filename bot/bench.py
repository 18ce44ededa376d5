"""``make bench``: our bot against plain Rasa, side by side, as ratios.

Plain Rasa is ``rasa init``'s example assistant (responses from the domain, no
action server, Rasa's own REST channel and SQL tracker store), trained here.
Both stacks get the same messages, interleaved turn by turn so that whatever
else the machine does affects both alike. Ratios, not milliseconds, are the
result: they survive a change of machine.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bot.servers import (
    BIN,
    MODEL,
    free_port,
    post_message,
    running_bot,
    running_processes,
    server_env,
)
from bot.settings import NLU_DATA_DIR

NLU_BUDGET_P95_MS = 15.0  # issue 9: the NLU part of a turn, at the 95th percentile
NLU_SAMPLE = 300  # training examples parsed for the NLU timing, spread over every intent
MESSAGES = [
    "hello", "how much can the agency charge me?", "I am from Nepal", "2",
    "my employer keeps my passport", "मेरो तलब आएको छैन", "thank you", "bye",
]


def _plain_rasa(workdir: Path) -> tuple[list, Path, str]:
    project = workdir / "plain"
    project.mkdir()
    env = server_env()
    with (workdir / "plain-init.log").open("wb") as log:
        subprocess.run([BIN / "rasa", "init", "--no-prompt", "--init-dir", str(project)],  # noqa: S603
                       cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT, check=True)
    model = max((project / "models").glob("*.tar.gz"), key=lambda path: path.stat().st_mtime)
    (project / "endpoints.yml").write_text(
        f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: {project / 'tracker.db'}\n",
        encoding="utf-8")
    port = free_port()
    argv = [BIN / "rasa", "run", "--model", str(model), "--port", str(port), "--interface",
            "127.0.0.1", "--endpoints", str(project / "endpoints.yml"),
            "--credentials", str(project / "credentials.yml")]
    return argv, workdir / "plain.log", f"http://127.0.0.1:{port}"


def _nlu_sample(size: int = NLU_SAMPLE) -> list[str]:
    """Our own training examples, every n-th, so that every language and length is in."""
    from rasa.shared.nlu.training_data.loading import load_data

    texts = [example.get("text") for example in load_data(str(NLU_DATA_DIR)).intent_examples]
    step = max(len(texts) // size, 1)
    return texts[::step][:size]


def _nlu_ms(models: dict[str, Path], texts: list[str]) -> dict[str, list[float]]:
    """How long each model's NLU takes for one message, in process (no HTTP, no tracker),
    the two models interleaved message by message."""
    import asyncio
    import logging

    import structlog
    from rasa.core.agent import Agent

    # Rasa logs every parse at debug level; a served bot does not, so neither does this.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))
    agents = {name: Agent.load(str(model)) for name, model in models.items()}
    samples: dict[str, list[float]] = {name: [] for name in models}

    async def parse_all() -> None:
        for text in texts[:20]:  # warm up
            for agent in agents.values():
                await agent.parse_message(text)
        for text in texts:
            for name, agent in agents.items():
                start = time.perf_counter()
                await agent.parse_message(text)
                samples[name].append((time.perf_counter() - start) * 1000)

    asyncio.run(parse_all())
    return samples


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[int(0.95 * (len(ordered) - 1))]


def _turn_ms(url: str, sender: str, text: str) -> float:
    start = time.perf_counter()
    post_message(url, sender, text)
    return (time.perf_counter() - start) * 1000


def _latencies(urls: dict[str, str], conversations: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {name: [] for name in urls}
    for _ in range(conversations):
        senders = {name: uuid.uuid4().hex for name in urls}
        for text in MESSAGES:
            for name, url in urls.items():
                samples[name].append(_turn_ms(url, senders[name], text))
    return samples


def _throughput(url: str, turns: int, workers: int) -> float:
    def conversation(_index: int) -> None:
        sender = uuid.uuid4().hex
        for text in MESSAGES:
            post_message(url, sender, text)

    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(conversation, range(max(turns // len(MESSAGES), 1))))
    return max(turns // len(MESSAGES), 1) * len(MESSAGES) / (time.perf_counter() - start)


def run(conversations: int = 10, workers: int = 4) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-") as directory:
        workdir = Path(directory)
        (workdir / "ours").mkdir()
        plain_argv, plain_log, plain_url = _plain_rasa(workdir)
        with running_bot(workdir / "ours") as ours_url, \
                running_processes([(plain_argv, plain_log, plain_url + "/")], server_env()):
            urls = {"ours": ours_url, "plain": plain_url}
            _latencies(urls, 1)  # warm both up
            samples = _latencies(urls, conversations)
            throughput = {name: _throughput(url, conversations * len(MESSAGES), workers)
                          for name, url in urls.items()}
        nlu = _nlu_ms({"ours": MODEL, "plain": Path(plain_argv[3])}, _nlu_sample())
    result = {"turns": len(samples["ours"]), "workers": workers,
              "nlu_messages": len(nlu["ours"]), "nlu_budget_p95_ms": NLU_BUDGET_P95_MS}
    for name, values in samples.items():
        result[name] = {"median_ms": statistics.median(values), "p95_ms": _p95(values),
                        "turns_per_s": throughput[name],
                        "nlu_median_ms": statistics.median(nlu[name]),
                        "nlu_p95_ms": _p95(nlu[name])}
    result["ratio_median"] = result["ours"]["median_ms"] / result["plain"]["median_ms"]
    result["ratio_p95"] = result["ours"]["p95_ms"] / result["plain"]["p95_ms"]
    result["ratio_throughput"] = result["ours"]["turns_per_s"] / result["plain"]["turns_per_s"]
    result["ratio_nlu_p95"] = result["ours"]["nlu_p95_ms"] / result["plain"]["nlu_p95_ms"]
    return result


def report(result: dict) -> str:
    lines = [f"{'':8}{'median ms':>11}{'p95 ms':>9}{'turns/s':>9}"]
    for name in ("ours", "plain"):
        row = result[name]
        lines.append(f"{name:8}{row['median_ms']:>11.1f}{row['p95_ms']:>9.1f}"
                     f"{row['turns_per_s']:>9.1f}")
    lines.append(f"ratio ours/plain: median {result['ratio_median']:.2f}, p95 "
                 f"{result['ratio_p95']:.2f}, throughput {result['ratio_throughput']:.2f} "
                 f"({result['turns']} turns each, {result['workers']} concurrent "
                 "conversations for throughput)")
    ours_nlu = result["ours"]["nlu_p95_ms"]
    verdict = "within" if ours_nlu <= result["nlu_budget_p95_ms"] else "OVER"
    lines.append(f"NLU alone, {result['nlu_messages']} messages in process: p95 ours "
                 f"{ours_nlu:.1f} ms, plain {result['plain']['nlu_p95_ms']:.1f} ms (ratio "
                 f"{result['ratio_nlu_p95']:.2f}); {verdict} the "
                 f"{result['nlu_budget_p95_ms']:.0f} ms budget")
    return "\n".join(lines)


def main(out: Path | None) -> int:
    result = run()
    print(report(result))
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0
