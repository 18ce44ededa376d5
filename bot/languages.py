"""The languages the bot speaks, and how to name them (from Babel's CLDR data)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from babel import Locale


@dataclass(frozen=True)
class Language:
    """A supported language.

    ``code`` is our identifier everywhere (slots, catalogs, NLU files, detection);
    ``babel_locale`` is the CLDR locale used for names, numbers, dates and plurals.
    """

    code: str
    babel_locale: str
    script: str

    @property
    def locale(self) -> Locale:
        return Locale.parse(self.babel_locale)

    @property
    def native_name(self) -> str:
        """The language's name in itself, e.g. "नेपाली"."""
        name = self.locale.get_display_name(self.locale) or self.code
        return name[:1].upper() + name[1:]

    @property
    def rtl(self) -> bool:
        return self.locale.character_order == "right-to-left"


# Order is the order of the language menu.
LANGUAGES: tuple[Language, ...] = (
    Language("en", "en", "Latin"),
    Language("tl", "fil", "Latin"),
    Language("ne", "ne", "Devanagari"),
    Language("id", "id", "Latin"),
    Language("bn", "bn", "Bengali"),
    Language("am", "am", "Ethiopic"),
    Language("ar", "ar", "Arabic"),
    Language("es", "es", "Latin"),
    Language("fr", "fr", "Latin"),
    Language("hi", "hi", "Devanagari"),
)
DEFAULT_LANGUAGE = "en"
CODES: tuple[str, ...] = tuple(language.code for language in LANGUAGES)
_BY_CODE = {language.code: language for language in LANGUAGES}
# Codes other systems use for the same languages (Telegram sends "fil", ISO 639-2 "nep"...).
_ALIASES = {"fil": "tl", "tgl": "tl", "nep": "ne", "ind": "id", "in": "id", "ben": "bn",
            "amh": "am", "ara": "ar", "spa": "es", "fra": "fr", "fre": "fr", "hin": "hi",
            "eng": "en"}


def get(code: str) -> Language:
    return _BY_CODE[code]


def normalise(code: str | None) -> str | None:
    """Map a language tag from outside (``"fil-PH"``, ``"ne_NP"``, ``"FR"``) to our code."""
    if not code:
        return None
    base = code.replace("_", "-").split("-")[0].lower()
    base = _ALIASES.get(base, base)
    return base if base in _BY_CODE else None


@cache
def names_index() -> dict[str, str]:
    """Every supported language's name in every supported language, lowercased, to its code.

    Lets a user say "in Nepali", "नेपालीमा", "en español" or "بالعربية" without a
    hand-written list: the names are CLDR's.
    """
    index: dict[str, str] = {}
    for display in LANGUAGES:
        for target in LANGUAGES:
            for name in _names_of(target, display.locale):
                index[name.lower()] = target.code
    return index


def _names_of(target: Language, in_locale: Locale) -> set[str]:
    names = set()
    for key in {target.babel_locale, target.code}:
        name = in_locale.languages.get(key)
        if name:
            names.add(name)
    names.add(target.native_name)
    return {name for name in names if len(name) >= 3}


def find_named_language(text: str) -> str | None:
    """The supported language named in ``text``, if exactly one is named."""
    lowered = text.lower()
    found = {code for name, code in names_index().items() if name in lowered}
    return found.pop() if len(found) == 1 else None
