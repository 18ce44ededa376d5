"""Turning what the bot wants to say into messages for one channel.

Dialogue code produces :class:`Reply` objects already in the user's language;
this module decides only how they look on a channel: inline buttons on Telegram,
a numbered list everywhere else (any phone can answer "2"), and how much of a
source to show (SMS leaves out the link, which costs a whole message).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from bot.i18n import Translator

BUTTON_CHANNELS = frozenset({"telegram", "web"})
SHORT_CHANNELS = frozenset({"sms"})


@dataclass(frozen=True)
class Choice:
    payload: str  # "kind:value", e.g. "language:ne", "topic:wages", "origin:NP"
    label: str


@dataclass(frozen=True)
class SourceNote:
    title: str
    url: str | None
    checked: str  # already formatted for the reader's locale
    stale: bool = False


@dataclass
class Reply:
    text: str
    choices: list[Choice] = field(default_factory=list)
    source: SourceNote | None = None


def choice_payload(choice: Choice) -> str:
    """The Rasa payload a button sends: the intent and the choice, bypassing NLU."""
    return "/choose_option" + json.dumps({"choice": choice.payload}, separators=(",", ":"))


def render(reply: Reply, channel: str | None, translator: Translator) -> dict:
    """Keyword arguments for ``dispatcher.utter_message`` on ``channel``."""
    _ = translator.gettext
    parts = [reply.text]
    if reply.source:
        parts.append(_source_line(reply.source, channel, translator))
    message: dict = {}
    if reply.choices:
        if channel in BUTTON_CHANNELS:
            message["buttons"] = [{"title": choice.label, "payload": choice_payload(choice)}
                                  for choice in reply.choices]
        else:
            lines = [f"{number}. {choice.label}"
                     for number, choice in enumerate(reply.choices, start=1)]
            parts.append("\n".join(lines))
            parts.append(_("Reply with a number."))
    message["text"] = "\n".join(part for part in parts if part)
    return message


def _source_line(source: SourceNote, channel: str | None, translator: Translator) -> str:
    _ = translator.gettext
    if channel in SHORT_CHANNELS or not source.url:
        line = _("Source: {title} (checked {date})").format(title=source.title,
                                                           date=source.checked)
    else:
        line = _("Source: {title}, {url} (checked {date})").format(
            title=source.title, url=source.url, date=source.checked)
    if source.stale:
        line += "\n" + _("This was checked long ago and may be out of date.")
    return line
