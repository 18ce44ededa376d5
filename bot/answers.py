"""Choosing the facts that answer a question, most specific first.

A question has a topic (from its intent, or from what it asks for) and may ask for
sub-questions of the controlled vocabulary in ``content/questions.yml`` ("minimum
wage", "hotline"). The facts that answer it are ordered:

1. by the sub-question they answer: what the sentence that asks names comes first;
2. by scope: the corridor between the worker's two countries, then the destination,
   then the origin, then the international standard (the origin before the
   destination for what the origin decides, such as fee caps and welfare funds, or
   when the question names the origin);
3. then facts declaring more of the asked sub-questions, those sharing the most words
   with the message (in the user's language, against the fact's translation, its
   English text and its ``keywords``), and by kind: a rule with its number, a rule, a
   step, a contact. Facts for domestic workers only give way when the worker says
   they work for a company.

The international standard is kept only when nothing more specific answers, or
when it answers a sub-question that no specific fact answers. Pure functions:
no I/O, no channels.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from bot.content.model import Content, Fact, Procedure, SubQuestion
from bot.countries import fold

SCOPES = ("corridor", "destination", "origin", "charter")
DOMESTIC_WORK = "domestic_work"  # the sub-questions that say who the worker is
COMPANY_WORK = "company_work"
HOW_TO = "how_to"  # asks what to do, step by step: a procedure answers it
# For what the origin country decides (its fee caps, welfare fund, insurance), the
# origin's facts come before the destination's.
ORIGIN_FIRST = ("corridor", "origin", "destination", "charter")
_KIND_ORDER = {"rule": 1, "step": 2, "contact": 3, "standard": 4}
_WORD = re.compile(r"\w+")
_MIN_WORD_CHARS = 3
# A sentence that asks: up to a question mark (Latin, Arabic, Ethiopic, fullwidth).
_QUESTION_SENTENCE = re.compile(r"[^.!?;\n\u061f\u0964\u1362\u1367\uff1f]*[?\u061f\u1367\uff1f]")


def _word_pattern(word: str) -> str:
    folded = fold(word.rstrip("*"))
    body = re.escape(folded)
    if not folded.isascii():
        # Scripts that glue particles to words (Arabic, Bengali, Devanagari) are
        # matched inside words; the vocabulary lists the forms to look for.
        return body
    end = r"\w*" if word.endswith("*") else r"(?![a-z0-9])"
    return r"(?<![a-z0-9])" + body + end


@lru_cache(maxsize=4096)
def _pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    """One regular expression for a sub-question's words, longest first.

    Kept by its words (a tuple, so edited content makes new entries): folding and
    escaping some hundred words per sub-question and language took 15 ms of every
    question, at every turn, for the same words."""
    parts = sorted({_word_pattern(word) for word in words if word.strip("* ")}, key=len,
                   reverse=True)
    return re.compile("|".join(parts)) if parts else None


def asked(text: str, language: str, content: Content) -> list[str]:
    """The sub-questions ``text`` asks, what it asks most first.

    Workers tell their story before the question ("I work in Kuwait as a maid, she
    took my passport... how many hours is allowed?"): sub-questions named in a
    sentence that asks ("?") come first, the one nearest the end first; then the
    others, in the order the story names them (what happened comes before the
    context). The words of every language count, the message's own first: workers
    mix languages, and a romanised message may be taken for another language.
    """
    folded = fold(text)
    asking = [range(match.start(), match.end()) for match in _QUESTION_SENTENCE.finditer(folded)]
    matches: list[tuple[int, int, str]] = []  # (start, end, sub-question)
    for sub_question in content.questions.values():
        pattern = _pattern(_words(sub_question, language))
        if pattern is not None:
            matches += [(match.start(), match.end(), sub_question.id)
                        for match in pattern.finditer(folded)]
    # A longer phrase wins over the words inside it: "unemployment insurance" is not
    # also "insurance".
    matches = [(start, end, question) for start, end, question in matches
               if not any(other != question and o_start <= start and end <= o_end
                          and o_end - o_start > end - start
                          for o_start, o_end, other in matches)]
    in_question: dict[str, int] = {}
    in_story: dict[str, int] = {}
    for start, _end, question in matches:
        if any(start in sentence for sentence in asking):
            in_question[question] = max(start, in_question.get(question, -1))
        else:
            in_story[question] = min(start, in_story.get(question, len(folded)))
    ordered = sorted(in_question, key=lambda question: -in_question[question])
    ordered += sorted((q for q in in_story if q not in in_question), key=in_story.__getitem__)
    # Who the worker is ("I am a housemaid") comes after what they ask.
    return sorted(ordered, key=lambda question: content.questions[question].describes_worker)


def _words(question: SubQuestion, language: str) -> tuple[str, ...]:
    words = question.words.get(language, ())
    for other, group in question.words.items():
        if other != language:
            words += group
    return words


@dataclass(frozen=True)
class Candidate:
    fact: Fact
    scope: str  # one of SCOPES
    answered: tuple[str, ...]  # the asked sub-questions this fact declares it answers
    overlap: int  # words shared with the message


def choose(content: Content, *, topic: str | None, questions: list[str], text: str,
           translated: dict[str, str], origin: str | None, destination: str | None,
           origin_first: bool = False) -> list[Candidate]:
    """The facts that answer the message, in the order to say them.

    ``translated`` maps a fact id to its text in the user's language (for the word
    overlap); facts not in it are compared in English only. ``origin_first`` puts
    the origin's facts before the destination's (the question names the origin:
    "where do I complain in Nepal?").
    """
    pools = {
        "corridor": content.corridor_facts(origin, destination),
        "destination": content.country_facts(destination),
        "origin": content.country_facts(origin),
        "charter": [fact for topic_ in content.topics.values() for fact in topic_.facts],
    }
    in_topic = {fact.id for scope, fact in content.facts_for(topic, origin, destination)} \
        if topic else set()
    message_words = _content_words(text)
    candidates = []
    for scope in SCOPES:
        for fact in pools[scope]:
            answered = tuple(question for question in questions if question in fact.answers)
            if not answered and fact.id not in in_topic:
                continue
            words = _fact_words(" ".join((fact.text, translated.get(fact.id, ""),
                                             *_keywords(fact))))
            candidates.append(Candidate(fact, scope, answered, len(message_words & words)))
    main = main_questions(content, questions)
    if any(set(candidate.answered) & set(main) for candidate in candidates):
        # A fact that only fits who the worker is ("for domestic workers") answers
        # nothing that was asked.
        candidates = [candidate for candidate in candidates
                      if set(candidate.answered) & set(main)]
    elif any(candidate.answered for candidate in candidates):
        candidates = [candidate for candidate in candidates if candidate.answered]
    elif not in_topic and questions:
        home = content.questions[questions[0]].topic
        return choose(content, topic=home, questions=[], text=text, translated=translated,
                      origin=origin, destination=destination, origin_first=origin_first)
    scopes = ORIGIN_FIRST if origin_first or preferred_role(content, questions, topic) \
        == "origin" else SCOPES
    misfit = _misfit(questions)
    candidates.sort(key=lambda c: (_primary(c, questions), misfit(c), scopes.index(c.scope),
                                   -len(c.answered), -c.overlap, _kind_rank(c.fact)))
    return _without_redundant_standards(candidates)


def _misfit(questions: list[str]) -> Callable[[Candidate], bool]:
    """Whether a fact is for domestic workers only, and the worker works for a company."""
    company = COMPANY_WORK in questions and DOMESTIC_WORK not in questions
    return lambda candidate: company and DOMESTIC_WORK in candidate.fact.answers


def question_sentences(text: str) -> list[str]:
    """The sentences of ``text`` that ask (end in a question mark), folded."""
    return _QUESTION_SENTENCE.findall(fold(text))


def preferred_role(content: Content, questions: list[str], topic: str | None = None
                   ) -> str | None:
    """The country whose rules answer first ("origin"), if any: the main sub-question's
    preference or, when none is asked, that of the topic's own sub-questions (a fee
    question is the origin's to answer, however it is worded)."""
    if questions:
        main = content.questions.get(questions[0])
        return main.first if main else None
    if any(question.topic == topic and question.first == "origin"
           for question in content.questions.values()):
        return "origin"
    return None


