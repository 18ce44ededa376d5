"""What the bot says, turn by turn.

Each handler is a pure function of one :class:`Turn` (what Rasa understood, and
the conversation's slots) and the current :class:`Content`. It returns an
:class:`Outcome`: replies already in the user's language, and slot changes.
Rasa actions (``actions/``) only build the turn, call a handler, and render.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot import answers, languages
from bot.content.model import Amount, Content, CountryRef, Fact, Procedure, Step, Topic
from bot.countries import assign_roles, country_name, find_countries, find_mentions, fold
from bot.i18n import N_, Translator, translator
from bot.render import (
    MORE,
    OPTIONAL_LINE,
    PLAIN_TEXT,
    SOURCES,
    STEP_PAGE,
    Capabilities,
    Choice,
    Reply,
    SourceNote,
)

ROLES = ("origin", "destination")
OTHER_COUNTRY = "other"
MAX_REDRESS_FACTS = 2
SHORT_MENU_COUNTRIES = 6  # "which country?" offers the likeliest few, then "another"
REPORT = "report:start"  # the payload of "report this anonymously"
STATUS = "status:start"  # the payload of "follow up a report I made"
# What the user reads when a turn failed inside the bot: nothing of what went wrong.
SOMETHING_FAILED = N_("Sorry, something went wrong on our side. Your earlier answers are "
                      "kept: please send your message again.")
# The words an answer offers to type next; translated, and understood in either language.
MORE_WORD = N_("more")
SOURCES_WORD = N_("sources")
REPORT_WORD = N_("report")
# A language that almost only one origin of ours speaks is a hint of the origin, shown
# so that the user can correct it ("from Nepal? reply 0 to change").
LANGUAGE_ORIGINS = {"ne": "NP", "tl": "PH", "bn": "BD", "am": "ET", "id": "ID"}
# A message must have this many words, besides country names, to switch the language.
SWITCH_MIN_WORDS = 3

# Slot names (declared in domain.yml).
LANGUAGE = "language"
LANGUAGE_CHOSEN = "language_chosen"
PENDING_TOPIC = "pending_topic"
PENDING_QUESTIONS = "pending_questions"  # sub-questions asked before "which country?"
MENU = "menu"
MORE_FACTS = "more_facts"  # ids of the facts that "more" says next
SHOWN_FACTS = "shown_facts"  # ids of the facts whose sources "sources" lists
ORIGIN_HINTED = "origin_hinted"  # the origin is a guess from the channel or language
REQUESTED_SLOT = "requested_slot"  # Rasa's: the question a form is waiting for

COUNTRY_QUESTIONS = {
    "origin": N_("Which country are you from?"),
    "destination": N_("In which country do you work, or plan to work?"),
}
# A menu number: a few digits. Longer runs are not a choice (and a 4,301-digit one
# would exceed Python's int-from-string limit).
_NUMBER = re.compile(r"(?<!\d)\d{1,6}(?!\d)")


@dataclass(frozen=True)
class Turn:
    """One user turn, as the actions see it."""

    intent: str | None
    text: str
    slots: Mapping[str, Any]
    identification: Mapping[str, Any] | None = None  # from bot.nlu.LanguageIdentifier
    language_hint: str | None = None  # from the channel (Telegram language_code...)
    capabilities: Capabilities = PLAIN_TEXT  # what the channel declared it can show
    origin_hint: str | None = None  # from the channel: the phone number's country
    choice: str | None = None  # a button's payload, sent without NLU
    conversation_id: str = ""  # the channel's pseudonym, never a phone number or user id
    # Two intents the classifier found almost equally likely (bot.nlu.close_call).
    close_call: tuple[str, str] | None = None


@dataclass
class Outcome:
    language: str
    replies: list[Reply] = field(default_factory=list)
    slots: dict[str, Any] = field(default_factory=dict)
    followup: str | None = None  # an action (or form) to run next, e.g. to ask again
    question_topic: str | None = None  # a question was asked, on this topic: it is counted


def resolve_language(turn: Turn, content: Content | None = None) -> str:
    """The language to answer in.

    An explicit choice sticks. Once a conversation has a language, only a clear
    sentence in another one switches it: a country name, a number, "ok" or "yes"
    never does. Before that, a confident identification decides, then the channel's
    hint; an unsure guess counts only in a script other than Latin (a Devanagari
    "थप" is Nepali or Hindi, but a Latin "hi" is English, not Hindi).
    """
    current = turn.slots.get(LANGUAGE)
    if turn.slots.get(LANGUAGE_CHOSEN) and current in languages.CODES:
        return current
    if turn.slots.get(REQUESTED_SLOT) and current in languages.CODES:
        return current  # a form's answers (a city, a name) say nothing of the language
    identification = turn.identification or {}
    guess = identification.get("language")
    confident = guess in languages.CODES and identification.get("confident")
    if current in languages.CODES:
        menu = turn.slots.get(MENU) or []
        answering_country = any(str(item).startswith(ROLES) for item in menu)
        if confident and isinstance(guess, str) and guess != current \
                and not answering_country and _is_sentence(turn.text, content):
            return guess
        return str(current)
    hint = languages.normalise(turn.language_hint)
    if confident and isinstance(guess, str):
        return guess
    if hint:
        return hint
    if guess in languages.CODES and identification.get("script") not in (None, "Latin"):
        return guess
    return languages.DEFAULT_LANGUAGE


def _is_sentence(text: str, content: Content | None) -> bool:
    """Enough words, besides the countries it names, to tell its language."""
    words = fold(text).split()
    if content is not None:
        named = {fold(country_name(code, language.code)) for code in find_countries(text, content)
                 for language in languages.LANGUAGES}
        named_words = {word for name in named for word in name.split()}
        words = [word for word in words if word not in named_words]
    return len([word for word in words if not word.isdigit()]) >= SWITCH_MIN_WORDS


class Conversation:
    """Builds one turn's outcome: the helpers every handler shares."""

    def __init__(self, turn: Turn, content: Content, today: date | None = None) -> None:
        self.turn = turn
        self.content = content
        self.today = today or date.today()
        self.slots = dict(turn.slots)
        self.outcome = Outcome(resolve_language(turn, content))
        self._set(LANGUAGE, self.outcome.language)
        self.t: Translator = translator(self.outcome.language)
        self.named_unknown: list[str] = []  # countries without a file this turn named
        self._said_unverified: set[str] = set()

    # -- state -------------------------------------------------------------
    def _set(self, slot: str, value: Any) -> None:
        if self.slots.get(slot) != value:
            self.slots[slot] = value
            self.outcome.slots[slot] = value

    def set_language(self, code: str) -> None:
        self.outcome.language = code
        self.t = translator(code)
        self._set(LANGUAGE, code)
        self._set(LANGUAGE_CHOSEN, True)

    # -- saying things -----------------------------------------------------
    def _(self, message: str) -> str:
        return self.t.gettext(message)

    def say(self, text: str, choices: list[Choice] | None = None) -> None:
        self.outcome.replies.append(Reply(text, choices or []))
        self._set(MENU, [choice.payload for choice in choices] if choices else None)

    def fact_text(self, fact: Fact) -> str:
        return self.content_text(fact.text, fact.values)

    def content_text(self, text: str, values: Mapping[str, Amount | CountryRef | str]) -> str:
        """A content string in the user's language, its ``{placeholders}`` filled."""
        formatted = {name: self._format_value(value) for name, value in values.items()}
        return self.t.gettext(text, domain="content").format(**formatted)

    def step_text(self, procedure: Procedure, index: int) -> str:
        """One step: "Step 2 of 3: ..." where each page is a message of its own (SMS),
        "2. ..." in a chat; then what to bring, what it costs and how long it takes."""
        step = procedure.steps[index]
        text = self.content_text(step.text, step.values)
        if self.turn.capabilities.segment_budget:
            lines = [self._("Step {number} of {total}: {text}").format(
                number=index + 1, total=len(procedure.steps), text=text)]
        else:
            lines = [f"{index + 1}. {text}"]
        for label, part in ((N_("Bring: {text}"), step.bring), (N_("Cost: {text}"), step.cost),
                            (N_("Takes: {text}"), step.takes)):
            if part:
                lines.append(self._(label).format(text=self.content_text(part, step.values)))
        return "\n".join(lines)

    def say_procedure(self, procedure: Procedure, index: int = 0, report: bool = False,
                      hinted: str | None = None) -> None:
        """One step of a procedure per message (the title before the first); the next
        waits for "next step" (MORE on SMS). On SMS the turn is one page (STEP_PAGE);
        the guessed origin and the report offer are the lines it may leave out."""
        text = self.step_text(procedure, index)
        if index == 0:
            text = self.t.gettext(procedure.title, domain="content") + "\n" + text
        step = procedure.steps[index]
        self.outcome.replies.append(Reply(text, source=self.source_note(step), page=STEP_PAGE))
        waiting = [later.id for later in procedure.steps[index + 1:]]
        self._set(SHOWN_FACTS, [step.id])
        self._set(MORE_FACTS, waiting or None)
        if hinted:
            self.say_hint(hinted)
            self.outcome.replies[-1].page = OPTIONAL_LINE
        self.offer_next(more=bool(waiting), report=report, next_step=True)

    def source_note(self, fact: Fact | Step) -> SourceNote:
        verified = fact.verified
        return SourceNote(fact.source.short_title, fact.source.url,
                          self.t.format_date(verified.on) if verified else None,
                          fact.is_stale(self.today), full_title=fact.source.title)

    def say_fact(self, fact: Fact) -> None:
        self.outcome.replies.append(Reply(self.fact_text(fact), source=self.source_note(fact)))

    def say_facts(self, facts: list[Fact]) -> None:
        """Facts as one message (each with its source), or one message each where
        every message costs money (SMS pages whole messages)."""
        if not facts:
            return
        if self.turn.capabilities.segment_budget:
            for fact in facts:
                self.say_fact(fact)
            return
        self.outcome.replies.append(Reply(
            self.fact_text(facts[0]), source=self.source_note(facts[0]),
            more=[(self.fact_text(fact), self.source_note(fact)) for fact in facts[1:]]))

    def _format_value(self, value: Amount | CountryRef | str) -> str:
        if isinstance(value, CountryRef):
            return country_name(value.code, self.outcome.language)
        if isinstance(value, Amount):
            return self.t.format_amount(value.value, value.currency)
        return value

    def topic_title(self, topic: Topic) -> str:
        return self.t.gettext(topic.title, domain="content")

    # -- menus ---------------------------------------------------------------
    def intent_choice(self, intent: str) -> Choice | None:
        """What choosing ``intent`` in a menu looks like, if the bot can offer it."""
        if intent == "report_abuse":
            return Choice(REPORT, self._("Report abuse anonymously"))
        if intent == "check_report_status":
            return Choice(STATUS, self._("Follow up a report I made"))
        topic = self.content.topic_for_intent(intent)
        return Choice(f"topic:{topic.id}", self.topic_title(topic)) if topic else None

    def topic_menu(self) -> list[Choice]:
        choices = [Choice(f"topic:{topic.id}", self.topic_title(topic))
                   for topic in self.content.topics.values() if topic.id != "emergency"]
        choices.append(Choice("menu:language", self._("Change language")))
        return choices

    def language_menu(self) -> list[Choice]:
        return [Choice(f"language:{language.code}", language.native_name)
                for language in languages.LANGUAGES]

    def country_menu(self, role: str, likely_first: bool = False,
                     other: str | None = None) -> list[Choice]:
        """The countries with this role, by name; with ``likely_first``, only the few
        this conversation makes likeliest (those with a corridor to the other country,
        ``other`` or the one given, then those with the most facts), then "another
        country"."""
        countries = sorted(self.content.countries_with_role(role),
                           key=lambda country: country_name(country.code, self.outcome.language))
        if likely_first:
            other_role = "destination" if role == "origin" else "origin"
            other = other or self.slots.get(other_role)
            countries.sort(key=lambda country: (
                -(_corridor_key(role, country.code, other) in self.content.corridors),
                -sum(len(group) for group in country.facts.values())))
            countries = countries[:SHORT_MENU_COUNTRIES]
        choices = [Choice(f"{role}:{country.code}",
                          country_name(country.code, self.outcome.language))
                   for country in countries]
        choices.append(Choice(f"{role}:{OTHER_COUNTRY}", self._("Another country")))
        return choices

    # -- countries and topics ------------------------------------------------
    def note_countries(self, text: str) -> list[str]:
        """Fill origin and destination from what the user wrote; return the roles filled.
        A country without a content file counts too: the answer says that nothing is
        verified for it."""
        found = assign_roles(find_mentions(text, self.content), self.content,
                             self._lacking_role())
        for role, code in found.items():
            self._set(role, code)
            if role == "origin":
                self._set(ORIGIN_HINTED, None)
            if code not in self.content.countries and code not in self.named_unknown:
                self.named_unknown.append(code)
        return list(found)

    def _lacking_role(self) -> str | None:
        """The role a country named without "from" or "in" fills: the one the menu asks
        for, else the only one the conversation does not know yet."""
        for item in self.slots.get(MENU) or ():
            role = str(item).partition(":")[0]
            if role in ROLES:
                return role
        missing = [role for role in ROLES if not self.slots.get(role)]
        return missing[0] if len(missing) == 1 else None

    def unknown_countries(self) -> list[str]:
        """The worker's countries that have no content file."""
        return [self.slots[role] for role in ROLES
                if self.slots.get(role) not in (None, OTHER_COUNTRY)
                and self.slots[role] not in self.content.countries]

    def say_nothing_verified(self, codes: list[str]) -> None:
        """"I have nothing verified for Ghana.", once a turn for each country."""
        new = [code for code in codes if code not in self._said_unverified]
        if not new:
            return
        self._said_unverified.update(new)
        names = self.t.format_list([country_name(code, self.outcome.language) for code in new])
        self.say(self._("I have nothing verified for {countries}.").format(countries=names))

    def note_origin_hint(self) -> str | None:
        """Take the origin from the channel (the phone number's country) or, failing that,
        from a language almost only one origin speaks; return it if it was taken."""
        if self.slots.get("origin"):
            return None
        hint = self.turn.origin_hint or LANGUAGE_ORIGINS.get(self.outcome.language)
        country = self.content.countries.get(hint or "")
        if country is None or "origin" not in country.roles:
            return None
        self._set("origin", country.code)
        self._set(ORIGIN_HINTED, True)
        return country.code

    def missing_role(self, topic: Topic | None) -> str | None:
        """The first country role this topic needs and the user has not given yet: where
        they work first, as most rules are the destination's."""
        if topic is None:
            return None
        for role in ("destination", "origin"):
            if role in topic.country_roles and not self.slots.get(role) \
                    and self._any_country_knows(topic.id, role):
                return role
        return None

    def _any_country_knows(self, topic_id: str, role: str) -> bool:
        if any(country.facts.get(topic_id) for country in self.content.countries_with_role(role)):
            return True
        return any(corridor.facts.get(topic_id) for corridor in self.content.corridors.values())

    def answer(self, topic: Topic | None, questions: list[str]) -> None:
        """Answer a question: the facts that answer it, most specific first, as much as
        fits the channel's first message; what to do next; the rest on "more"."""
        hinted = self.note_origin_hint()
        self.say_nothing_verified(self.named_unknown)
        origin, destination = self.slots.get("origin"), self.slots.get("destination")
        problem = any(self.content.questions[q].problem for q in questions
                      if q in self.content.questions)
        procedure = answers.procedure_for(self.content, topic=topic.id if topic else None,
                                          questions=questions, origin=origin,
                                          destination=destination)
        if procedure is not None:
            self._set(PENDING_TOPIC, None)
            self._set(PENDING_QUESTIONS, None)
            self.say_procedure(procedure, report=problem, hinted=hinted)
            return
        # Without a procedure, "how do I...?" asks what the other words ask.
        asked_questions = questions
        questions = [q for q in questions if q != answers.HOW_TO] or questions
        translated = {fact.id: self.t.lookup(fact.text, "content") or ""
                      for fact in self.content.all_facts()}
        asked_about = find_countries(" ".join(answers.question_sentences(self.turn.text)),
                                     self.content)
        chosen = answers.choose(self.content, topic=topic.id if topic else None,
                                questions=questions, text=self.turn.text, translated=translated,
                                origin=origin, destination=destination,
                                origin_first=origin in asked_about
                                and destination not in asked_about)
        specific = [candidate for candidate in chosen if candidate.scope != "charter"]
        home = topic or self.home_topic(questions)
        missing = self.missing_role(home)
        preferred = answers.preferred_role(self.content, questions, home.id if home else None)
        if preferred and not self.slots.get(preferred) \
                and self.content.countries_with_role(preferred):
            missing = preferred  # its rules come first, so ask for it even with others
        if missing and (not specific or missing == preferred):
            # The answer depends on a country we do not know: what we can say in
            # one fact, then the question, with the likeliest countries.
            if chosen:
                self.say_facts([chosen[0].fact])
                self._set(SHOWN_FACTS, [chosen[0].fact.id])
            self._set(PENDING_TOPIC, home.id if home else None)
            self._set(PENDING_QUESTIONS, asked_questions or None)
            if hinted:
                self.say_hint(hinted)
            self.say(self._(COUNTRY_QUESTIONS[missing]),
                     self.country_menu(missing, likely_first=True))
            return
        self._set(PENDING_TOPIC, None)
        self._set(PENDING_QUESTIONS, None)
        needs_country = bool(topic and topic.country_roles)
        if not chosen or (needs_country and not specific and (origin or destination)):
            self.say_not_known(standard=chosen[0].fact if chosen else None)
            return
        if preferred == "origin" and origin not in (None, OTHER_COUNTRY) and not any(
                candidate.scope in ("corridor", "origin") and candidate.answered[:1]
                == tuple(questions[:1]) for candidate in chosen):
            # What was asked is the origin's to answer, and we know nothing of it.
            if origin in self.content.countries:
                self.say(self._("I do not have verified information on this for {countries}.")
                         .format(countries=country_name(origin, self.outcome.language)))
            else:
                self.say_nothing_verified([origin])
        self._say_answer([candidate.fact for candidate in chosen], questions, problem, hinted)

    def home_topic(self, questions: list[str]) -> Topic | None:
        for question in questions:
            entry = self.content.questions.get(question)
            if entry and entry.topic in self.content.topics:
                return self.content.topics[entry.topic]
        return None

    def _say_answer(self, facts: list[Fact], questions: list[str], problem: bool,
                    hinted: str | None) -> None:
        first, rest = facts[:1], facts[1:]
        contacts: list[Fact] = []
        # Whom to call ends an answer to a problem, and the answer that says a country
        # just named has nothing verified.
        refer = problem or bool(self.named_unknown)
        if refer:
            contacts = answers.contacts(self.content, self.slots.get("origin"),
                                        self.slots.get("destination"), questions,
                                        self.turn.text)
        steps = [fact for fact in contacts if fact not in first]
        self._fill(first, rest, used=sum(self._cost(fact) for fact in first + steps))
        steps = [fact for fact in steps if fact not in first]
        rest = [fact for fact in rest if fact not in steps]
        self.say_facts(first)
        self.say_facts(steps)
        if refer and not contacts:
            self.say(self._("I have no verified contact for your country. Your country's "
                            "embassy or consulate can help."))
        elif refer and self.slots.get("origin") not in self.content.countries:
            # We named the destination's line; the worker's own country we do not know.
            self.say(self._("Your country's embassy or consulate can help too."))
        shown = first + steps
        self._set(SHOWN_FACTS, [fact.id for fact in shown])
        self._set(MORE_FACTS, [fact.id for fact in rest] or None)
        if hinted:
            self.say_hint(hinted)
        self.offer_next(more=bool(rest), report=problem)

    def say_hint(self, origin: str) -> None:
        """Show a guessed origin, so that the user can correct it."""
        self.say(self._("(From {country}? Reply 0 to change.)")
                 .format(country=country_name(origin, self.outcome.language)))

    def offer_next(self, more: bool, report: bool, next_step: bool = False) -> None:
        """Buttons where the channel has them; otherwise one line of keywords. With
        ``next_step``, "more" brings the next step of a procedure."""
        if self.turn.capabilities.buttons:
            choices = []
            if more:
                choices.append(Choice(MORE, self._("Next step") if next_step
                                      else self._("More")))
            choices.append(Choice(SOURCES, self._("Sources")))
            if report:
                choices.append(Choice(REPORT, self._("Report anonymously")))
            # Under the answer's last message: a message of buttons alone has no text.
            self.outcome.replies[-1].choices = choices
            self._set(MENU, [choice.payload for choice in choices])
            return
        words = {"more": self._(MORE_WORD).upper(), "sources": self._(SOURCES_WORD).upper(),
                 "report": self._(REPORT_WORD).upper()}
        if more and next_step:
            self.say(self._("Reply {more} for the next step, or {sources} for the sources.")
                     .format(**words))
        elif more:
            self.say(self._("Reply {more} for more, or {sources} for the sources.")
                     .format(**words))
        else:
            self.say(self._("Reply {sources} for the sources.").format(**words))
        if report:
            self.say(self._("To report this anonymously, write {report}.").format(**words))
            if next_step:  # a step's page leaves it out first if the page is too long
                self.outcome.replies[-1].page = OPTIONAL_LINE

    def say_more(self) -> None:
        waiting_ids = self.slots.get(MORE_FACTS) or ()
        step = self.content.step(waiting_ids[0]) if waiting_ids else None
        if step is not None:
            self.say_procedure(*step)
            return
        waiting = self._slot_facts(MORE_FACTS)
        if not waiting:
            self.say(self._("That is all I have on this. Ask me another question, or say "
                            "\"help\" to see all topics."))
            self._set(MORE_FACTS, None)
            return
        page = [waiting.pop(0)]
        self._fill(page, waiting, used=self._cost(page[0]))
        self.say_facts(page)
        self._set(SHOWN_FACTS, [fact.id for fact in page])
        self._set(MORE_FACTS, [fact.id for fact in waiting] or None)
        self.offer_next(more=bool(waiting), report=False)

    def say_sources(self) -> None:
        shown: list[Fact | Step] = [*self._slot_facts(SHOWN_FACTS),
                                    *self._slot_steps(SHOWN_FACTS)]
        if not shown:
            self.say(self._("Ask me a question first: I will show where each answer comes "
                            "from."))
            return
        lines = [self._("Sources:")]
        for fact in shown:
            note = self.source_note(fact)
            # Where every message costs money, the short name is enough beside the link.
            title = note.title if self.turn.capabilities.segment_budget else note.full_title
            lines.append(f"- {title}" + (f": {note.url}" if note.url else ""))
        self.say("\n".join(lines))

    def _slot_steps(self, slot: str) -> list[Step]:
        """The procedure steps whose ids a slot holds, still in the content."""
        found = [self.content.step(step_id) for step_id in self.slots.get(slot) or ()]
        return [procedure.steps[index] for procedure, index in filter(None, found)]

    def _slot_facts(self, slot: str) -> list[Fact]:
        """The facts whose ids a slot holds, still in the content."""
        by_id = {fact.id: fact for fact in self.content.all_facts()}
        return [by_id[fact_id] for fact_id in self.slots.get(slot) or () if fact_id in by_id]

    def _cost(self, fact: Fact) -> int:
        """About what a fact takes in a message: its text and its short source."""
        return len(self.fact_text(fact)) + len(fact.source.short_title) + 20

    def _fill(self, facts: list[Fact], waiting: list[Fact], used: int) -> None:
        """Move facts from ``waiting`` to ``facts`` while the first message has room."""
        while waiting and used + self._cost(waiting[0]) <= self.turn.capabilities.max_chars:
            used += self._cost(waiting[0])
            facts.append(waiting.pop(0))

    def say_not_known(self, standard: Fact | None = None) -> None:
        """Say that nothing verified is known for the worker's countries, then the
        international standard in one fact (if there is one), then whom to turn to."""
        unknown = self.unknown_countries()
        self.say_nothing_verified(unknown)
        named = [country_name(self.slots[role], self.outcome.language) for role in ROLES
                 if self.slots.get(role) in self.content.countries]
        if named:
            self.say(self._("I do not have verified information on this for {countries}.")
                     .format(countries=", ".join(named)))
        elif not unknown:
            self.say(self._("I do not have verified information on this for your country."))
        shown = [standard] if standard else []
        self.say_facts(shown)
        self.say_help(shown)

    def say_help(self, shown: list[Fact]) -> None:
        """Whom to turn to (see :meth:`redress_facts`), after the facts already ``shown``."""
        facts = [fact for fact in self.redress_facts() if fact not in shown]
        if facts:
            self.say(self._("These can help you:"))
            self.say_facts(facts)
        else:
            self.say(self._("Your country's embassy or consulate can help."))
        self._set(SHOWN_FACTS, [fact.id for fact in shown + facts] or None)

    def redress_facts(self) -> list[Fact]:
        """Whom to turn to, from the worker's own countries only; the international
        standard when neither country is known."""
        facts = answers.contacts(self.content, self.slots.get("origin"),
                                 self.slots.get("destination"), ["hotline"], self.turn.text)
        if facts:
            return facts[:MAX_REDRESS_FACTS]
        known = [self.content.countries[self.slots[role]] for role in ROLES
                 if self.slots.get(role) in self.content.countries]
        for country in known:
            facts += country.facts.get("redress", ())
        if not facts and not known and "redress" in self.content.topics:
            facts = list(self.content.topics["redress"].facts)
        return facts[:MAX_REDRESS_FACTS]


