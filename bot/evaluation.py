"""Intent accuracy of a trained model on a labelled set, per language.

The set's shape is ``intent -> language -> [texts]`` (like ``shared/eval``). Its
lines are measured, never trained on.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml


@dataclass
class Report:
    by_language: dict[str, float]
    overall: float
    errors: list[dict] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    # Messages that got "which do you mean?" (bot.nlu.close_call), and of those, how
    # many offered the right intent among the two choices.
    asked: int = 0
    asked_right: int = 0

    def confusions(self, language: str | None = None) -> list[tuple[str, str, int]]:
        """(expected, predicted, count) of the errors, commonest first."""
        counted = Counter((error["expected"], error["predicted"]) for error in self.errors
                          if language is None or error["language"] == language)
        return [(expected, predicted, count)
                for (expected, predicted), count in counted.most_common()]

    def count(self, expected: str, predicted: str) -> int:
        return sum(1 for error in self.errors
                   if (error["expected"], error["predicted"]) == (expected, predicted))

    def table(self, top_confusions: int = 3) -> str:
        """Accuracy per language with its commonest confusions, then overall."""
        lines = [f"{'language':10}{'n':>5}{'accuracy':>10}  commonest confusions"]
        for language, accuracy in sorted(self.by_language.items()):
            confused = ", ".join(f"{expected}->{predicted} ({count})" for expected, predicted,
                                 count in self.confusions(language)[:top_confusions])
            lines.append(f"{language:10}{self.counts[language]:>5}{accuracy:>10.1%}  {confused}")
        lines.append(f"{'overall':10}{sum(self.counts.values()):>5}{self.overall:>10.1%}")
        lines.append(f"asked \"which do you mean?\" on {self.asked} messages (counted above as "
                     f"the first guess); the right intent was a choice in {self.asked_right}")
        return "\n".join(lines)


def load_dataset(path: Path) -> list[tuple[str, str, str]]:
    """(text, intent, language) triples."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [(text, intent, language) for intent, by_language in data.items()
            for language, texts in by_language.items() for text in texts]


def evaluate(examples: list[tuple[str, str, str]], model: Path) -> Report:
    from rasa.core.agent import Agent

    from bot.log_privacy import quiet_rasa_debug_events

    quiet_rasa_debug_events()  # else every message parsed is printed, with its text
    agent = Agent.load(str(model))

    async def parse_all() -> list[dict]:
        return [await agent.parse_message(text) for text, _, _ in examples]

    parsed = asyncio.run(parse_all())
    hits: dict[str, int] = defaultdict(int)
    counts: dict[str, int] = defaultdict(int)
    errors = []
    asked = asked_right = 0
    for (text, intent, language), result in zip(examples, parsed, strict=True):
        predicted = (result.get("intent") or {}).get("name")
        close_call = result.get("close_call")
        if close_call:
            # Accuracy stays the classifier's: its first guess, not the question.
            predicted = close_call[0]
            asked += 1
            asked_right += intent in close_call
        counts[language] += 1
        if predicted == intent:
            hits[language] += 1
        else:
            errors.append({"language": language, "text": text, "expected": intent,
                           "predicted": predicted})
    by_language = {language: hits[language] / counts[language] for language in counts}
    overall = sum(hits.values()) / max(sum(counts.values()), 1)
    return Report(by_language, overall, errors, dict(counts), asked, asked_right)


def evaluate_file(dataset: Path, model: Path, out: Path | None = None) -> Report:
    report = evaluate(load_dataset(dataset), model)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({
            "overall": report.overall, "by_language": report.by_language,
            "asked_which": report.asked, "asked_which_right_choice": report.asked_right,
            "confusions": [{"expected": expected, "predicted": predicted, "count": count}
                           for expected, predicted, count in report.confusions()],
            "errors": report.errors}, ensure_ascii=False, indent=2), encoding="utf-8")
    return report
