"""Turning what the bot wants to say into messages for one channel.

Dialogue code produces :class:`Reply` objects already in the user's language;
this module decides only how they look on a channel: inline buttons on Telegram,
a numbered list everywhere else (any phone can answer "2"), and how much of a
source to show (SMS leaves out the link, which costs a whole message). Where each
message costs money (SMS), a message may also say how it is paged (:data:`PAGE_KEY`):
a procedure step and its short lines go as one page (:mod:`bot.channels.sms.paging`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.i18n import Translator

CAPABILITIES_KEY = "capabilities"  # the message metadata key a channel declares them under
MORE = "more:answer"  # the payload of "more" (a button, or the MORE keyword on SMS)
SOURCES = "sources:answer"  # the payload of "sources" (a button, or the keyword on SMS)
# How a message is paged on SMS, in the custom JSON that follows it (Rasa sends a
# message's "custom" as a message of its own, right after its text).
PAGE_KEY = "sms_page"
STEP_PAGE = "step"  # a procedure step: its turn is one page, never split
OPTIONAL_LINE = "optional"  # a line of a step's page left out if the page is too long


@dataclass(frozen=True)
class Capabilities:
    """What a channel can show. Channels declare them in each message's metadata
    (:data:`CAPABILITIES_KEY`); rendering and answer composition read only these,
    never a channel's name."""

    buttons: bool = False  # menus as buttons (else a numbered list: any phone can reply "2")
    max_chars: int = 500  # what the first message of an answer may hold
    segment_budget: int | None = None  # SMS segments per answer, where each one costs money

    def to_metadata(self) -> dict[str, Any]:
        return {"buttons": self.buttons, "max_chars": self.max_chars,
                "segment_budget": self.segment_budget}

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, Any] | None) -> Capabilities:
        """The capabilities a message declares; the defaults (a plain text chat) otherwise."""
        declared = (metadata or {}).get(CAPABILITIES_KEY)
        if not isinstance(declared, Mapping):
            return cls()
        budget = declared.get("segment_budget")
        max_chars = declared.get("max_chars")
        return cls(
            buttons=declared.get("buttons") is True,
            max_chars=max_chars if isinstance(max_chars, int) and max_chars > 0 else 500,
            segment_budget=budget if isinstance(budget, int) and budget > 0 else None,
        )


PLAIN_TEXT = Capabilities()
CHAT = Capabilities(buttons=True, max_chars=500)  # Telegram, web chat
SMS = Capabilities(buttons=False, max_chars=459, segment_budget=3)


@dataclass(frozen=True)
class Choice:
    payload: str  # "kind:value", e.g. "language:ne", "topic:wages", "origin:NP"
    label: str


@dataclass(frozen=True)
class SourceNote:
    title: str  # short, for a phone: "Saudi Labour Law, Art. 40"
    url: str | None
    checked: str | None  # when a person verified it, formatted for the reader; None if never
    stale: bool = False
    full_title: str = ""  # the whole citation, for "sources"


@dataclass
class Reply:
    text: str
    choices: list[Choice] = field(default_factory=list)
    source: SourceNote | None = None
    # Further facts said in the same message, each with its source.
    more: list[tuple[str, SourceNote]] = field(default_factory=list)
    page: str | None = None  # STEP_PAGE or OPTIONAL_LINE: how SMS pages it


def choice_payload(choice: Choice) -> str:
    """The Rasa payload a button sends: the intent and the choice, bypassing NLU."""
    return "/choose_option" + json.dumps({"choice": choice.payload}, separators=(",", ":"))


def render(reply: Reply, capabilities: Capabilities, translator: Translator) -> dict:
    """Keyword arguments for ``dispatcher.utter_message`` on a channel that can show
    ``capabilities``: buttons, or a numbered list any phone can answer."""
    _ = translator.gettext
    parts = [_with_source(reply.text, reply.source, translator)]
    parts += [_with_source(text, source, translator) for text, source in reply.more]
    message: dict = {}
    if reply.choices:
        if capabilities.buttons:
            message["buttons"] = [{"title": choice.label, "payload": choice_payload(choice)}
                                  for choice in reply.choices]
        else:
            lines = [f"{number}. {choice.label}"
                     for number, choice in enumerate(reply.choices, start=1)]
            parts.append("\n".join(lines))
            parts.append(_("Reply with a number."))
    message["text"] = "\n".join(part for part in parts if part)
    if reply.page and capabilities.segment_budget:
        message["custom"] = {PAGE_KEY: reply.page}
    return message


def _with_source(text: str, source: SourceNote | None, translator: Translator) -> str:
    if source is None:
        return text
    return f"{text} {source_line(source, translator)}"


def source_line(source: SourceNote, translator: Translator) -> str:
    """Where a fact comes from, in a few words: "(Saudi Labour Law, Art. 40, checked
    22 Nov 2026)", or "not yet checked" until a person has compared it with the source.
    The full citation and its link come on "sources"."""
    _ = translator.gettext
    if source.checked is None:
        line = _("({source}, not yet checked)").format(source=source.title)
    else:
        line = _("({source}, checked {date})").format(source=source.title,
                                                       date=source.checked)
    if source.stale:
        line += " " + _("This was checked long ago and may be out of date.")
    return line
