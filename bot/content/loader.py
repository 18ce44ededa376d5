"""Reading ``content/`` into :class:`Content`, with errors that name file and line.

Caseworkers edit these files by hand, so every mistake is reported at once, all of
them, as ``file:line: what is wrong``. :class:`ContentStore` reloads edited files
while the bot runs and keeps serving the last good content when an edit is broken.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from babel.numbers import get_currency_name

from bot.content.model import (
    KINDS,
    MAX_STEPS,
    MIN_STEPS,
    PURPOSES,
    SHORT_SOURCE_CHARS,
    VERIFIER_ROLES,
    Amount,
    Content,
    Corridor,
    Country,
    CountryRef,
    Fact,
    Procedure,
    Source,
    Step,
    SubQuestion,
    Topic,
    Verification,
)
from bot.settings import CONTENT_DIR, ROOT, settings

log = logging.getLogger(__name__)


def content_dir() -> Path:
    """Where the running bot reads content: ``BOT_CONTENT_DIR``, or ``content/``."""
    return settings().content_dir


ROLES = ("origin", "destination")
QUESTIONS_FILE = "questions.yml"
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_ID = re.compile(r"^[a-z0-9_]+$")


@dataclass(frozen=True)
class ContentError:
    file: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{_display(self.file)}:{self.line}: {self.message}"


class ContentInvalid(Exception):
    """Raised when content cannot be loaded at all; carries every error found."""

    def __init__(self, errors: list[ContentError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(error) for error in errors))


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


class _Node(dict):
    """A mapping that remembers the line it started on."""

    line: int = 0


class _LineLoader(yaml.SafeLoader):
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> _Node:
        mapping = _Node(super().construct_mapping(node, deep=deep))
        mapping.line = node.start_mark.line + 1
        return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
                            _LineLoader.construct_mapping)


class _FileReader:
    """Validates one file, collecting errors instead of stopping at the first."""

    def __init__(self, path: Path, errors: list[ContentError]) -> None:
        self.path = path
        self.errors = errors
        # (sub-question id, line, what) for every 'answers' entry, checked once all is read
        self.answer_refs: list[tuple[str, int, str]] = []

    def error(self, line: int, message: str) -> None:
        self.errors.append(ContentError(self.path, line, message))

    def load(self) -> _Node | None:
        try:
            data = yaml.load(self.path.read_text(encoding="utf-8"), Loader=_LineLoader)  # noqa: S506 - SafeLoader subclass
        except UnicodeDecodeError:
            self.error(1, "the file is not UTF-8 text")
            return None
        except yaml.MarkedYAMLError as exc:
            # The context mark is where the broken construct starts (an unclosed
            # bracket); the problem mark is where the parser gave up, often later.
            start, found = exc.context_mark, exc.problem_mark
            line = (start or found).line + 1 if (start or found) else 1
            detail = exc.problem or exc.context
            if start and found and found.line != start.line:
                detail += f" (noticed on line {found.line + 1})"
            self.error(line, f"YAML syntax error: {detail}")
            return None
        if not isinstance(data, _Node):
            self.error(1, "the file must be a mapping (key: value lines)")
            return None
        return data

    def required(self, node: _Node, key: str, kind: type | tuple[type, ...],
                 what: str = "") -> Any:
        value = node.get(key)
        if value is None:
            self.error(node.line, f"{what}missing '{key}'")
            return None
        if not isinstance(value, kind):
            self.error(getattr(value, "line", node.line),
                       f"{what}'{key}' must be {_kind_name(kind)}")
            return None
        return value

    def fact(self, node: Any, seen_ids: set[str], parent_line: int, default_kind: str = "rule"
             ) -> Fact | None:
        if not isinstance(node, _Node):
            self.error(parent_line, "each fact must be a mapping with id, text, source, drafted")
            return None
        fact_id = self.required(node, "id", str)
        what = f"fact '{fact_id}': " if fact_id else ""
        if fact_id:
            if not _ID.match(fact_id):
                self.error(node.line, f"{what}id must be lowercase letters, digits and _")
            elif fact_id in seen_ids:
                self.error(node.line, f"{what}id is used twice")
            seen_ids.add(fact_id)
        if "checked" in node:
            self.error(node.line, f"{what}'checked' is replaced by 'drafted' (when the fact was "
                                  "written) and 'verified' (when a person compared it with its "
                                  "source): see README, For caseworkers")
        text = self.required(node, "text", str, what)
        drafted = self.date(node, "drafted", what, required=True)
        verified = self.verification(node.get("verified"), node.line, what)
        if isinstance(drafted, date) and isinstance(verified, Verification) \
                and verified.on < drafted:
            self.error(node.line, f"{what}'verified' is before 'drafted'")
        source = self.source(node.get("source"), node.line, what)
        values = self.values(node.get("values") or {}, node.line, what)
        kind = node.get("kind", default_kind)
        if kind not in KINDS:
            self.error(node.line, f"{what}'kind' must be one of {', '.join(KINDS)}")
            kind = None
        answers = self.answers(node.get("answers") or [], node.line, what)
        depends_on_country = node.get("depends_on_country", False)
        if not isinstance(depends_on_country, bool):
            self.error(node.line, f"{what}'depends_on_country' must be true or false")
        keywords = self.words_by_language(node.get("keywords") or {}, node.line,
                                          f"{what}keywords")
        if text is not None and values is not None:
            self.placeholders(node.line, what, [text], values)
        if fact_id is None or text is None or drafted is None or source is None \
                or values is None or kind is None or answers is None or verified is False:
            return None
        return Fact(fact_id, text.strip(), source, drafted, values,
                    verified=verified if isinstance(verified, Verification) else None,
                    kind=kind, answers=answers, keywords=keywords,
                    depends_on_country=depends_on_country is True, file=self.path,
                    line=node.line)

    def placeholders(self, line: int, what: str, texts: list[str], values: dict) -> None:
        """Every ``{placeholder}`` in the texts has a value, and every value is used."""
        used = {name for text in texts for name in _PLACEHOLDER.findall(text)}
        for missing in sorted(used - set(values)):
            self.error(line, f"{what}text uses {{{missing}}} but 'values' has no '{missing}'")
        for unused in sorted(set(values) - used):
            self.error(line, f"{what}'values' has '{unused}' but the text does not use "
                             f"{{{unused}}}")

    def date(self, node: _Node, key: str, what: str, required: bool = False) -> date | None:
        if node.get(key) is None and not required:
            return None
        value = self.required(node, key, date, what)
        if value is not None and value > date.today():
            self.error(node.line, f"{what}'{key}' is in the future")
            return None
        return value

    def verification(self, node: Any, line: int, what: str) -> Verification | bool | None:
        """None when absent; False (after an error) when malformed."""
        if node is None:
            return None
        if not isinstance(node, _Node):
            self.error(line, f"{what}'verified' must be a mapping with 'date' and 'by'")
            return False
        on = self.date(node, "date", what + "verified: ", required=True)
        by = self.required(node, "by", str, what + "verified: ")
        if by and by.strip() not in VERIFIER_ROLES:
            self.error(node.line, f"{what}verified: 'by' must be a role, one of "
                                  f"{', '.join(VERIFIER_ROLES)} (never a person's name)")
            return False
        if on is None or not by:
            return False
        return Verification(on, by.strip())

    def answers(self, node: Any, line: int, what: str) -> tuple[str, ...] | None:
        if not isinstance(node, list) or not all(isinstance(item, str) for item in node):
            self.error(line, f"{what}'answers' must be a list of sub-question ids")
            return None
        for item in node:
            self.answer_refs.append((item, line, what))
        return tuple(node)

    def words_by_language(self, node: Any, line: int, what: str) -> dict[str, tuple[str, ...]]:
        from bot.languages import CODES

        if not isinstance(node, dict):
            self.error(line, f"{what} must map language codes to lists of words")
            return {}
        words: dict[str, tuple[str, ...]] = {}
        for language, group in node.items():
            if language not in CODES:
                self.error(getattr(node, "line", line), f"{what}: unknown language '{language}'")
            elif not isinstance(group, list) or not all(isinstance(w, str) and w.strip()
                                                        for w in group):
                self.error(getattr(node, "line", line),
                           f"{what}: '{language}' must be a list of words")
            else:
                words[language] = tuple(word.strip() for word in group)
        return words

    def source(self, node: Any, line: int, what: str) -> Source | None:
        if not isinstance(node, _Node):
            self.error(line, f"{what}missing 'source' (title, and url or a legal reference)")
            return None
        title = self.required(node, "title", str, what + "source: ")
        url = node.get("url")
        if url is not None and not (isinstance(url, str) and url.startswith("https://")):
            self.error(node.line, f"{what}source url must start with https://")
            return None
        short = node.get("short")
        if short is not None and (not isinstance(short, str)
                                  or len(short.strip()) > SHORT_SOURCE_CHARS):
            self.error(node.line, f"{what}source 'short' must be text of at most "
                                  f"{SHORT_SOURCE_CHARS} characters")
            return None
        return Source(title.strip(), url, short.strip() if short else None) if title else None

    def values(self, node: Any, line: int, what: str
               ) -> dict[str, Amount | CountryRef | str] | None:
        if not isinstance(node, dict):
            self.error(line, f"{what}'values' must be a mapping")
            return None
        values: dict[str, Amount | CountryRef | str] = {}
        for name, value in node.items():
            if isinstance(value, str | int) and not isinstance(value, bool):
                values[name] = str(value)
            elif isinstance(value, _Node) and {"amount", "currency"} <= set(value):
                amount = self.amount(value, what)
                if amount is None:
                    return None
                values[name] = amount
            elif isinstance(value, _Node) and set(value) == {"country"} \
                    and re.fullmatch(r"[A-Z]{2}", str(value["country"])):
                values[name] = CountryRef(str(value["country"]))
            else:
                self.error(getattr(value, "line", line), f"{what}value '{name}' must be text, "
                                                         "{amount, currency} or {country: XX}")
                return None
        return values

    def amount(self, node: _Node, what: str) -> Amount | None:
        currency = str(node["currency"])
        try:
            value = Decimal(str(node["amount"]))
        except InvalidOperation:
            self.error(node.line, f"{what}amount must be a number")
            return None
        if get_currency_name(currency, locale="en") == currency:
            self.error(node.line, f"{what}unknown currency code '{currency}'")
            return None
        return Amount(value, currency)

    def fact_groups(self, node: Any, line: int, topics: set[str]
                    ) -> dict[str, tuple[Fact, ...]]:
        if node is None:
            return {}
        if not isinstance(node, _Node):
            self.error(line, "'topics' must map topic ids to lists of facts")
            return {}
        groups: dict[str, tuple[Fact, ...]] = {}
        seen: set[str] = set()
        for topic, facts in node.items():
            if topic not in topics:
                known = ", ".join(sorted(topics))
                self.error(node.line, f"unknown topic '{topic}' (topics: {known})")
                continue
            if not isinstance(facts, list):
                self.error(node.line, f"topic '{topic}' must be a list of facts")
                continue
            loaded = [self.fact(fact, seen, node.line) for fact in facts]
            groups[topic] = tuple(fact for fact in loaded if fact)
        return groups


    def procedures(self, node: Any, line: int, roles: list[str], topics: set[str],
                   seen_ids: set[str]) -> tuple[Procedure, ...]:
        """The ``procedures:`` of a country file; ``seen_ids`` holds the ids already used
        (facts and other procedures share one id space)."""
        if node is None:
            return ()
        if not isinstance(node, list):
            self.error(line, "'procedures' must be a list of procedures")
            return ()
        purposes = [purpose for role in roles for purpose in PURPOSES.get(role, ())]
        loaded = [self.procedure(item, line, purposes, topics, seen_ids) for item in node]
        return tuple(procedure for procedure in loaded if procedure)

    def nothing_verified(self, node: Any, line: int, topics: set[str]) -> dict[str, str]:
        """Required topics and procedure purposes that nothing verified covers, with why."""
        if node is None:
            return {}
        if not isinstance(node, _Node):
            self.error(line, "'nothing_verified' must map topic ids or procedure purposes to "
                             "a note")
            return {}
        purposes = {purpose for group in PURPOSES.values() for purpose in group}
        notes: dict[str, str] = {}
        for key, note in node.items():
            key_line = self._key_line(key, node.line)
            if key not in topics and key not in purposes:
                self.error(key_line, f"nothing_verified: '{key}' is neither a charter topic nor "
                                     f"a procedure purpose ({', '.join(sorted(purposes))})")
            elif not isinstance(note, str) or not note.strip():
                self.error(key_line, f"nothing_verified: '{key}' needs a note saying what was "
                                     "searched and why nothing is verified")
            else:
                notes[key] = note.strip()
        return notes

    def _key_line(self, key: Any, start: int) -> int:
        """The line where ``key:`` is written, at or after ``start`` (the mapping's line)."""
        pattern = re.compile(rf"^\s*{re.escape(str(key))}\s*:")
        lines = self.path.read_text(encoding="utf-8").splitlines()
        for number in range(start, len(lines) + 1):
            if pattern.match(lines[number - 1]):
                return number
        return start

    def _new_id(self, node: _Node, what: str, seen_ids: set[str]) -> str | None:
        item_id = self.required(node, "id", str, what)
        if item_id:
            if not _ID.match(item_id):
                self.error(node.line, f"{what}id '{item_id}' must be lowercase letters, "
                                      "digits and _")
            elif item_id in seen_ids:
                self.error(node.line, f"{what}id '{item_id}' is used twice")
            seen_ids.add(item_id)
        return item_id

    def procedure(self, node: Any, line: int, purposes: list[str], topics: set[str],
                  seen_ids: set[str]) -> Procedure | None:
        if not isinstance(node, _Node):
            self.error(line, "each procedure must be a mapping with id, purpose, title, "
                             "topic, steps")
            return None
        procedure_id = self._new_id(node, "procedure: ", seen_ids)
        what = f"procedure '{procedure_id}': " if procedure_id else "procedure: "
        purpose = self.required(node, "purpose", str, what)
        if purpose is not None and purpose not in purposes:
            self.error(node.line, f"{what}unknown purpose '{purpose}' (for this country: "
                                  f"{', '.join(purposes) or 'none'})")
            purpose = None
        title = self.required(node, "title", str, what)
        topic = self.required(node, "topic", str, what)
        if topic is not None and topic not in topics:
            self.error(node.line, f"{what}unknown topic '{topic}'")
            topic = None
        answers = self.answers(node.get("answers") or [], node.line, what)
        steps = self.required(node, "steps", list, what)
        if steps is not None and not MIN_STEPS <= len(steps) <= MAX_STEPS:
            self.error(node.line, f"{what}has {len(steps)} steps: a procedure has "
                                  f"{MIN_STEPS} to {MAX_STEPS}")
        loaded = [self.step(step, node.line, what, seen_ids) for step in steps or []]
        if procedure_id is None or purpose is None or title is None or topic is None \
                or answers is None or None in loaded or not MIN_STEPS <= len(loaded) <= MAX_STEPS:
            return None
        return Procedure(procedure_id, purpose, title.strip(), topic, answers,
                         tuple(step for step in loaded if step), self.path, node.line)

    def step(self, node: Any, line: int, procedure: str, seen_ids: set[str]) -> Step | None:
        if not isinstance(node, _Node):
            self.error(line, f"{procedure}each step must be a mapping with id, text, source, "
                             "drafted")
            return None
        step_id = self._new_id(node, f"{procedure}step: ", seen_ids)
        what = f"step '{step_id}': " if step_id else f"{procedure}step: "
        text = self.required(node, "text", str, what)
        optional = {}
        for key in ("bring", "cost", "takes"):
            value = node.get(key)
            if value is not None and not isinstance(value, str):
                self.error(node.line, f"{what}'{key}' must be text")
            optional[key] = value.strip() if isinstance(value, str) else None
        drafted = self.date(node, "drafted", what, required=True)
        verified = self.verification(node.get("verified"), node.line, what)
        source = self.source(node.get("source"), node.line, what)
        values = self.values(node.get("values") or {}, node.line, what)
        if text is not None and values is not None:
            self.placeholders(node.line, what, [text, *filter(None, optional.values())], values)
        if step_id is None or text is None or drafted is None or source is None \
                or values is None or isinstance(verified, bool):
            return None
        return Step(step_id, text.strip(), source, drafted, values, verified=verified,
                    file=self.path, line=node.line, **optional)


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "text", list: "a list", dict: "a mapping", _Node: "a mapping",
             date: "a date written YYYY-MM-DD"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def load_content(directory: Path = CONTENT_DIR) -> tuple[Content, list[ContentError]]:
    """Load everything under ``directory``; the content returned leaves out what was broken."""
    errors: list[ContentError] = []
    readers: list[_FileReader] = []
    topics = _load_topics(directory / "charter", errors, readers)
    # Countries may refer to any topic that has a file, even a broken one: one
    # mistake is reported once, not again in every country that uses the topic.
    topic_ids = {path.stem for path in (directory / "charter").glob("*.yml")}
    countries = _load_countries(directory / "countries", topic_ids, errors, readers)
    corridors = _load_corridors(directory / "corridors", topic_ids, countries, errors, readers)
    questions = _load_questions(directory / QUESTIONS_FILE, topic_ids, errors)
    for reader in readers:
        for question, line, what in reader.answer_refs:
            if question not in questions:
                reader.error(line, f"{what}answers '{question}', which is not a sub-question "
                                   f"in {QUESTIONS_FILE}")
    return Content(topics, countries, corridors, questions), errors


def _load_questions(path: Path, topics: set[str], errors: list[ContentError]
                    ) -> dict[str, SubQuestion]:
    """The controlled vocabulary of sub-questions: id -> home topic and words."""
    if not path.exists():
        return {}
    reader = _FileReader(path, errors)
    data = reader.load()
    if data is None:
        return {}
    questions: dict[str, SubQuestion] = {}
    for question_id, entry in data.items():
        if not isinstance(question_id, str) or not _ID.match(question_id):
            reader.error(data.line, f"sub-question id '{question_id}' must be lowercase "
                                    "letters, digits and _")
            continue
        if not isinstance(entry, _Node):
            reader.error(data.line, f"sub-question '{question_id}' must have 'topic' and 'words'")
            continue
        what = f"sub-question '{question_id}': "
        topic = reader.required(entry, "topic", str, what)
        if topic and topic not in topics:
            reader.error(entry.line, f"{what}unknown topic '{topic}'")
            continue
        words = reader.words_by_language(entry.get("words"), entry.line, f"{what}words")
        if "en" not in words:
            reader.error(entry.line, f"{what}needs English words at least")
        problem = entry.get("problem", False)
        if not isinstance(problem, bool):
            reader.error(entry.line, f"{what}'problem' must be true or false")
        first = entry.get("first")
        if first not in (None, "origin"):
            reader.error(entry.line, f"{what}'first' can only be origin")
            first = None
        describes = entry.get("describes")
        if describes not in (None, "worker"):
            reader.error(entry.line, f"{what}'describes' can only be worker")
        if topic:
            questions[question_id] = SubQuestion(question_id, topic, words, problem is True,
                                                 first, describes == "worker")
    return questions


def _load_topics(directory: Path, errors: list[ContentError], readers: list[_FileReader]
                 ) -> dict[str, Topic]:
    topics: dict[str, Topic] = {}
    seen_intents: dict[str, str] = {}
    for path in sorted(directory.glob("*.yml")):
        reader = _FileReader(path, errors)
        readers.append(reader)
        data = reader.load()
        if data is None:
            continue
        topic_id = reader.required(data, "topic", str)
        title = reader.required(data, "title", str)
        intents = data.get("intents") or []
        roles = data.get("country_roles") or []
        if not isinstance(intents, list) or not all(isinstance(i, str) for i in intents):
            reader.error(data.line, "'intents' must be a list of intent names")
            intents = []
        for intent in intents:
            if intent in seen_intents:
                reader.error(data.line, f"intent '{intent}' already belongs to topic "
                                        f"'{seen_intents[intent]}'")
            seen_intents[intent] = topic_id
        if not isinstance(roles, list) or not set(roles) <= set(ROLES):
            reader.error(data.line, "'country_roles' must list origin and/or destination")
            roles = []
        if topic_id and path.stem != topic_id:
            reader.error(data.line, f"topic '{topic_id}' must live in {topic_id}.yml")
        facts = reader.required(data, "facts", list)
        loaded = [reader.fact(fact, set(), data.line, default_kind="standard")
                  for fact in facts or []]
        if topic_id and title:
            topics[topic_id] = Topic(topic_id, title, tuple(intents),
                                     tuple(fact for fact in loaded if fact), tuple(roles), path)
    return topics


def _load_countries(directory: Path, topics: set[str], errors: list[ContentError],
                    readers: list[_FileReader]) -> dict[str, Country]:
    countries: dict[str, Country] = {}
    procedure_ids: set[str] = set()  # ids of procedures and steps, unique across countries
    for path in sorted(directory.glob("*.yml")):
        reader = _FileReader(path, errors)
        readers.append(reader)
        data = reader.load()
        if data is None:
            continue
        code = reader.required(data, "country", str)
        if code and (code != path.stem or not re.fullmatch(r"[A-Z]{2}", code)):
            reader.error(data.line, f"country '{code}' must be an ISO code like NP and live "
                                    f"in {code}.yml")
            code = None
        roles = data.get("roles") or []
        if not isinstance(roles, list) or not roles or not set(roles) <= set(ROLES):
            reader.error(data.line, "'roles' must list origin and/or destination")
        currency = reader.required(data, "currency", str)
        demonyms = _words_by_language(reader, data, "demonyms")
        aliases = _words_by_language(reader, data, "aliases")
        facts = reader.fact_groups(data.get("topics"), data.line, topics)
        seen_ids = {fact.id for group in facts.values() for fact in group} | procedure_ids
        procedures = reader.procedures(data.get("procedures"), data.line,
                                       roles if isinstance(roles, list) else [], topics,
                                       seen_ids)
        nothing_verified = reader.nothing_verified(data.get("nothing_verified"), data.line,
                                                   topics)
        procedure_ids |= {item_id for procedure in procedures
                          for item_id in (procedure.id, *(step.id for step in procedure.steps))}
        if code and currency:
            countries[code] = Country(code, tuple(roles), currency, demonyms, aliases, facts, path,
                                      procedures=procedures, nothing_verified=nothing_verified)
    return countries


def _words_by_language(reader: _FileReader, data: _Node, key: str) -> dict[str, tuple[str, ...]]:
    from bot.languages import CODES

    raw = data.get(key) or _Node()
    if not isinstance(raw, _Node):
        reader.error(data.line, f"'{key}' must map language codes to lists of words")
        return {}
    words: dict[str, tuple[str, ...]] = {}
    for language, group in raw.items():
        if language not in CODES:
            reader.error(raw.line, f"{key}: unknown language '{language}'")
        elif not isinstance(group, list) or not all(isinstance(w, str) for w in group):
            reader.error(raw.line, f"{key}: '{language}' must be a list of words")
        else:
            words[language] = tuple(group)
    return words


def _load_corridors(directory: Path, topics: set[str], countries: dict[str, Country],
                    errors: list[ContentError], readers: list[_FileReader]
                    ) -> dict[tuple[str, str], Corridor]:
    corridors: dict[tuple[str, str], Corridor] = {}
    for path in sorted(directory.glob("*.yml")):
        reader = _FileReader(path, errors)
        readers.append(reader)
        data = reader.load()
        if data is None:
            continue
        origin = reader.required(data, "origin", str)
        destination = reader.required(data, "destination", str)
        for code, role in ((origin, "origin"), (destination, "destination")):
            if code and (code not in countries or role not in countries[code].roles):
                reader.error(data.line, f"{role} '{code}' has no country file with role {role}")
        if origin and destination and path.stem != f"{origin}-{destination}":
            reader.error(data.line, f"this corridor must live in {origin}-{destination}.yml")
        facts = reader.fact_groups(data.get("topics"), data.line, topics)
        if origin and destination:
            corridors[(origin, destination)] = Corridor(origin, destination, facts, path)
    return corridors


class ContentStore:
    """The content the bot serves: reloaded when files change, last good kept on errors."""

    def __init__(self, directory: Path = CONTENT_DIR, check_every: float = 2.0) -> None:
        self.directory = directory
        self.check_every = check_every
        self.errors: list[ContentError] = []
        self._lock = threading.Lock()
        self._last_check = 0.0
        self._signature = self._files_signature()
        content, errors = load_content(directory)
        if errors:
            raise ContentInvalid(errors)
        self._content = content

    def _files_signature(self) -> tuple:
        return tuple(sorted((str(path), path.stat().st_mtime_ns, path.stat().st_size)
                            for path in self.directory.rglob("*.yml")))

    def current(self) -> Content:
        now = time.monotonic()
        if now - self._last_check < self.check_every:
            return self._content
        with self._lock:
            self._last_check = now
            signature = self._files_signature()
            if signature != self._signature:
                self._signature = signature
                content, errors = load_content(self.directory)
                self.errors = errors
                if errors:
                    for error in errors:
                        log.error("content not reloaded: %s", error)
                else:
                    log.info("content reloaded from %s", self.directory)
                    self._content = content
        return self._content
