"""The words SMS users type to control the bot: STOP, HELP, START, MORE and SOURCES.

One table for every language the bot speaks. A message counts as a keyword only
when it is exactly one of these words (ignoring case, spaces and a final full
stop or exclamation mark), so "please help me with my contract" is a question,
not a keyword. English keywords work whatever the user's language, as carriers
and phones use them everywhere.
"""

from __future__ import annotations

import unicodedata
from typing import Literal

from bot.render import MORE, SOURCES, Choice, choice_payload

Keyword = Literal["stop", "help", "start", "more", "sources"]

# language -> keyword -> what users type (romanised forms too, for phones without the script)
KEYWORDS: dict[str, dict[Keyword, tuple[str, ...]]] = {
    "en": {"stop": ("stop", "cancel", "end", "quit", "unsubscribe"),
           "help": ("help", "info"), "start": ("start", "unstop"), "more": ("more",),
           "sources": ("sources", "source")},
    "tl": {"stop": ("tigil", "hinto", "itigil"), "help": ("tulong",),
           "start": ("simula", "umpisa"), "more": ("dagdag", "karagdagan"),
           "sources": ("pinagmulan", "sources")},
    "ne": {"stop": ("रोक", "रोक्नुहोस्", "बन्द", "roka", "banda"),
           "help": ("मद्दत", "सहयोग", "maddat", "sahayog"),
           "start": ("सुरु", "suru"), "more": ("थप", "thap"), "sources": ("स्रोत", "srot")},
    "id": {"stop": ("berhenti", "henti"), "help": ("bantuan", "tolong"),
           "start": ("mulai",), "more": ("lagi", "lanjut"), "sources": ("sumber",)},
    "bn": {"stop": ("থামুন", "বন্ধ", "bondho"), "help": ("সাহায্য", "shahajjo"),
           "start": ("শুরু", "shuru"), "more": ("আরও", "আরো", "aro"),
           "sources": ("উৎস", "utso")},
    "am": {"stop": ("አቁም", "ይቁም"), "help": ("እርዳታ",), "start": ("ጀምር",),
           "more": ("ተጨማሪ",), "sources": ("ምንጭ",)},
    "ar": {"stop": ("توقف", "قف", "إيقاف"), "help": ("مساعدة",),
           "start": ("ابدأ", "بدء", "ابدا"), "more": ("المزيد", "مزيد"),
           "sources": ("مصدر", "المصادر")},
    "es": {"stop": ("parar", "alto", "basta", "baja"), "help": ("ayuda",),
           "start": ("inicio", "empezar", "comenzar"), "more": ("más", "mas"),
           "sources": ("fuentes", "fuente")},
    "fr": {"stop": ("arrêt", "arret", "arrêter", "arreter"), "help": ("aide",),
           "start": ("début", "debut", "commencer"), "more": ("suite", "plus"),
           "sources": ("sources", "source")},
    "hi": {"stop": ("रोकें", "बंद", "band"), "help": ("मदद", "सहायता", "madad"),
           "start": ("शुरू", "shuru"), "more": ("और", "अधिक", "aur"),
           "sources": ("स्रोत", "srot")},
}

# What each keyword sends to Rasa, bypassing NLU: intent payloads (see data/rules.yml) and
# the choices MORE and SOURCES stand for. MORE goes to Rasa only when no page is waiting.
PAYLOADS: dict[Keyword, str] = {
    "stop": "/stop", "help": "/help", "start": "/greet",
    "more": choice_payload(Choice(MORE, "")), "sources": choice_payload(Choice(SOURCES, "")),
}

_TRAILING = ".!।።。"


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip().rstrip(_TRAILING).strip().casefold()


_INDEX: dict[str, Keyword] = {
    _normalise(word): keyword
    for table in KEYWORDS.values() for keyword, words in table.items() for word in words
}


def match(text: str) -> Keyword | None:
    """The keyword ``text`` is, if the whole message is one."""
    return _INDEX.get(_normalise(text))
