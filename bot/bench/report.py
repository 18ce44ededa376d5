"""``results/bench.md`` and its plots, from a bench result (``results/bench.json``).

:func:`markdown` is a pure function of the result (tested on a fixed one); the
plots are drawn by :func:`write_report` with matplotlib, without a display.
"""

from __future__ import annotations

from pathlib import Path

from bot.bench.stats import CONCURRENCIES

PLOTS = {
    "latency": "bench-latency.png",
    "throughput": "bench-throughput.png",
    "long": "bench-long-conversation.png",
    "actions": "bench-actions.png",
}


def _num(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _ratio(value: float | None) -> str:
    return _num(value, 2)


def _missed_reason(target: dict, result: dict) -> str:
    """Why a target was missed, in measured figures."""
    name = target["name"]
    if name.startswith(("median", "p95")):
        concurrency = name.split("concurrency ")[1].rstrip(")")
        figures = result["load"][concurrency]
        key = "median_ms" if name.startswith("median") else "p95_ms"
        return (f"ours {figures['ours'][key]:.1f} ms against plain "
                f"{figures['plain'][key]:.1f} ms")
    if name.startswith("throughput"):
        concurrency = name.split("concurrency ")[1].rstrip(")")
        figures = result["load"][concurrency]
        return (f"ours {figures['ours']['turns_per_s']:.1f} turns/s against plain "
                f"{figures['plain']['turns_per_s']:.1f}")
    if name.startswith("slowest custom action"):
        if not result["actions"]:
            return "no action timings were recorded"
        action, row = max(result["actions"].items(), key=lambda item: item[1]["p95_ms"])
        return f"{action}: p95 {row['p95_ms']:.1f} ms over {row['n']} calls"
    if name.startswith("cold start"):
        return f"plain Rasa took {result['cold_start_s']['plain']:.1f} s"
    memory = result["memory_mb"]
    return (f"Rasa server {memory['ours_rasa']:.0f} MB, action server "
            f"{memory['ours_actions']:.0f} MB")


def markdown(result: dict) -> str:
    """The report, in Markdown: every figure beside plain Rasa's, where there is one."""
    lines = [f"# Benchmark, {result['date']}", "",
             f"Our bot against a plain `rasa init` bot on the same machine ({result['cpus']} "
             f"cores), in one run of `make bench` ({result['elapsed_s']:.0f} s). Ratios are "
             "ours / plain: under 1 is better for latency, time and memory, over 1 for "
             "throughput.", "", "## Targets", "",
             "| target | value | wanted | met |", "|---|---|---|---|"]
    for target in result["targets"]:
        lines.append(f"| {target['name']} | {_num(target['value'], 2)} | {target['target']} | "
                     f"{'yes' if target['met'] else '**no**'} |")
    missed = [target for target in result["targets"] if not target["met"]]
    lines.append("")
    if missed:
        lines.append("Missed:")
        lines.append("")
        lines += [f"- {target['name']}: {_missed_reason(target, result)}." for target in missed]
    else:
        lines.append("Every target is met.")
    lines += ["", "## Latency and throughput", "",
              "The bots take turns block by block (ours first, then plain, then plain first), "
              "so that the machine's other work weighs on both alike.", "",
              "| concurrency | turns each | median ms (ours / plain) | ratio | p95 ms | ratio "
              "| p99 ms | ratio | turns/s | ratio |", "|---|---|---|---|---|---|---|---|---|---|"]
    for concurrency in CONCURRENCIES:
        row = result["load"][str(concurrency)]
        ours, plain, ratio = row["ours"], row["plain"], row["ratio"]
        lines.append(
            f"| {concurrency} | {ours['n']} | {ours['median_ms']:.1f} / {plain['median_ms']:.1f} "
            f"| {_ratio(ratio['median'])} | {ours['p95_ms']:.1f} / {plain['p95_ms']:.1f} "
            f"| {_ratio(ratio['p95'])} | {ours['p99_ms']:.1f} / {plain['p99_ms']:.1f} "
            f"| {_ratio(ratio['p99'])} | {ours['turns_per_s']:.1f} / "
            f"{plain['turns_per_s']:.1f} | {_ratio(ratio['throughput'])} |")
    lines += ["", f"![latency]({PLOTS['latency']})", f"![throughput]({PLOTS['throughput']})"]

    lines += ["", "## Custom actions", "",
              "Inside the action server (its `--timings`: request read to response written), "
              "every call of the latency and throughput runs after the warm-up, at all "
              "three concurrencies. Plain Rasa has no action server.", "",
              "| action | calls | median ms | p95 ms | p99 ms |", "|---|---|---|---|---|"]
    for action, row in result["actions"].items():
        lines.append(f"| `{action}` | {row['n']} | {row['median_ms']:.2f} | "
                     f"{row['p95_ms']:.2f} | {row['p99_ms']:.2f} |")
    long_actions = result.get("actions_long_conversation") or {}
    if long_actions:
        lines += ["", "The same during the 300-turn conversations (the tracker Rasa sends "
                  "grows with every turn):", "", "| action | calls | median ms | p95 ms |",
                  "|---|---|---|---|"]
        lines += [f"| `{action}` | {row['n']} | {row['median_ms']:.2f} | {row['p95_ms']:.2f} |"
                  for action, row in long_actions.items()]
    lines += ["", f"![actions]({PLOTS['actions']})"]

    long = result["long_conversation"]
    lines += ["", f"## A {long['turns']}-turn conversation", "",
              f"One conversation per bot, the two at the same time, in buckets of "
              f"{long['bucket']} turns (all in one session: sessions expire after an idle "
              "hour, so a long chat keeps one).", "",
              "| turns | median ms (ours / plain) | ratio | p95 ms (ours / plain) |",
              "|---|---|---|---|"]
    for ours, plain in zip(long["ours"], long["plain"], strict=True):
        last = ours["first_turn"] + long["bucket"] - 1
        lines.append(f"| {ours['first_turn']}-{last} | {ours['median_ms']:.1f} / "
                     f"{plain['median_ms']:.1f} | "
                     f"{_ratio(ours['median_ms'] / plain['median_ms'])} | "
                     f"{ours['p95_ms']:.1f} / {plain['p95_ms']:.1f} |")
    first, last = long["ours"][0]["median_ms"], long["ours"][-1]["median_ms"]
    lines += ["", f"Ours: the last bucket's median is {last / first:.2f} times the first's "
              f"(plain: {long['plain'][-1]['median_ms'] / long['plain'][0]['median_ms']:.2f}).",
              "", f"![long conversation]({PLOTS['long']})"]

    cold, memory = result["cold_start_s"], result["memory_mb"]
    lines += ["", "## Cold start and memory", "",
              "| | ours | plain | ratio |", "|---|---|---|---|",
              f"| cold start (process start to first answered turn), s | {cold['ours']:.1f} | "
              f"{cold['plain']:.1f} | {_ratio(cold['ours'] / cold['plain'])} |",
              f"| resident memory after the load, MB | {memory['ours_total']:.0f} (Rasa "
              f"{memory['ours_rasa']:.0f}, actions {memory['ours_actions']:.0f}) | "
              f"{memory['plain_rasa']:.0f} | {_ratio(memory['ratio_total_to_plain'])} |"]
    training = result["training"]
    plain_training = training["plain"]
    if training["ours"]:
        ours_training = training["ours"]
        lines += [f"| training, s | {ours_training['seconds']:.0f} | "
                  f"{plain_training['seconds']:.0f} | {_ratio(training['ratio_seconds'])} |",
                  f"| training, peak resident memory of the process tree, MB | "
                  f"{ours_training['peak_rss_mb']:.0f} | {plain_training['peak_rss_mb']:.0f} | "
                  f"{_ratio(training['ratio_peak_rss'])} |"]
    else:
        lines += [f"| training, s | not measured | {plain_training['seconds']:.0f} | n/a |",
                  f"| training, peak resident memory, MB | not measured | "
                  f"{plain_training['peak_rss_mb']:.0f} | n/a |"]
    lines += ["", f"Our training: {training['ours_decision']}. Plain Rasa's is `rasa init`, "
              "which trains its model (its peak is sampled every 0.2 s: a floor)."]

    lines += ["", "## SMS segments per answer", "",
              "The first page of each answer to the development set's questions, sent by "
              "SMS from a number of the question's origin (all its SMS together; the budget "
              "is 3, a procedure step may take 10).", "",
              "| language | answers | median | max |", "|---|---|---|---|"]
    for language, row in result["sms_segments"].items():
        lines.append(f"| {language} | {row['answers']} | {row['median']:g} | {row['max']} |")

    phases = result.get("phases_s") or {}
    if phases:
        lines += ["", "## Where the run's time went", "",
                  f"Load average when it started: {result['load_average_at_start']:.1f} "
                  f"(on {result['cpus']} cores: other work was running)."
                  if result["load_average_at_start"] >= 1 else
                  f"Load average when it started: {result['load_average_at_start']:.1f}.", "",
                  "| step | s |", "|---|---|"]
        lines += [f"| {name} | {seconds:.0f} |" for name, seconds in phases.items()]
    nlu = result["nlu"]
    lines += ["", "## NLU alone", "",
              f"{nlu['messages']} of our training examples parsed in process, the two "
              f"models interleaved: p95 ours {nlu['ours']['p95_ms']:.1f} ms, plain "
              f"{nlu['plain']['p95_ms']:.1f} ms (ratio {_ratio(nlu['ratio_p95'])}; budget "
              f"{nlu['budget_p95_ms']:g} ms).", ""]
    return "\n".join(lines)


def console_summary(result: dict) -> str:
    lines = []
    for concurrency in CONCURRENCIES:
        ratio = result["load"][str(concurrency)]["ratio"]
        lines.append(f"concurrency {concurrency:>2}: median {_ratio(ratio['median'])}, p95 "
                     f"{_ratio(ratio['p95'])}, p99 {_ratio(ratio['p99'])}, throughput "
                     f"{_ratio(ratio['throughput'])} (ours/plain)")
    for target in result["targets"]:
        lines.append(f"{'met   ' if target['met'] else 'MISSED'} {target['name']}: "
                     f"{_num(target['value'], 2)} (wanted {target['target']})")
    lines.append(f"bench took {result['elapsed_s']:.0f} s")
    return "\n".join(lines)


def _plots(result: dict, directory: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colours = {"ours": "tab:blue", "plain": "tab:grey"}
    figure, axes = plt.subplots(1, 3, figsize=(11, 3.5), sharey=False)
    for axis, key in zip(axes, ("median_ms", "p95_ms", "p99_ms"), strict=True):
        for offset, name in ((-0.2, "ours"), (0.2, "plain")):
            values = [result["load"][str(c)][name][key] for c in CONCURRENCIES]
            axis.bar([i + offset for i in range(len(CONCURRENCIES))], values, width=0.4,
                     label=name, color=colours[name])
        axis.set_xticks(range(len(CONCURRENCIES)), [str(c) for c in CONCURRENCIES])
        axis.set_xlabel("concurrent conversations")
        axis.set_title(key.replace("_ms", "") + " latency, ms")
    axes[0].legend()
    figure.tight_layout()
    figure.savefig(directory / PLOTS["latency"], dpi=100)
    plt.close(figure)

    figure, axis = plt.subplots(figsize=(5, 3.5))
    for offset, name in ((-0.2, "ours"), (0.2, "plain")):
        values = [result["load"][str(c)][name]["turns_per_s"] for c in CONCURRENCIES]
        axis.bar([i + offset for i in range(len(CONCURRENCIES))], values, width=0.4,
                 label=name, color=colours[name])
    axis.set_xticks(range(len(CONCURRENCIES)), [str(c) for c in CONCURRENCIES])
    axis.set_xlabel("concurrent conversations")
    axis.set_ylabel("turns/s")
    axis.legend()
    figure.tight_layout()
    figure.savefig(directory / PLOTS["throughput"], dpi=100)
    plt.close(figure)

    long = result["long_conversation"]
    figure, axis = plt.subplots(figsize=(7, 3.5))
    for name in ("ours", "plain"):
        turns = [bucket["first_turn"] for bucket in long[name]]
        axis.plot(turns, [bucket["median_ms"] for bucket in long[name]], marker="o",
                  label=f"{name} median", color=colours[name])
        axis.plot(turns, [bucket["p95_ms"] for bucket in long[name]], linestyle="--",
                  label=f"{name} p95", color=colours[name])
    axis.set_xlabel(f"turn (buckets of {long['bucket']})")
    axis.set_ylabel("ms per turn")
    axis.set_ylim(bottom=0)
    axis.legend()
    figure.tight_layout()
    figure.savefig(directory / PLOTS["long"], dpi=100)
    plt.close(figure)

    figure, axis = plt.subplots(figsize=(7, 0.4 * max(len(result["actions"]), 3) + 1))
    names = list(result["actions"])
    axis.barh(names, [result["actions"][name]["p95_ms"] for name in names], color="tab:blue",
              label="p95")
    axis.barh(names, [result["actions"][name]["median_ms"] for name in names],
              color="tab:cyan", label="median")
    axis.axvline(10, color="tab:red", linestyle=":", label="target (p95 < 10 ms)")
    axis.set_xlabel("ms inside the action server")
    axis.legend()
    figure.tight_layout()
    figure.savefig(directory / PLOTS["actions"], dpi=100)
    plt.close(figure)


def write_report(result: dict, directory: Path, path: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    _plots(result, directory)
    path.write_text(markdown(result), encoding="utf-8")
    return path
