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

from bot import languages
from bot.content.model import Amount, Content, CountryRef, Fact, Topic
from bot.countries import assign_roles, country_name, find_countries
from bot.i18n import N_, Translator, translator
from bot.render import SHORT_CHANNELS, Choice, Reply, SourceNote

ROLES = ("origin", "destination")
OTHER_COUNTRY = "other"
MAX_REDRESS_FACTS = 2

# Slot names (declared in domain.yml).
LANGUAGE = "language"
LANGUAGE_CHOSEN = "language_chosen"
PENDING_TOPIC = "pending_topic"
MENU = "menu"
REQUESTED_SLOT = "requested_slot"  # Rasa's: the question a form is waiting for

_QUESTIONS = {
    "origin": N_("Which country are you from?"),
    "destination": N_("In which country do you work, or plan to work?"),
}
_NUMBER = re.compile(r"\d+")


@dataclass(frozen=True)
class Turn:
    """One user turn, as the actions see it."""

    intent: str | None
    text: str
    slots: Mapping[str, Any]
    identification: Mapping[str, Any] | None = None  # from bot.nlu.LanguageIdentifier
    language_hint: str | None = None  # from the channel (Telegram language_code...)
    channel: str | None = None
    choice: str | None = None  # a button's payload, sent without NLU
    conversation_id: str = ""  # the channel's pseudonym, never a phone number or user id


@dataclass
class Outcome:
    language: str
    replies: list[Reply] = field(default_factory=list)
    slots: dict[str, Any] = field(default_factory=dict)
    followup: str | None = None  # an action (or form) to run next, e.g. to ask again


def resolve_language(turn: Turn) -> str:
    """The language to answer in: an explicit choice sticks; otherwise what the user writes."""
    current = turn.slots.get(LANGUAGE)
    if turn.slots.get(LANGUAGE_CHOSEN) and current in languages.CODES:
        return current
    if turn.slots.get(REQUESTED_SLOT) and current in languages.CODES:
        return current  # a form's answers (a city, a name) say nothing of the language
    identification = turn.identification or {}
    guess = identification.get("language")
    hint = languages.normalise(turn.language_hint)
    if guess in languages.CODES and identification.get("confident"):
        return guess
    for candidate in (current, hint, guess):
        if candidate in languages.CODES:
            return candidate
    return languages.DEFAULT_LANGUAGE


