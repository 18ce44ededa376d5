"""Keeping each SMS answer within a budget of segments, with "reply MORE" for the rest.

A turn's messages are joined into one text. If it costs more than
:data:`BUDGET` segments (see :func:`bot.sms.segments`), it is cut into pages at
line breaks (at spaces, or anywhere, only when a line is too long), and every
page but the last ends with a hint such as "Reply MORE for the rest.". The pages
not sent yet wait in memory, under the user's pseudonym, for a limited time.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterator

from bot.sms import segments

BUDGET = 3  # segments per answer: what one question may cost the user or the operator


def join_messages(texts: list[str]) -> str:
    return "\n".join(text for text in texts if text)


def paginate(text: str, hint: str, budget: int = BUDGET) -> list[str]:
    """``text`` as pages of at most ``budget`` segments, each but the last ending in ``hint``."""
    if segments(text) <= budget:
        return [text]
    suffix = "\n" + hint

    def fits(page: str) -> bool:
        return segments(page + suffix) <= budget

    pages: list[str] = []
    current = ""
    for separator, piece in _pieces(text, fits):
        candidate = current + separator + piece if current else piece
        if fits(candidate):
            current = candidate
        else:
            pages.append(current)
            current = piece
    if current:
        pages.append(current)
    return [page + suffix for page in pages[:-1]] + pages[-1:]


def _pieces(text: str, fits: Callable[[str], bool]) -> Iterator[tuple[str, str]]:
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
    """Pages waiting for "MORE", by pseudonym, in memory only, for ``ttl`` seconds."""

    def __init__(self, ttl: float = 3600, max_users: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._max_users = max_users
        self._clock = clock
        self._pages: OrderedDict[str, tuple[float, list[str]]] = OrderedDict()

    def keep(self, key: str, pages: list[str]) -> None:
        self._pages.pop(key, None)
        if not pages:
            return
        self._pages[key] = (self._clock() + self._ttl, list(pages))
        while len(self._pages) > self._max_users:
            self._pages.popitem(last=False)

    def next_page(self, key: str) -> str | None:
        """The next page for ``key``, or None when nothing (unexpired) is waiting."""
        entry = self._pages.pop(key, None)
        if entry is None or entry[0] < self._clock():
            return None
        expires, pages = entry
        page, rest = pages[0], pages[1:]
        if rest:
            self._pages[key] = (expires, rest)
        return page

    def forget(self, key: str) -> None:
        self._pages.pop(key, None)
