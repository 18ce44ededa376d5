"""The pure parts of ``make bench``: arithmetic, targets, the report. Nothing is timed."""

from __future__ import annotations

import json
import zlib

import pytest

from bot.action_server import action_name
from bot.bench import load, stats
from bot.bench.report import console_summary, markdown


def test_percentile_interpolates_between_ranks():
    assert stats.percentile([1, 2, 3, 4], 50) == 2.5
    assert stats.percentile([4, 1, 3, 2], 0) == 1
    assert stats.percentile([4, 1, 3, 2], 100) == 4
    assert stats.percentile(list(range(1, 101)), 95) == pytest.approx(95.05)
    assert stats.percentile(list(range(1, 101)), 99) == pytest.approx(99.01)
    assert stats.percentile([7.0], 95) == 7.0


def test_percentile_refuses_nothing_and_out_of_range():
    with pytest.raises(ValueError):
        stats.percentile([], 50)
    with pytest.raises(ValueError):
        stats.percentile([1], 101)


def test_summary_buckets_and_segments():
    assert stats.summary([10, 20, 30, 40, 50]) == {
        "n": 5, "median_ms": 30, "p95_ms": 48.0, "p99_ms": pytest.approx(49.6)}
    assert stats.buckets([1, 2, 3, 4, 5], 2) == [
        {"first_turn": 1, "median_ms": 1.5, "p95_ms": 1.95},
        {"first_turn": 3, "median_ms": 3.5, "p95_ms": 3.95},
        {"first_turn": 5, "median_ms": 5, "p95_ms": 5}]
    assert stats.segment_summary([3, 1, 2, 2]) == {"answers": 4, "max": 3, "median": 2.0}
    assert stats.ratio(3.0, 4.0) == 0.75
    assert stats.ratio(3.0, 0.0) is None


def _load(ours_median, plain_median, ours_p95, plain_p95, ours_tps, plain_tps, n=64):
    ours = {"n": n, "median_ms": ours_median, "p95_ms": ours_p95, "p99_ms": ours_p95 + 10,
            "turns_per_s": ours_tps}
    plain = {"n": n, "median_ms": plain_median, "p95_ms": plain_p95,
             "p99_ms": plain_p95 + 10, "turns_per_s": plain_tps}
    return {"ours": ours, "plain": plain, "ratio": {
        "median": ours_median / plain_median, "p95": ours_p95 / plain_p95,
        "p99": (ours_p95 + 10) / (plain_p95 + 10), "throughput": ours_tps / plain_tps}}


def _result() -> dict:
    result = {
        "date": "2026-12-03", "cpus": 2, "elapsed_s": 400.0, "load_average_at_start": 2.5,
        "phases_s": {"plain rasa init (training)": 90.4, "cold starts": 30.0},
        "load": {"1": _load(15, 30, 24, 40, 60, 30),
                 "4": _load(20, 40, 36, 40, 40, 20),
                 "16": _load(80, 100, 150, 200, 42, 30)},
        "actions": {"action_greet": {"n": 10, "median_ms": 1.0, "p95_ms": 2.0, "p99_ms": 3.0},
                    "action_answer_topic": {"n": 20, "median_ms": 6.0, "p95_ms": 12.5,
                                            "p99_ms": 20.0}},
        "cold_start_s": {"ours": 21.5, "plain": 14.0},
        "memory_mb": {"ours_rasa": 600.0, "ours_actions": 200.0, "ours_total": 800.0,
                      "plain_rasa": 900.0, "ratio_total_to_plain": 800 / 900},
        "long_conversation": {"turns": 4, "bucket": 2,
                              "ours": [{"first_turn": 1, "median_ms": 20.0, "p95_ms": 25.0},
                                       {"first_turn": 3, "median_ms": 22.0, "p95_ms": 30.0}],
                              "plain": [{"first_turn": 1, "median_ms": 40.0, "p95_ms": 50.0},
                                        {"first_turn": 3, "median_ms": 50.0, "p95_ms": 60.0}]},
        "actions_long_conversation": {"action_greet": {"n": 3, "median_ms": 4.0,
                                                       "p95_ms": 9.0, "p99_ms": 9.5}},
        "training": {"plain": {"seconds": 90.0, "peak_rss_mb": 1500.0}, "ours": None,
                     "ours_decision": "not trained (--train no)"},
        "sms_segments": {"en": {"answers": 5, "max": 3, "median": 2}},
        "nlu": {"messages": 300, "budget_p95_ms": 15.0, "ours": {"p95_ms": 6.0},
                "plain": {"p95_ms": 12.0}, "ratio_p95": 0.5},
    }
    result["targets"] = stats.targets(result)
    return result


