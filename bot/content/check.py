"""``content check`` and ``content stats``: what caseworkers run after an edit."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from bot import languages
from bot.channels.sms.encoding import segments
from bot.content.loader import CONTENT_DIR, load_content
from bot.content.model import Content, Fact
from bot.i18n import Translator, translator
from bot.render import SMS, Reply, SourceNote, render

DOMAIN_FILE = CONTENT_DIR.parent / "domain.yml"
SMS_SEGMENT_BUDGET = SMS.segment_budget or 0  # declared once, in bot.render
_PLACEHOLDER = re.compile(r"\{\w+\}")
# A number standing alone; digits inside a name ("BP2MI") are part of the name.
_NUMBER_IN_SENTENCE = re.compile(r"(?<![^\W_])\d[\d.,]*(?![^\W_])")


@dataclass(frozen=True)
class Finding:
    severity: str  # "error" fails the check; "warning" is shown
    where: str
    message: str
    kind: str = ""  # "sms" for length warnings, which the command line summarises

    def __str__(self) -> str:
        return f"{self.severity}: {self.where}: {self.message}"


def _check_partners(registry: Path) -> list[Finding]:
    """``partner check`` on the content's registry: every problem is an error, since
    the bot would refuse the registry and keep using the last one that passed."""
    from bot.reports.partners import check_with_trust_file

    _registry, problems = check_with_trust_file(registry)
    return [Finding("error", _rel(registry), problem.removeprefix(f"{registry}: "))
            for problem in problems]


def check_content(directory: Path = CONTENT_DIR, today: date | None = None) -> list[Finding]:
    today = today or date.today()
    content, errors = load_content(directory)
    findings = [Finding("error", f"{_rel(e.file)}:{e.line}", e.message) for e in errors]
    findings += _check_intents(content)
    findings += _check_partners(directory / "partners.yml")
    for fact in content.all_facts():
        where = f"{_rel(fact.file)}:{fact.line}"
        number = _NUMBER_IN_SENTENCE.search(_PLACEHOLDER.sub("", fact.text))
        if number:
            findings.append(Finding("error", where, f"fact '{fact.id}' writes the number "
                                    f"{number.group()} in its sentence: put it in 'values' so "
                                    "that no translation can change it"))
        if fact.is_stale(today) and fact.verified:
            findings.append(Finding("warning", where, f"fact '{fact.id}' was last verified on "
                                    f"{fact.verified.on}, over 18 months ago: check it again"))
        for language in languages.CODES:
            cost = _sms_cost(fact, translator(language))
            if cost > SMS_SEGMENT_BUDGET:
                findings.append(Finding("warning", where, f"fact '{fact.id}' in {language} "
                                        f"takes {cost} SMS (budget {SMS_SEGMENT_BUDGET})",
                                        kind=f"sms:{language}"))
    return findings


def _check_intents(content: Content) -> list[Finding]:
    if not DOMAIN_FILE.exists():
        return []
    intents = set(yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8")).get("intents", []))
    findings = []
    for topic in content.topics.values():
        for intent in topic.intents:
            if intent not in intents:
                findings.append(Finding("error", _rel(topic.file),
                                        f"intent '{intent}' is not in domain.yml"))
    answered = {intent for topic in content.topics.values() for intent in topic.intents}
    for intent in sorted(i for i in intents if i.startswith("ask_") and i not in answered):
        findings.append(Finding("error", "content/charter",
                                f"no topic answers the intent '{intent}'"))
    return findings


def _sms_cost(fact: Fact, language_translator: Translator) -> int:
    """SMS segments of the fact as the bot would send it (0 if not translated yet)."""
    text = language_translator.lookup(fact.text, "content")
    if text is None:
        return 0
    source = SourceNote(fact.source.short_title, None, None)
    rendered = render(Reply(text, source=source), SMS, language_translator)
    return segments(rendered["text"])


def _rel(path: Path | None) -> str:
    if path is None:
        return "content"
    try:
        return str(path.relative_to(CONTENT_DIR.parent))
    except ValueError:
        return str(path)


def coverage_by_language(content: Content) -> dict[str, dict[str, float]]:
    """For each topic, the share of its strings translated in each language."""
    table: dict[str, dict[str, float]] = {}
    for topic_id in content.topics:
        texts = [fact.text for scope in _topic_facts(content, topic_id) for fact in scope]
        texts.append(content.topics[topic_id].title)
        row = {}
        for language in languages.CODES:
            if language == "en":
                row[language] = 1.0
                continue
            language_translator = translator(language)
            translated = sum(1 for text in texts
                             if language_translator.lookup(text, "content") is not None)
            row[language] = translated / len(texts)
        table[topic_id] = row
    return table


def _topic_facts(content: Content, topic_id: str):
    yield content.topics[topic_id].facts
    for country in content.countries.values():
        yield country.facts.get(topic_id, ())
    for corridor in content.corridors.values():
        yield corridor.facts.get(topic_id, ())


def corridor_matrix(content: Content) -> dict[tuple[str, str], int]:
    """For each origin and destination, how many topics get a country-specific answer."""
    matrix = {}
    for origin in content.countries_with_role("origin"):
        for destination in content.countries_with_role("destination"):
            answered = 0
            for topic in content.topics.values():
                facts = content.facts_for(topic.id, origin.code, destination.code)
                if any(scope != "charter" for scope, _ in facts):
                    answered += 1
            matrix[(origin.code, destination.code)] = answered
    return matrix