def _corridor_key(role: str, code: str, other: str | None) -> tuple[str, str]:
    return (code, other or "") if role == "origin" else (other or "", code)


# -- handlers: one per Rasa action ---------------------------------------------
Handler = Callable[[Conversation], None]


def greet(conversation: Conversation) -> None:
    _ = conversation._
    identification = conversation.turn.identification or {}
    if not conversation.slots.get(LANGUAGE_CHOSEN) and not identification.get("confident"):
        if not conversation.turn.capabilities.segment_budget:
            _introduce(conversation)
        # On SMS the ten names in their scripts already fill three segments: the
        # introduction comes once the language is chosen (see choose_option).
        conversation.say(_("Choose your language:"), conversation.language_menu())
    else:
        _introduce(conversation)
        conversation.say(_("Ask me a question, or say \"help\" to see all topics."))


def _introduce(conversation: Conversation) -> None:
    conversation.say(conversation._("Hello! I give free and confidential information about "
                                    "the rights of migrant workers."))


def show_help(conversation: Conversation) -> None:
    conversation.say(conversation._("I can tell you about these topics:"),
                     conversation.topic_menu())


def change_language(conversation: Conversation) -> None:
    named = languages.find_named_language(conversation.turn.text)
    if named:
        conversation.set_language(named)
        conversation.say(conversation._("I will write in {language}. Ask me a question, or say "
                                        "\"help\" to see all topics.")
                         .format(language=languages.get(named).native_name))
    else:
        conversation.say(conversation._("Choose your language:"), conversation.language_menu())