class Conversation:
    """Builds one turn's outcome: the helpers every handler shares."""

    def __init__(self, turn: Turn, content: Content, today: date | None = None) -> None:
        self.turn = turn
        self.content = content
        self.today = today or date.today()
        self.slots = dict(turn.slots)
        self.outcome = Outcome(resolve_language(turn))
        self._set(LANGUAGE, self.outcome.language)
        self.t: Translator = translator(self.outcome.language)

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

    def say_fact(self, fact: Fact) -> None:
        text = self.t.gettext(fact.text, domain="content")
        values = {name: self._format_value(value) for name, value in fact.values.items()}
        source = SourceNote(fact.source.title, fact.source.url,
                            self.t.format_date(fact.checked), fact.is_stale(self.today))
        self.outcome.replies.append(Reply(text.format(**values), source=source))

    def _format_value(self, value: Amount | CountryRef | str) -> str:
        if isinstance(value, CountryRef):
            return country_name(value.code, self.outcome.language)
        if isinstance(value, Amount):
            return self.t.format_amount(value.value, value.currency)
        return value

    def topic_title(self, topic: Topic) -> str:
        return self.t.gettext(topic.title, domain="content")

    # -- menus ---------------------------------------------------------------
    def topic_menu(self) -> list[Choice]:
        choices = [Choice(f"topic:{topic.id}", self.topic_title(topic))
                   for topic in self.content.topics.values() if topic.id != "emergency"]
        choices.append(Choice("menu:language", self._("Change language")))
        return choices

    def language_menu(self) -> list[Choice]:
        return [Choice(f"language:{language.code}", language.native_name)
                for language in languages.LANGUAGES]

    def country_menu(self, role: str) -> list[Choice]:
        countries = sorted(self.content.countries_with_role(role),
                           key=lambda country: country_name(country.code, self.outcome.language))
        choices = [Choice(f"{role}:{country.code}",
                          country_name(country.code, self.outcome.language))
                   for country in countries]
        choices.append(Choice(f"{role}:{OTHER_COUNTRY}", self._("Another country")))
        return choices

    # -- countries and topics ------------------------------------------------
    def note_countries(self, text: str) -> list[str]:
        """Fill origin and destination from what the user wrote; return the roles filled."""
        found = assign_roles(find_countries(text, self.content), self.content)
        for role, code in found.items():
            self._set(role, code)
        return list(found)

    def missing_role(self, topic: Topic) -> str | None:
        """The first country role this topic needs and the user has not given yet."""
        for role in ROLES:
            if role in topic.country_roles and not self.slots.get(role) \
                    and self._any_country_knows(topic.id, role):
                return role
        return None

    def _any_country_knows(self, topic_id: str, role: str) -> bool:
        if any(country.facts.get(topic_id) for country in self.content.countries_with_role(role)):
            return True
        return any(corridor.facts.get(topic_id) for corridor in self.content.corridors.values())

    def answer_topic(self, topic: Topic, scopes: tuple[str, ...] | None = None) -> None:
        """Say what the content knows on ``topic``, then ask for what is missing.

        ``scopes`` limits what is said (after the user names a country, only what
        that country adds is new).
        """
        origin, destination = self.slots.get("origin"), self.slots.get("destination")
        facts = self.content.facts_for(topic.id, origin, destination)
        shown = [fact for scope, fact in facts if scopes is None or scope in scopes]
        if scopes is None:
            self.say(self._("About: {topic}").format(topic=self.topic_title(topic)))
        for fact in shown:
            self.say_fact(fact)
        missing = self.missing_role(topic)
        if missing:
            self._set(PENDING_TOPIC, topic.id)
            self.say(self._(_QUESTIONS[missing]), self.country_menu(missing))
            return
        self._set(PENDING_TOPIC, None)
        specific = [fact for scope, fact in facts if scope != "charter"]
        if topic.country_roles and not specific:
            self.say_not_known()
        elif not shown:
            self.say_not_known()

    def say_not_known(self) -> None:
        named = [country_name(self.slots[role], self.outcome.language) for role in ROLES
                 if self.slots.get(role) not in (None, OTHER_COUNTRY)]
        if named:
            self.say(self._("I do not have verified information on this for {countries}.")
                     .format(countries=", ".join(named)))
        else:
            self.say(self._("I do not have verified information on this for your country."))
        self.say(self._("These can help you:"))
        for fact in self.redress_facts():
            self.say_fact(fact)

    def redress_facts(self) -> list[Fact]:
        facts: list[Fact] = []
        for role in ("destination", "origin"):
            country = self.content.countries.get(self.slots.get(role) or "")
            if country:
                facts += country.facts.get("redress", ())
        if not facts and "redress" in self.content.topics:
            facts = list(self.content.topics["redress"].facts)
        return facts[:MAX_REDRESS_FACTS]


# -- handlers: one per Rasa action ---------------------------------------------
Handler = Callable[[Conversation], None]


def greet(conversation: Conversation) -> None:
    _ = conversation._
    identification = conversation.turn.identification or {}
    if not conversation.slots.get(LANGUAGE_CHOSEN) and not identification.get("confident"):
        if conversation.turn.channel not in SHORT_CHANNELS:
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
    topic = conversation.content.topic_for_intent(conversation.turn.intent or "")
    if topic is None:
        fallback(conversation)
        return
    conversation.note_countries(conversation.turn.text)
    conversation.answer_topic(topic)