def main_questions(content: Content, questions: list[str]) -> list[str]:
    """What is asked, without what only says who the worker is."""
    return [question for question in questions if question in content.questions
            and not content.questions[question].describes_worker]


def _primary(candidate: Candidate, questions: list[str]) -> int:
    """How early in ``questions`` (what is asked most first) the first one it answers comes."""
    return min((questions.index(q) for q in candidate.answered), default=len(questions))


def _without_redundant_standards(candidates: list[Candidate]) -> list[Candidate]:
    specific = [c for c in candidates if c.scope != "charter"]
    if not specific:
        return candidates
    covered = {question for c in specific for question in c.answered}
    extra = [c for c in candidates if c.scope == "charter" and c.answered
             and not set(c.answered) <= covered]
    return specific + extra[:1]


def _kind_rank(fact: Fact) -> int:
    rank = _KIND_ORDER.get(fact.kind, 5)
    return 0 if fact.kind == "rule" and fact.has_number else rank


def _keywords(fact: Fact) -> list[str]:
    return [word for group in fact.keywords.values() for word in group]


def _content_words(text: str) -> frozenset[str]:
    """The words of ``text`` that count for overlap, folded."""
    return frozenset(word for word in _WORD.findall(fold(text)) if len(word) >= _MIN_WORD_CHARS)