def answer_topic(conversation: Conversation) -> None:
    """A question: its intent gives the topic, its words the sub-questions."""
    content, turn = conversation.content, conversation.turn
    topic = content.topic_for_intent(turn.intent or "")
    questions = answers.asked(turn.text, conversation.outcome.language, content)
    if topic is None and not answers.asks_something(questions):
        fallback(conversation)
        return
    conversation.note_countries(turn.text)
    home = topic or conversation.home_topic(questions)
    conversation.outcome.question_topic = home.id if home else "other"
    conversation.answer(topic, questions)


def inform(conversation: Conversation) -> None:
    filled = conversation.note_countries(conversation.turn.text) or _typed_other(conversation)
    _continue_after_countries(conversation, filled)


def _typed_other(conversation: Conversation) -> list[str]:
    """ "Another country", typed instead of its number in the country menu."""
    role = _names_other(conversation)
    if role is None:
        return []
    conversation._set(role, OTHER_COUNTRY)
    return [role]


def _names_other(conversation: Conversation) -> str | None:
    """The role whose "another country" the message types, if the menu offers it."""
    typed = fold(conversation.turn.text).strip(" .!?")
    if typed not in (fold(conversation._("Another country")), "another country"):
        return None
    for item in conversation.slots.get(MENU) or ():
        role, _sep, value = str(item).partition(":")
        if role in ROLES and value == OTHER_COUNTRY:
            return role
    return None


