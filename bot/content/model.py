"""What content is made of, once loaded and validated."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

STALE_AFTER_DAYS = 548  # 18 months: a fact not verified since then is flagged
SHORT_SOURCE_CHARS = 48  # what a source's short name may take on a phone screen

# What a fact is, for ordering an answer: the rule with its number first, then what to
# do and whom to call, then the international standard.
KINDS = ("rule", "step", "contact", "standard")
# What a procedure is for, by the role of the country whose file it is in.
PURPOSES = {"destination": ("complaint", "passport_back"),
            "origin": ("legal_departure", "welfare_claim")}
MIN_STEPS, MAX_STEPS = 2, 6
# Who may record that a fact was compared with its source: a role, never a person's name.
VERIFIER_ROLES = ("caseworker", "lawyer", "paralegal", "translator", "researcher")


@dataclass(frozen=True)
class Source:
    title: str
    url: str | None = None
    short: str | None = None  # e.g. "Saudi Labour Law, Art. 40": shown on phones

    @property
    def short_title(self) -> str:
        return self.short or self.title


@dataclass(frozen=True)
class Verification:
    """A person compared the fact with its source: when, and in which role."""

    on: date
    by: str  # a role ("caseworker", "lawyer"), never a name


@dataclass(frozen=True)
class Amount:
    value: Decimal
    currency: str


@dataclass(frozen=True)
class CountryRef:
    """A country named in a fact, shown in the reader's language (CLDR)."""

    code: str


@dataclass(frozen=True)
class Fact:
    """One sourced statement. ``text`` is English and the gettext msgid of its translations.

    ``values`` fill ``{placeholders}`` in the text: amounts are formatted for the reader's
    locale, countries are named in the reader's language, phone numbers and other
    strings are shown as they are (never translated).
    """

    id: str
    text: str
    source: Source
    drafted: date  # when it was written from its source
    values: dict[str, Amount | CountryRef | str] = field(default_factory=dict)
    verified: Verification | None = None  # absent until a person has compared it
    kind: str = "rule"  # one of KINDS
    # The sub-questions it answers (ids from content/questions.yml), e.g. "minimum_wage".
    answers: tuple[str, ...] = ()
    # language code -> extra words that ask for this fact, besides its translated text
    keywords: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # A charter fact that country files refine or contradict: its truth depends on the country.
    depends_on_country: bool = False
    file: Path | None = None
    line: int = 0

    def is_stale(self, today: date) -> bool:
        """Verified over 18 months ago (an unverified fact is flagged as such instead)."""
        return self.verified is not None and (today - self.verified.on).days > STALE_AFTER_DAYS

    @property
    def has_number(self) -> bool:
        return bool(self.values)


@dataclass(frozen=True)
class Step:
    """One thing a worker does, in order. ``text``, ``bring``, ``cost`` and ``takes`` are
    English msgids; ``values`` fill their ``{placeholders}`` as in a fact."""

    id: str
    text: str
    source: Source
    drafted: date
    values: dict[str, Amount | CountryRef | str] = field(default_factory=dict)
    bring: str | None = None  # what to bring, only where a source says so
    cost: str | None = None
    takes: str | None = None  # how long it takes
    verified: Verification | None = None
    file: Path | None = None
    line: int = 0

    def is_stale(self, today: date) -> bool:
        return self.verified is not None and (today - self.verified.on).days > STALE_AFTER_DAYS


@dataclass(frozen=True)
class Procedure:
    """What to do, step by step, for one purpose (see PURPOSES) in one country."""

    id: str
    purpose: str
    title: str  # English msgid
    topic: str  # the charter topic it belongs to
    answers: tuple[str, ...]  # sub-questions it answers
    steps: tuple[Step, ...]
    file: Path | None = None
    line: int = 0


