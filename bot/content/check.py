"""``content check`` and ``content stats``: what caseworkers run after an edit."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from bot import languages
from bot.channels.sms.encoding import segments
from bot.content.loader import CONTENT_DIR, load_content
from bot.content.model import PURPOSES, Content, Country, Fact, Step
from bot.i18n import Translator, translator
from bot.render import SMS, Reply, SourceNote, render
from bot.settings import DOMAIN_FILE, ROOT

SMS_SEGMENT_BUDGET = SMS.segment_budget or 0  # declared once, in bot.render
_PLACEHOLDER = re.compile(r"\{\w+\}")
# A number standing alone; digits inside a name ("BP2MI", "C189") are part of the name.
_NUMBER_IN_SENTENCE = re.compile(r"(?<![^\W_])\d[\d.,]*(?![^\W_])")
# Numbers that name a law or a part of one, which no translation changes: "Article 40",
# "Law No. 15 of 2017", "Articles 10 and 11", "Royal Decree 53/2023", "ILO Convention 189",
# "Cap. 57", "NVQ Level 3", and a year in a title ("the Foreign Employment Act, 2007").
# Case matters: a title is capitalised. Amounts, phone numbers, days and hours match none.
_LAW_REFERENCE = re.compile(
    r"\b(?:Art\.|Articles?|Sections?|Sec\.|No\.|Nos\.|Conventions?|Recommendations?|Chapter"
    r"|Cap\.|Clause|Paragraph|Level|Decree(?:-Law)?|Law|Act|Prakas|Proclamation|Ordinance"
    r"|Resolution)\s+\d+(?:/\d+)*(?:\s+of\s+(?:19|20)\d{2}\b)?"
    r"(?:(?:\s+and\s+|\s*[-\u2013]\s*)\d+(?:/\d+)*)*"
    r"|\b(?:Act|Law|Code|Ordinance|Proclamation|Regulations?|Rules|Policy|Decree)"
    r"(?:,|\s+of)?\s+(?:19|20)\d{2}\b")
# What each country file must cover, by role (see docs in README, For caseworkers): a
# topic with at least one fact, or its id under 'nothing_verified' saying why not.
REQUIRED_TOPICS = {
    "destination": ("recruitment_fees", "passport", "wages", "domestic_workers",
                     "working_hours", "change_employer", "redress", "emergency",
                     "death_repatriation"),
    "origin": ("redress", "pre_departure", "social_security", "recruitment_fees"),
}
# A charter fact that already names its condition in words ("Countries that ratified ILO
# Convention {convention} must ...") says that it depends on the country.
_STATES_CONDITION = re.compile(r"\b(?:ratified|ratifying|accepted the|depends on|unless the law"
                               r"|law of the country|many countries)\b", re.IGNORECASE)


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
    findings += _check_required(content)
    findings += _check_step_details(content)
    findings += _check_charter_depends_on_country(content)
    for procedure in content.all_procedures():
        for step in procedure.steps:
            findings += _check_numbers(f"step '{step.id}'", step, _step_texts(step))
    for fact in content.all_facts():
        where = f"{_rel(fact.file)}:{fact.line}"
        findings += _check_numbers(f"fact '{fact.id}'", fact, (fact.text,))
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


def number_in_sentence(text: str) -> str | None:
    """The first number written in ``text`` outside placeholders and law references."""
    number = _NUMBER_IN_SENTENCE.search(_LAW_REFERENCE.sub("", _PLACEHOLDER.sub("", text)))
    return number.group() if number else None


def _step_texts(step: Step) -> tuple[str, ...]:
    return tuple(text for text in (step.text, step.bring, step.cost, step.takes) if text)


def _check_numbers(what: str, item: Fact | Step, texts: tuple[str, ...]) -> list[Finding]:
    for text in texts:
        number = number_in_sentence(text)
        if number:
            return [Finding("error", f"{_rel(item.file)}:{item.line}", f"{what} writes the "
                            f"number {number} in its sentence: put it in 'values' so that no "
                            "translation can change it")]
    return []


def _check_required(content: Content) -> list[Finding]:
    """Required topics and procedures that no fact or procedure covers and no
    'nothing_verified' entry explains: a warning for topics for now, as the files are
    being filled; an error for procedures."""
    findings = []
    for country in content.countries.values():
        for topic, purpose in uncovered(content, country):
            what = (f"required topic '{topic}' has no fact" if topic
                    else f"required procedure '{purpose}' is not written")
            findings.append(Finding("warning" if topic else "error", _rel(country.file),
                                    f"{country.code}: {what} and is not named in "
                                    "'nothing_verified'"))
    return findings


def _check_step_details(content: Content) -> list[Finding]:
    """One line: how many steps say nothing of what to bring, what it costs, how long it
    takes. Not an error: only what a source states is written."""
    steps = [step for procedure in content.all_procedures() for step in procedure.steps]
    missing = {key: sum(getattr(step, key) is None for step in steps)
               for key in ("bring", "cost", "takes")}
    if not any(missing.values()):
        return []
    counts = ", ".join(f"{count} without '{key}'" for key, count in missing.items())
    return [Finding("warning", "content/countries", f"of {len(steps)} procedure steps: "
                                                    f"{counts}")]


def uncovered(content: Content, country: Country) -> list[tuple[str | None, str | None]]:
    """(topic, None) for each required topic and (None, purpose) for each required procedure
    that the country's content does not cover and its 'nothing_verified' does not name."""
    missing: list[tuple[str | None, str | None]] = []
    for role in country.roles:
        for topic in REQUIRED_TOPICS.get(role, ()):
            covered = bool(country.facts.get(topic))
            if role == "origin" and topic == "recruitment_fees":
                # An origin's fee rules often differ by destination: corridors hold them.
                covered = covered or any(
                    corridor.facts.get(topic) for (origin, _), corridor
                    in content.corridors.items() if origin == country.code)
            if not covered and topic not in country.nothing_verified \
                    and (topic, None) not in missing:
                missing.append((topic, None))
        written = {procedure.purpose for procedure in country.procedures}
        for purpose in PURPOSES.get(role, ()):
            if purpose not in written and purpose not in country.nothing_verified:
                missing.append((None, purpose))
    return missing