def _continue_after_countries(conversation: Conversation, filled: list[str]) -> None:
    _ = conversation._
    pending = conversation.content.topics.get(conversation.slots.get(PENDING_TOPIC) or "")
    if not filled:
        role = conversation.missing_role(pending) if pending else None
        if role:
            conversation.say(_("Sorry, I did not recognise the country."))
            conversation.say(_(COUNTRY_QUESTIONS[role]),
                             conversation.country_menu(role, likely_first=True))
        else:
            conversation.say(_("Sorry, I did not recognise the country."))
        return
    if pending:
        conversation.answer(pending, list(conversation.slots.get(PENDING_QUESTIONS) or ()))
        return
    named = ", ".join(country_name(conversation.slots[role], conversation.outcome.language)
                      for role in ROLES
                      if conversation.slots.get(role) not in (None, OTHER_COUNTRY))
    conversation.say(_("Thank you. I will use this for your questions: {countries}.")
                     .format(countries=named))
    if conversation.named_unknown:
        conversation.say_nothing_verified(conversation.named_unknown)
        conversation.say_help([])
    conversation.say(_("Ask me a question, or say \"help\" to see all topics."))


def choose_option(conversation: Conversation) -> None:
    _ = conversation._
    menu = conversation.slots.get(MENU) or []
    payload = conversation.turn.choice
    if payload is None:
        number = _read_number(conversation.turn.text)
        if number == 0 and conversation.slots.get(ORIGIN_HINTED):
            _correct_origin(conversation)
            return
        if number is not None and 1 <= number <= len(menu):
            payload = menu[number - 1]
        elif menu:
            conversation.say(_("Please reply with a number from 1 to {count}.")
                             .format(count=len(menu)))
            return
        else:
            show_help(conversation)
            return
    kind, _sep, value = payload.partition(":")
    if kind == "language" and value in languages.CODES:
        first_choice = not conversation.slots.get(LANGUAGE_CHOSEN)
        conversation.set_language(value)
        if first_choice and conversation.turn.capabilities.segment_budget:
            _introduce(conversation)
        conversation.say(conversation._("I will write in {language}. Ask me a question, or say "
                                        "\"help\" to see all topics.")
                         .format(language=languages.get(value).native_name))
    elif kind == "menu" and value == "language":
        conversation.say(_("Choose your language:"), conversation.language_menu())
    elif kind == "topic" and value in conversation.content.topics:
        # Chosen after "which do you mean?": the sub-questions of the message it asked about.
        asked = [] if conversation.slots.get(PENDING_TOPIC) \
            else list(conversation.slots.get(PENDING_QUESTIONS) or ())
        conversation.answer(conversation.content.topics[value], asked)
    elif payload == MORE:
        conversation.say_more()
    elif payload == SOURCES:
        conversation.say_sources()
    elif payload == REPORT:
        start_report(conversation)
    elif payload == STATUS:
        conversation.outcome.followup = "status_form"
    elif kind in ROLES:
        conversation._set(kind, value)
        _continue_after_countries(conversation, [kind])
    else:
        show_help(conversation)