def inform(conversation: Conversation) -> None:
    filled = conversation.note_countries(conversation.turn.text)
    _continue_after_countries(conversation, filled)


def _continue_after_countries(conversation: Conversation, filled: list[str]) -> None:
    _ = conversation._
    pending = conversation.content.topics.get(conversation.slots.get(PENDING_TOPIC) or "")
    if not filled:
        if pending and conversation.missing_role(pending):
            role = conversation.missing_role(pending)
            conversation.say(_("Sorry, I did not recognise the country."))
            conversation.say(_(_QUESTIONS[role]), conversation.country_menu(role))
        else:
            conversation.say(_("Sorry, I did not recognise the country."))
        return
    if pending:
        scopes = tuple(filled) + ("corridor",)
        conversation.answer_topic(pending, scopes=scopes)
        return
    named = ", ".join(country_name(conversation.slots[role], conversation.outcome.language)
                      for role in ROLES
                      if conversation.slots.get(role) not in (None, OTHER_COUNTRY))
    conversation.say(_("Thank you. I will use this for your questions: {countries}.")
                     .format(countries=named))
    conversation.say(_("Ask me a question, or say \"help\" to see all topics."))


def choose_option(conversation: Conversation) -> None:
    _ = conversation._
    menu = conversation.slots.get(MENU) or []
    payload = conversation.turn.choice
    if payload is None:
        number = _read_number(conversation.turn.text)
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
        if first_choice and conversation.turn.channel in SHORT_CHANNELS:
            _introduce(conversation)
        conversation.say(conversation._("I will write in {language}. Ask me a question, or say "
                                        "\"help\" to see all topics.")
                         .format(language=languages.get(value).native_name))
    elif kind == "menu" and value == "language":
        conversation.say(_("Choose your language:"), conversation.language_menu())
    elif kind == "topic" and value in conversation.content.topics:
        conversation.answer_topic(conversation.content.topics[value])
    elif kind in ROLES:
        conversation._set(kind, value)
        _continue_after_countries(conversation, [kind])
    else:
        show_help(conversation)


def _read_number(text: str) -> int | None:
    """The number in a reply, in any script's digits ("३", "৩", "٣" are all 3)."""
    digits = "".join(str(unicodedata.digit(char)) if unicodedata.digit(char, None) is not None
                     else char for char in text)
    match = _NUMBER.search(digits)
    return int(match.group()) if match else None


def emergency(conversation: Conversation) -> None:
    _ = conversation._
    content = conversation.content
    conversation.note_countries(conversation.turn.text)
    conversation.say(_("If you are in danger now, call the emergency number of the country "
                       "you are in."))
    destination = content.countries.get(conversation.slots.get("destination") or "")
    places = [destination] if destination else content.countries_with_role("destination")
    for country in places:
        for fact in country.facts.get("emergency", ()):
            conversation.say_fact(fact)
    topic = content.topics.get("emergency")
    for fact in topic.facts if topic else ():
        conversation.say_fact(fact)


def fallback(conversation: Conversation) -> None:
    _ = conversation._
    identification = conversation.turn.identification or {}
    if identification.get("unsupported") and not conversation.slots.get(LANGUAGE_CHOSEN):
        conversation.say(_("Sorry, I do not speak that language yet. Choose your language:"),
                         conversation.language_menu())
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


def run(handler: Handler, turn: Turn, content: Content, today: date | None = None) -> Outcome:
    conversation = Conversation(turn, content, today)
    # A message clearly in a language we do not speak was not really understood,
    # whatever intent the classifier guessed: offer the languages we do speak.
    unsupported = (turn.identification or {}).get("unsupported")
    in_form = turn.slots.get("requested_slot") is not None
    if unsupported and turn.choice is None and not in_form \
            and not turn.slots.get(LANGUAGE_CHOSEN):
        handler = fallback
    handler(conversation)
    return conversation.outcome
