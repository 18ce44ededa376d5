"""The arithmetic of the benchmark: percentiles, summaries, ratios and the targets.

Pure functions of lists of numbers and of the result dictionary, so that
``tests/test_bench.py`` checks them with exact values.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence

CONCURRENCIES = (1, 4, 16)
# Issue 13's targets: ours against plain Rasa where there is a plain figure.
MEDIAN_RATIO_MAX = 0.6
P95_RATIO_MAX = 0.8
THROUGHPUT_RATIO_MIN = 1.5
ACTION_P95_MAX_MS = 10.0
COLD_START_MAX_S = 30.0
RESIDENT_MAX_MB = 1000.0  # both servers of ours together: 1.0 GB (10^9 bytes)
TARGET_CONCURRENCY = 4  # where the median and p95 ratios are judged


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0 to 100), interpolated linearly between the two nearest
    ranks (numpy's default): ``percentile([1, 2, 3, 4], 50) == 2.5``."""
    if not values:
        raise ValueError("no values")
    if not 0 <= q <= 100:
        raise ValueError("q must be between 0 and 100")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary(values: Sequence[float]) -> dict[str, float]:
    """Median, p95 and p99 of ``values`` and how many there were."""
    return {"n": len(values), "median_ms": statistics.median(values),
            "p95_ms": percentile(values, 95), "p99_ms": percentile(values, 99)}


def ratio(ours: float, plain: float) -> float | None:
    """ours / plain, or None when plain is 0 (no ratio to speak of)."""
    return ours / plain if plain else None


def buckets(values: Sequence[float], size: int) -> list[dict[str, float]]:
    """``values`` (in turn order) cut into consecutive buckets of ``size`` turns: each
    bucket's first turn (1-based), median and p95."""
    out = []
    for start in range(0, len(values), size):
        part = values[start:start + size]
        out.append({"first_turn": start + 1, "median_ms": statistics.median(part),
                    "p95_ms": percentile(part, 95)})
    return out


def segment_summary(counts: Iterable[int]) -> dict[str, float]:
    """Max and median SMS segments of a language's answers."""
    values = list(counts)
    return {"answers": len(values), "max": max(values), "median": statistics.median(values)}


def _target(name: str, value: float | None, target: str, met: bool) -> dict:
    return {"name": name, "value": None if value is None else round(value, 3),
            "target": target, "met": bool(met) if value is not None else False}


def targets(result: dict) -> list[dict]:
    """Issue 13's targets, each ``{name, value, target, met}``, from a bench result.

    ``result["load"][str(c)]["ratio"]`` holds ours/plain at concurrency ``c``,
    ``result["actions"]`` each action's summary, ``result["cold_start_s"]`` each
    bot's cold start and ``result["memory_mb"]["ours_total"]`` our two servers'
    resident memory after the load.
    """
    at = result["load"][str(TARGET_CONCURRENCY)]["ratio"]
    out = [
        _target(f"median latency ratio (concurrency {TARGET_CONCURRENCY})",
                at["median"], f"<= {MEDIAN_RATIO_MAX}",
                at["median"] is not None and at["median"] <= MEDIAN_RATIO_MAX),
        _target(f"p95 latency ratio (concurrency {TARGET_CONCURRENCY})",
                at["p95"], f"<= {P95_RATIO_MAX}",
                at["p95"] is not None and at["p95"] <= P95_RATIO_MAX),
    ]
    for concurrency in (4, 16):
        value = result["load"][str(concurrency)]["ratio"]["throughput"]
        out.append(_target(f"throughput ratio (concurrency {concurrency})", value,
                           f">= {THROUGHPUT_RATIO_MIN}",
                           value is not None and value >= THROUGHPUT_RATIO_MIN))
    worst = max((row["p95_ms"] for row in result["actions"].values()), default=None)
    out.append(_target("slowest custom action p95 (ms)", worst, f"< {ACTION_P95_MAX_MS:g}",
                       worst is not None and worst < ACTION_P95_MAX_MS))
    cold = result["cold_start_s"]["ours"]
    out.append(_target("cold start, ours (s)", cold, f"< {COLD_START_MAX_S:g}",
                       cold < COLD_START_MAX_S))
    resident = result["memory_mb"]["ours_total"]
    out.append(_target("resident memory, Rasa server + action server (MB)", resident,
                       f"< {RESIDENT_MAX_MB:g}", resident < RESIDENT_MAX_MB))
    return out