def _correct_origin(conversation: Conversation) -> None:
    """"0" after "(from Nepal? reply 0 to change)": forget the guess and ask."""
    conversation._set("origin", None)
    conversation._set(ORIGIN_HINTED, None)
    question = COUNTRY_QUESTIONS["origin"]
    conversation.say(conversation._(question),
                     conversation.country_menu("origin", likely_first=True))


def _read_number(text: str) -> int | None:
    """The number in a reply, in any script's digits ("३", "৩", "٣" are all 3)."""
    digits = "".join(str(unicodedata.digit(char)) if unicodedata.digit(char, None) is not None
                     else char for char in text)
    match = _NUMBER.search(digits)
    return int(match.group()) if match else None


def emergency(conversation: Conversation, where: str | None = None) -> None:
    """The emergency numbers of the country the worker is in (``where``, else the one
    the conversation knows); of every destination when none is known."""
    _ = conversation._
    content = conversation.content
    conversation.note_countries(conversation.turn.text)
    conversation.say(_("If you are in danger now, call the emergency number of the country "
                       "you are in."))
    code = where or conversation.slots.get("destination")
    if code in content.countries:
        places = [content.countries[code]]
    elif code in (None, OTHER_COUNTRY):
        places = content.countries_with_role("destination")
    else:  # a country without a file: never another country's number
        conversation.say_nothing_verified([code])
        places = []
    for country in places:
        for fact in country.facts.get("emergency", ()):
            conversation.say_fact(fact)
    topic = content.topics.get("emergency")
    for fact in topic.facts if topic else ():
        conversation.say_fact(fact)