def test_targets_are_named_valued_and_judged():
    assert _result()["targets"] == [
        {"name": "median latency ratio (concurrency 4)", "value": 0.5, "target": "<= 0.6",
         "met": True},
        {"name": "p95 latency ratio (concurrency 4)", "value": 0.9, "target": "<= 0.8",
         "met": False},
        {"name": "throughput ratio (concurrency 4)", "value": 2.0, "target": ">= 1.5",
         "met": True},
        {"name": "throughput ratio (concurrency 16)", "value": 1.4, "target": ">= 1.5",
         "met": False},
        {"name": "slowest custom action p95 (ms)", "value": 12.5, "target": "< 10",
         "met": False},
        {"name": "cold start, ours (s)", "value": 21.5, "target": "< 30", "met": True},
        {"name": "resident memory, Rasa server + action server (MB)", "value": 800.0,
         "target": "< 1000", "met": True},
    ]


def test_markdown_report_of_a_fixed_result():
    text = markdown(_result())
    assert text.startswith("# Benchmark, 2026-12-03\n")
    assert "| p95 latency ratio (concurrency 4) | 0.90 | <= 0.8 | **no** |" in text
    assert "| median latency ratio (concurrency 4) | 0.50 | <= 0.6 | yes |" in text
    assert ("- p95 latency ratio (concurrency 4): ours 36.0 ms against plain 40.0 ms."
            in text)
    assert ("- throughput ratio (concurrency 16): ours 42.0 turns/s against plain 30.0."
            in text)
    assert "- slowest custom action p95 (ms): action_answer_topic: p95 12.5 ms over 20 calls." \
        in text
    assert ("| 4 | 64 | 20.0 / 40.0 | 0.50 | 36.0 / 40.0 | 0.90 | 46.0 / 50.0 | 0.92 "
            "| 40.0 / 20.0 | 2.00 |") in text
    assert "| `action_answer_topic` | 20 | 6.00 | 12.50 | 20.00 |" in text
    assert "| `action_greet` | 3 | 4.00 | 9.00 |" in text
    assert "| 1-2 | 20.0 / 40.0 | 0.50 | 25.0 / 50.0 |" in text
    assert "Ours: the last bucket's median is 1.10 times the first's (plain: 1.25)." in text
    assert "| cold start (process start to first answered turn), s | 21.5 | 14.0 | 1.54 |" \
        in text
    assert "| resident memory after the load, MB | 800 (Rasa 600, actions 200) | 900 | 0.89 |" \
        in text
    assert "| training, s | not measured | 90 | n/a |" in text
    assert "Our training: not trained (--train no)." in text
    assert "| en | 5 | 2 | 3 |" in text
    assert "![latency](bench-latency.png)" in text
    assert "p95 ours 6.0 ms, plain 12.0 ms (ratio 0.50; budget 15 ms)" in text
    assert "Load average when it started: 2.5 (on 2 cores: other work was running)." in text
    assert "| plain rasa init (training) | 90 |\n| cold starts | 30 |" in text


def test_console_summary_names_missed_targets():
    lines = console_summary(_result()).splitlines()
    assert lines[1] == ("concurrency  4: median 0.50, p95 0.90, p99 0.92, throughput 2.00 "
                        "(ours/plain)")
    assert "MISSED p95 latency ratio (concurrency 4): 0.90 (wanted <= 0.8)" in lines
    assert lines[-1] == "bench took 400 s"


def test_action_name_as_rasa_sdk_reads_it():
    body = json.dumps({"next_action": "action_greet", "tracker": {}}).encode()
    assert action_name(body, None) == "action_greet"
    assert action_name(zlib.compress(body), "deflate") == "action_greet"
    assert action_name(b"not json", None) == "?"
    assert action_name(b"[]", None) == "?"
    assert action_name(json.dumps({"next_action": 3}).encode(), None) == "?"


def test_read_timings_skips_the_warm_up(tmp_path):
    path = tmp_path / "timings.tsv"
    path.write_text("action_greet\t5.000\naction_greet\t1.500\naction_thanks\t0.250\n",
                    encoding="utf-8")
    assert load.read_timings(path, skip_lines=1) == {"action_greet": [1.5],
                                                     "action_thanks": [0.25]}
    assert load.read_timings(path, skip_lines=1, stop_line=2) == {"action_greet": [1.5]}
    assert load.count_lines(path) == 3
    assert load.read_timings(tmp_path / "missing.tsv") == {}