@lru_cache(maxsize=8192)
def _fact_words(text: str) -> frozenset[str]:
    """:func:`_content_words` of a fact's text, kept: they were folded again for every
    question the fact could answer. Only content is kept, never what a user typed."""
    return _content_words(text)


def asks_something(questions: list[str]) -> bool:
    """Whether ``questions`` asks for more than "how": "how do I...?" alone asks nothing."""
    return any(question != HOW_TO for question in questions)


def procedure_for(content: Content, *, topic: str | None, questions: list[str],
                  origin: str | None, destination: str | None) -> Procedure | None:
    """The procedure that answers a "how do I...?" question, from the worker's own
    countries (the destination's first): the first that answers the sub-question asked
    most, or, when nothing else is asked, the one of the question's topic."""
    if HOW_TO not in questions:
        return None
    procedures = [procedure for code in (destination, origin) if code in content.countries
                  for procedure in content.countries[code or ""].procedures]
    wanted = [question for question in main_questions(content, questions) if question != HOW_TO]
    for question in wanted:
        for procedure in procedures:
            if question in procedure.answers:
                return procedure
    if not wanted and topic:
        return next((procedure for procedure in procedures if procedure.topic == topic), None)
    return None


def contacts(content: Content, origin: str | None, destination: str | None,
             questions: list[str], text: str) -> list[Fact]:
    """Whom to call: one contact of the destination, then one of the origin.

    Only the worker's own countries: never another country's number.
    """
    chosen = []
    message_words = _content_words(text)
    for code in (destination, origin):
        facts = [fact for fact in content.country_facts(code) if fact.kind == "contact"
                 and ("emergency_number" in questions or fact.answers != ("emergency_number",))]
        if not facts:
            continue
        facts.sort(key=lambda fact: (-len(set(questions) & set(fact.answers)),
                                     "hotline" not in fact.answers,
                                     -len(message_words & _fact_words(fact.text))))
        chosen.append(facts[0])
    return chosen