@dataclass(frozen=True)
class Topic:
    """A charter chapter: the international standard, and which countries refine it."""

    id: str
    title: str
    intents: tuple[str, ...]
    facts: tuple[Fact, ...]
    # Which country files can add to this topic: "origin", "destination" or both.
    country_roles: tuple[str, ...] = ()
    file: Path | None = None


@dataclass(frozen=True)
class Country:
    code: str  # ISO 3166-1 alpha-2
    roles: tuple[str, ...]  # "origin", "destination"
    currency: str
    demonyms: dict[str, tuple[str, ...]]  # language code -> words for its people
    # language code -> other names people use: short names, main cities ("Dubai")
    aliases: dict[str, tuple[str, ...]]
    facts: dict[str, tuple[Fact, ...]]  # topic id -> facts
    file: Path | None = None
    procedures: tuple[Procedure, ...] = ()
    # Required topic or procedure purpose -> why nothing verified covers it (for caseworkers).
    nothing_verified: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Corridor:
    origin: str
    destination: str
    facts: dict[str, tuple[Fact, ...]]
    file: Path | None = None


@dataclass(frozen=True)
class SubQuestion:
    """One entry of the controlled vocabulary of what a question can ask for."""

    id: str
    topic: str  # where the question belongs when no intent says better
    words: dict[str, tuple[str, ...]]  # language code -> words and phrases that ask it
    problem: bool = False  # something is going wrong: say what to do and whom to call
    first: str | None = None  # "origin" when the origin's rules answer it before others
    describes_worker: bool = False  # says who the worker is (a domestic worker), not a question


@dataclass(frozen=True)
class Content:
    topics: dict[str, Topic]
    countries: dict[str, Country]
    corridors: dict[tuple[str, str], Corridor]
    questions: dict[str, SubQuestion] = field(default_factory=dict)

    def topic_for_intent(self, intent: str) -> Topic | None:
        for topic in self.topics.values():
            if intent in topic.intents:
                return topic
        return None

    def countries_with_role(self, role: str) -> list[Country]:
        return [country for country in self.countries.values() if role in country.roles]

    def facts_for(self, topic: str, origin: str | None, destination: str | None
                  ) -> list[tuple[str, Fact]]:
        """The facts that answer ``topic`` for a worker, most general first.

        Each comes with its scope: "charter", "origin", "destination" or "corridor".
        """
        found: list[tuple[str, Fact]] = []
        if topic in self.topics:
            found += [("charter", fact) for fact in self.topics[topic].facts]
        if origin in self.countries:
            found += [("origin", fact) for fact in self.countries[origin].facts.get(topic, ())]
        if destination in self.countries:
            found += [("destination", fact)
                      for fact in self.countries[destination].facts.get(topic, ())]
        corridor = self.corridors.get((origin or "", destination or ""))
        if corridor:
            found += [("corridor", fact) for fact in corridor.facts.get(topic, ())]
        return found

    def country_facts(self, code: str | None) -> list[Fact]:
        """Every fact of one country's file, whatever its topic."""
        country = self.countries.get(code or "")
        return [fact for group in country.facts.values() for fact in group] if country else []

    def corridor_facts(self, origin: str | None, destination: str | None) -> list[Fact]:
        corridor = self.corridors.get((origin or "", destination or ""))
        return [fact for group in corridor.facts.values() for fact in group] if corridor else []

    def all_procedures(self) -> list[Procedure]:
        return [procedure for country in self.countries.values()
                for procedure in country.procedures]

    def step(self, step_id: str) -> tuple[Procedure, int] | None:
        """The procedure a step belongs to, and the step's index in it."""
        for procedure in self.all_procedures():
            for index, step in enumerate(procedure.steps):
                if step.id == step_id:
                    return procedure, index
        return None

    def all_facts(self) -> list[Fact]:
        facts = [fact for topic in self.topics.values() for fact in topic.facts]
        for country in self.countries.values():
            facts += [fact for group in country.facts.values() for fact in group]
        for corridor in self.corridors.values():
            facts += [fact for group in corridor.facts.values() for fact in group]
        return facts
