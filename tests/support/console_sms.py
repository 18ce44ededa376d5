"""A phone on a real Kannel for the console's SMS end-to-end test: sends, follows MORE."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.channels.sms.keywords import KEYWORDS
from bot.i18n import translator
from tests.support import kannel

NE = translator("ne")
MORE_HINT = NE.gettext("Reply MORE for the rest.")


@dataclass
class Phone:
    """One phone writing in Nepali: how many SMS it sent, and the pages it got."""

    gateway: kannel.Kannel
    number: str
    sent: int = 0
    pages: list[str] = field(default_factory=list)

    def say(self, text: str) -> str:
        """Send ``text``, then MORE until the answer is complete: its pages, joined."""
        pages = [self._send(text)]
        while pages[-1].endswith("\n" + MORE_HINT):
            assert len(pages) < 6, pages
            pages.append(self._send(KEYWORDS["ne"]["more"][0]))
        return "\n".join(pages)

    def _send(self, text: str) -> str:
        self.sent += 1
        reply = self.gateway.send(self.number, text)
        assert reply.text, f"no reply to SMS {self.sent}"
        self.pages.append(reply.text)
        return reply.text


def menu_number(text: str, label: str) -> str:
    """The number of the menu line that ends with ``label``."""
    return next(line.split(".")[0] for line in text.splitlines() if line.endswith(label))