# A report is started, not answered: between these and a question the bot always asks.
REPORT_INTENTS = frozenset({"report_abuse", "check_report_status"})


def ask_which(conversation: Conversation, intents: tuple[str, str]) -> bool:
    """"Which do you mean?" with the two close readings as choices; False if one of
    them is not something the bot can offer."""
    choices = [choice for choice in map(conversation.intent_choice, intents) if choice]
    if len(choices) != len(intents):
        return False
    conversation.note_countries(conversation.turn.text)
    questions = answers.asked(conversation.turn.text, conversation.outcome.language,
                              conversation.content)
    conversation._set(PENDING_TOPIC, None)
    conversation._set(PENDING_QUESTIONS, questions or None)
    conversation.say(conversation._("Which do you mean?"), choices)
    return True


def fallback(conversation: Conversation) -> None:
    _ = conversation._
    close_call = conversation.turn.close_call
    if close_call and conversation.turn.choice is None:
        questions = answers.asked(conversation.turn.text, conversation.outcome.language,
                                  conversation.content)
        if answers.asks_something(questions) and not set(close_call) & REPORT_INTENTS:
            # The words name what is asked ("minimum wage", "gratuity"): they decide
            # between two close topics, as they decide for any question.
            conversation.note_countries(conversation.turn.text)
            conversation.answer(None, questions)
            return
        if ask_which(conversation, close_call):
            return
    identification = conversation.turn.identification or {}
    if identification.get("unsupported") and not conversation.slots.get(LANGUAGE_CHOSEN):
        conversation.say(_("Sorry, I do not speak that language yet. Choose your language:"),
                         conversation.language_menu())
        return
    # The classifier was unsure, but the words may still say what is asked: the
    # country the bot just asked for, or a sub-question.
    if conversation.slots.get(PENDING_TOPIC):
        filled = conversation.note_countries(conversation.turn.text) \
            or _typed_other(conversation)
        if filled:
            _continue_after_countries(conversation, filled)
            return
    questions = answers.asked(conversation.turn.text, conversation.outcome.language,
                              conversation.content)
    if answers.asks_something(questions):
        conversation.note_countries(conversation.turn.text)
        conversation.answer(None, questions)
        return
    conversation.say(_("Sorry, I did not understand. I can tell you about these topics:"),
                     conversation.topic_menu())


