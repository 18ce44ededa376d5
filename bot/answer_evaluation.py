"""How well the bot answers fact questions: ``make eval-answers``.

Each item of the set (``shared/eval/dev_facts.yml`` has the shape) is a question a
worker might type, the strings a correct answer must contain (any one of
``expect_any``) and must not contain (``expect_none``), and the worker's countries.
The question goes through the trained bot over the REST channel, the code path of
every real turn. When the bot asks which country the worker is from or works in,
the worker answers with the country's name in their language (CLDR), as a person
would; with no country given, they answer "another country". The conversation
stops at the first reply that is not a question about a country, or after
:data:`MAX_TURNS` turns.

An item passes when the bot's replies, up to that point, contain one of
``expect_any`` and none of ``expect_none`` (substrings, as written). The first
reply's length (every message of the bot's first turn) is measured in characters.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

MAX_TURNS = 4


@dataclass(frozen=True)
class Item:
    id: str
    language: str
    text: str
    origin: str | None
    destination: str | None
    expect_any: tuple[str, ...]
    expect_none: tuple[str, ...]


@dataclass
class ItemResult:
    id: str
    language: str
    passed: bool
    first_reply_chars: int
    turns: int
    transcript: list[str] = field(default_factory=list)


@dataclass
class AnswerReport:
    results: list[ItemResult]

    @property
    def pass_rate(self) -> float:
        return sum(result.passed for result in self.results) / max(len(self.results), 1)

    def by_language(self) -> dict[str, float]:
        groups: dict[str, list[bool]] = defaultdict(list)
        for result in self.results:
            groups[result.language].append(result.passed)
        return {language: sum(passed) / len(passed) for language, passed in groups.items()}

    @property
    def median_first_reply(self) -> float:
        return statistics.median(result.first_reply_chars for result in self.results) \
            if self.results else 0.0

    def table(self) -> str:
        counts: dict[str, int] = defaultdict(int)
        for result in self.results:
            counts[result.language] += 1
        lines = [f"{'language':10}{'n':>5}{'pass':>8}"]
        for language, rate in sorted(self.by_language().items()):
            lines.append(f"{language:10}{counts[language]:>5}{rate:>8.0%}")
        lines.append(f"{'overall':10}{len(self.results):>5}{self.pass_rate:>8.0%}")
        lines.append(f"median first reply: {self.median_first_reply:.0f} characters")
        return "\n".join(lines)

    def to_json(self) -> dict:
        return {
            "pass_rate": self.pass_rate,
            "by_language": self.by_language(),
            "median_first_reply_chars": self.median_first_reply,
            "items": [{"id": r.id, "language": r.language, "passed": r.passed,
                       "first_reply_chars": r.first_reply_chars, "turns": r.turns}
                      for r in self.results],
        }


def load_items(path: Path) -> list[Item]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [Item(str(entry["id"]), entry["language"], entry["text"], entry.get("origin"),
                 entry.get("destination"), tuple(str(s) for s in entry.get("expect_any") or ()),
                 tuple(str(s) for s in entry.get("expect_none") or ()))
            for entry in data]


def passes(item: Item, replies: str) -> bool:
    return any(expected in replies for expected in item.expect_any) \
        and not any(forbidden in replies for forbidden in item.expect_none)


def country_answer(item: Item, reply_text: str) -> str | None:
    """What a worker answers when ``reply_text`` asks for a country; None if it does not."""
    from bot.countries import country_name
    from bot.dialogue import COUNTRY_QUESTIONS
    from bot.i18n import translator

    t = translator(item.language)
    for role, question in COUNTRY_QUESTIONS.items():
        if t.gettext(question) in reply_text:
            code = item.origin if role == "origin" else item.destination
            if code:
                return country_name(code, item.language)
            return t.gettext("Another country")
    return None


Send = Callable[[str, str], list[dict]]


def run_item(item: Item, send: Send) -> ItemResult:
    sender = f"eval-{item.id}-{uuid.uuid4().hex[:8]}"
    transcript: list[str] = []
    message = item.text
    first_reply_chars = 0
    for turn in range(1, MAX_TURNS + 1):
        replies = send(sender, message)
        reply_text = "\n".join(reply.get("text") or "" for reply in replies)
        transcript.append(reply_text)
        if turn == 1:
            first_reply_chars = len(reply_text)
        answer = country_answer(item, reply_text)
        if answer is None:
            break
        message = answer
    return ItemResult(item.id, item.language, passes(item, "\n".join(transcript)),
                      first_reply_chars, len(transcript), transcript)


def evaluate(items: list[Item], send: Send) -> AnswerReport:
    return AnswerReport([run_item(item, send) for item in items])


def evaluate_with_servers(dataset: Path, out: Path | None = None) -> AnswerReport:
    """Start the action and Rasa servers (REST channel) in a scratch folder and run the set."""
    from bot.servers import post_message, running_bot

    items = load_items(dataset)
    with tempfile.TemporaryDirectory(prefix="eval-answers-") as workdir, \
            running_bot(Path(workdir)) as url:
        report = evaluate(items, lambda sender, text: post_message(url, sender, text))
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        body = report.to_json()
        body["failures"] = [{"id": r.id, "language": r.language, "replies": r.transcript}
                            for r in report.results if not r.passed]
        out.write_text(json.dumps(body, ensure_ascii=False, indent=2), encoding="utf-8")
    return report