def charter_overridden(content: Content) -> list[Fact]:
    """Charter facts that a country file refines or contradicts and that do not say so.

    Sharing a sub-question ('answers') with a country fact in the same topic is not enough:
    measured on 2026-12-02, that flagged 41 of the 60 charter facts, mostly "Countries that
    ratified ILO Convention {convention} must ...", which already say it depends on the
    country, and advice ("keep receipts") that no national rule contradicts. So a charter
    fact is flagged only when it states a standard ('kind: standard') without naming its
    condition, and a country fact that is a national rule ('kind: rule') answers one of its
    sub-questions in the same topic. Such a fact needs 'depends_on_country: true'.
    """
    flagged = []
    for topic in content.topics.values():
        country_rules = [fact for country in content.countries.values()
                         for fact in country.facts.get(topic.id, ()) if fact.kind == "rule"]
        for fact in topic.facts:
            if fact.kind != "standard" or _STATES_CONDITION.search(fact.text):
                continue
            if any(set(fact.answers) & set(rule.answers) for rule in country_rules):
                flagged.append(fact)
    return flagged


def _check_charter_depends_on_country(content: Content) -> list[Finding]:
    return [Finding("error", f"{_rel(fact.file)}:{fact.line}",
                    f"charter fact '{fact.id}' states a standard that country files answer "
                    "with their own rules: add 'depends_on_country: true'")
            for fact in charter_overridden(content) if not fact.depends_on_country]


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
        return str(path.relative_to(ROOT))
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


def _topic_facts(content: Content, topic_id: str) -> Iterator[tuple[Fact, ...]]:
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


@dataclass(frozen=True)
class Status:
    """How far a group of facts (or steps) can be trusted."""

    verified: int  # verified in the last 18 months
    stale: int  # verified more than 18 months ago
    unverified: int
    without_url: int


def status(items: list[Fact] | list[Step], today: date) -> Status:
    stale = sum(1 for item in items if item.is_stale(today))
    verified = sum(1 for item in items if item.verified) - stale
    return Status(verified, stale, len(items) - verified - stale,
                  sum(1 for item in items if not item.source.url))


def nothing_verified_count(content: Content) -> int:
    return sum(len(country.nothing_verified) for country in content.countries.values())


def country_table(content: Content) -> str:
    """Facts by country, as a Markdown table (for the README's content statistics)."""
    lines = ["| country | facts | verified | without URL | nothing verified | procedures |",
             "|---|---:|---:|---:|---:|---:|"]
    for code in sorted(content.countries):
        country = content.countries[code]
        facts = content.country_facts(code)
        lines.append(f"| {code} | {len(facts)} | {sum(1 for f in facts if f.verified)} | "
                     f"{sum(1 for f in facts if not f.source.url)} | "
                     f"{len(country.nothing_verified)} | {len(country.procedures)} |")
    return "\n".join(lines)
