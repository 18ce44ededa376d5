"""Keeping each SMS answer within a budget of segments, with "reply MORE" for the rest.

A turn's messages go out as one text if it fits the budget (see
:func:`bot.channels.sms.encoding.segments`). If not, they are packed, whole and
in order, into pages: each bot message (a fact with its source, a question with
its menu) stays on one page, and only a message too long for a page on its own
is cut, at line breaks, then at spaces (anywhere only when a word is too long).
Every page but the last ends with a hint such as "Reply MORE for the rest.". The
pages not sent yet wait, under the user's pseudonym, for a limited time: in Redis when
``BOT_REDIS_URL`` is set (any server may get the MORE), else in memory.

A procedure step is the exception (:func:`step_page`): its turn is one page, never
split, so that MORE brings the next step. The page is the step (the procedure's title
before the first, "Step 1 of 3: ...", its source note) and its short lines ("Reply
MORE for the next step..."); it may go beyond the budget, up to
:data:`STEP_PAGE_CAP` segments, and if it would go beyond that the lines the dialogue
marked optional (the report offer, then the guessed origin) are left out. A step
that does not fit the cap even so is paged like any other answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from bot.channels.sms.encoding import segments
from bot.render import OPTIONAL_LINE, PAGE_KEY, STEP_PAGE
from bot.storage.shared_state import MemoryState, SharedState

Fits = Callable[[str], bool]

# The most segments one procedure step's page may take. 10 GSM-7 segments are 1,530
# characters, the most whole segments within the 1,600 characters Twilio accepts in
# one message (error 21617 beyond); in UCS-2 they are 670 characters, which every
# step of today's content fits with its "next step" line (the longest, in Spanish
# and French, take 9). Each segment is billed, and the more parts a message has, the
# likelier one is held back and the phone shows it late or not at all: a step is
# worth that, a page of anything else keeps to the budget. A gateway must let a
# reply have this many parts (Kannel: max-messages in the sms-service).
STEP_PAGE_CAP = 10


def join_messages(texts: list[str]) -> str:
    """A turn's messages as one SMS text, one message per line; empty ones are left out."""
    return "\n".join(text for text in texts if text)


def turn_messages(replies: Iterable[Mapping[str, Any]]) -> list[tuple[str, str | None]]:
    """A turn's collected Rasa messages as (text, how it is paged): the custom JSON
    message that follows a text (see :data:`bot.render.PAGE_KEY`) says how; other
    messages without text are left out."""
    messages: list[tuple[str, str | None]] = []
    for reply in replies:
        custom = reply.get("custom")
        page = custom.get(PAGE_KEY) if isinstance(custom, Mapping) else None
        text = reply.get("text")
        if text:
            messages.append((text, None))
        elif isinstance(page, str) and messages:
            messages[-1] = (messages[-1][0], page)
    return messages


def step_page(messages: list[tuple[str, str | None]], cap: int = STEP_PAGE_CAP
              ) -> str | None:
    """The one page of a procedure step's turn: all its messages if they fit ``cap``
    segments, else without its optional lines, the last first. None if the turn is no
    step, or its step does not fit ``cap`` even so."""
    if not any(page == STEP_PAGE for _text, page in messages):
        return None
    kept = list(messages)
    while segments(join_messages([text for text, _page in kept])) > cap:
        optional = [index for index, (_text, page) in enumerate(kept) if page == OPTIONAL_LINE]
        if not optional:
            return None
        del kept[optional[-1]]
    return join_messages([text for text, _page in kept])


def paginate(texts: list[str], hint: str, budget: int) -> list[str]:
    """A turn's messages as pages of at most ``budget`` segments, each but the last ending
    in ``hint``: whole messages, packed greedily; one too long for a page alone is cut."""
    whole = join_messages(texts)
    if segments(whole) <= budget:
        return [whole]
    suffix = "\n" + hint

    def fits(page: str) -> bool:
        return segments(page + suffix) <= budget

    chunks = [chunk for text in texts if text
              for chunk in ([text] if fits(text) else _pack(_pieces(text, fits), fits))]
    pages = _pack((("\n", chunk) for chunk in chunks), fits)
    return [page + suffix for page in pages[:-1]] + pages[-1:]


def _pack(pieces: Iterable[tuple[str, str]], fits: Fits) -> list[str]:
    """(separator before, piece) pairs, each fitting alone, joined greedily into pages."""
    pages: list[str] = []
    current = ""
    for separator, piece in pieces:
        candidate = current + separator + piece if current else piece
        if fits(candidate):
            current = candidate
        else:
            pages.append(current)
            current = piece
    if current:
        pages.append(current)
    return pages


def _pieces(text: str, fits: Fits) -> Iterator[tuple[str, str]]:
    """(separator before, piece): whole lines, or words, or characters, each fitting a page."""
    for line_number, line in enumerate(text.split("\n")):
        line_separator = "\n" if line_number else ""
        if fits(line):
            yield line_separator, line
            continue
        for word_number, word in enumerate(line.split(" ")):
            separator = " " if word_number else line_separator
            if fits(word):
                yield separator, word
                continue
            chunk = ""
            for char in word:
                if chunk and not fits(chunk + char):
                    yield separator, chunk
                    separator, chunk = "", ""
                chunk += char
            if chunk:
                yield separator, chunk


class PendingPages:
    """Pages waiting for "MORE", by pseudonym, for ``ttl`` seconds: in ``state`` (Redis
    when ``BOT_REDIS_URL`` is set, so that any server can send the next page), else in
    this process's memory, at most ``max_users`` of them."""

    def __init__(self, ttl: float = 3600, max_users: int = 10_000,
                 clock: Callable[[], float] = time.monotonic,
                 state: SharedState | None = None) -> None:
        self._ttl = ttl
        self._state = state or MemoryState(max_keys=max_users, clock=clock)

    @staticmethod
    def _key(key: str) -> str:
        return f"sms-pages:{key}"

    def keep(self, key: str, pages: list[str]) -> None:
        """Keep ``pages`` for ``key``, in place of any still waiting."""
        self._state.replace_list(self._key(key), list(pages), self._ttl)

    def next_page(self, key: str) -> str | None:
        """The next page for ``key``, or None when nothing (unexpired) is waiting."""
        return self._state.pop_first(self._key(key))

    def forget(self, key: str) -> None:
        """Drop whatever waits for ``key``."""
        self._state.delete(self._key(key))
