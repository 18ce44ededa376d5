"""Resident memory of a process and its descendants, read from ``/proc`` (Linux).

A process tree's memory is the sum of its processes' ``VmRSS``. The peak of a
training run is found by sampling that sum every :data:`SAMPLE_SECONDS` while it
runs (a peak between two samples can be missed: the figure is a floor). The
kernel's ``ru_maxrss`` is no help here: it is the largest single process, not the sum.
"""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

SAMPLE_SECONDS = 0.2
PROC = Path("/proc")


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for stat in PROC.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        tree.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    return tree


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    tree, found, todo = _children(), [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(tree.get(current, []))
    return found


def rss_kb(pid: int) -> int:
    """One process's resident set in kB (0 once it is gone)."""
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_mb(pid: int) -> float:
    """A process tree's resident memory in MB (10^6 bytes)."""
    return sum(rss_kb(each) for each in descendants(pid)) * 1024 / 1e6


def timed_peak(argv: list, cwd: Path, env: dict[str, str], log: Path) -> dict[str, float]:
    """Run ``argv`` to its end: wall seconds and the sampled peak of its tree's resident
    memory (MB)."""
    peak = 0.0
    with log.open("wb") as out:
        start = time.perf_counter()
        process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out,  # noqa: S603
                                   stderr=subprocess.STDOUT)
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, tree_rss_mb(process.pid))
                done.wait(SAMPLE_SECONDS)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        code = process.wait()
        seconds = time.perf_counter() - start
        done.set()
        sampler.join()
    if code:
        raise RuntimeError(f"{argv[:3]} failed ({code}):\n{log.read_text()[-3000:]}")
    return {"seconds": seconds, "peak_rss_mb": peak}