def goodbye(conversation: Conversation) -> None:
    conversation.say(conversation._("Goodbye. Stay safe. You can write to me again at any "
                                    "time."))


def thanks(conversation: Conversation) -> None:
    conversation.say(conversation._("You are welcome. Is there anything else I can help "
                                    "with?"))


def acknowledge(conversation: Conversation) -> None:
    conversation._set(PENDING_TOPIC, None)
    conversation.say(conversation._("OK. Ask me a question, or say \"help\" to see all "
                                    "topics."))


def more(conversation: Conversation) -> None:
    conversation.say_more()


def sources(conversation: Conversation) -> None:
    conversation.say_sources()


def start_report(conversation: Conversation) -> None:
    conversation.outcome.followup = "report_form"


def _keyword_handler(turn: Turn, language: str) -> Handler | None:
    """The words an answer ends with ("reply MORE for more..."), typed as a whole
    message in the conversation's language or in English."""
    typed = fold(turn.text).strip(" .!?")
    if not typed:
        return None
    t = translator(language)
    for handler, word in ((more, MORE_WORD), (sources, SOURCES_WORD), (start_report, REPORT_WORD)):
        if typed in (fold(word), fold(t.gettext(word))):
            return handler
    return None


def run(handler: Handler, turn: Turn, content: Content, today: date | None = None) -> Outcome:
    conversation = Conversation(turn, content, today)
    in_form = turn.slots.get("requested_slot") is not None
    if turn.choice is None and not in_form:
        handler = _keyword_handler(turn, conversation.outcome.language) or handler
        # The bot asked for a country: a message that names one answers it, whatever
        # intent the classifier saw in it ("Jordan" read as a greeting).
        if turn.slots.get(PENDING_TOPIC) and (find_countries(turn.text, content)
                                              or _names_other(conversation)):
            handler = inform
    # A message clearly in a language we do not speak gets the languages we do speak,
    # unless its words ask something we know: romanised Nepali or Hindi can look like
    # another language to the identifier.
    unsupported = (turn.identification or {}).get("unsupported")
    if unsupported and turn.choice is None and not in_form \
            and not turn.slots.get(LANGUAGE_CHOSEN) \
            and not answers.asks_something(answers.asked(turn.text, conversation.outcome.language,
                                                          content)):
        handler = fallback
    handler(conversation)
    return conversation.outcome
