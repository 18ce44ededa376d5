"""Translation and locale formatting: gettext catalogs under ``locales/``, and Babel.

Two gettext domains: ``messages`` (the bot's own sentences, extracted from Python)
and ``content`` (the charter and country files, extracted from ``content/``).
A message with no translation falls back to English; that is logged (the msgid,
never anything a user typed) and ``python -m bot i18n check`` fails on it.
"""

from __future__ import annotations

import gettext as _gettext
import logging
import re
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date
from babel.lists import format_list
from babel.numbers import format_currency, format_decimal

from bot import languages
from bot.settings import LOCALES_DIR

DOMAINS = ("messages", "content")
SOURCE_LANGUAGE = "en"

log = logging.getLogger(__name__)
_CODE_NEXT_TO_DIGIT = re.compile(r"(?<=[A-Z])(?=\d)|(?<=\d)(?=[A-Z])")


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, do not translate"
    """Mark a string for extraction where it is defined; translate it where it is shown."""
    return message


class Translator:
    """Everything language-specific that rendering needs, for one language."""

    def __init__(self, language: str, locales_dir: Path = LOCALES_DIR) -> None:
        self.language = language
        self.locale: Locale = languages.get(language).locale
        self._catalogs = {domain: _load_catalog(locales_dir, language, domain)
                          for domain in DOMAINS}
        self._reported: set[tuple[str, str]] = set()

    def lookup(self, message: str, domain: str = "messages") -> str | None:
        """The translation, or None where there is none (English is its own translation)."""
        if self.language == SOURCE_LANGUAGE or not message:
            return message
        catalog = self._catalogs[domain]
        if catalog is None or message not in _messages(catalog):
            return None
        return catalog.gettext(message)

    def gettext(self, message: str, domain: str = "messages") -> str:
        translated = self.lookup(message, domain)
        if translated is None:
            self._missing(domain, message)
            return message
        return translated

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        catalog = self._catalogs["messages"]
        if self.language != SOURCE_LANGUAGE:
            if catalog is not None and (singular, 0) in _messages(catalog):
                return catalog.ngettext(singular, plural, count)
            self._missing("messages", singular)
        return singular if count == 1 else plural

    def _missing(self, domain: str, message: str) -> None:
        if (domain, message) not in self._reported:
            self._reported.add((domain, message))
            log.warning("missing %s translation in %s: %.60r", domain, self.language, message)

    def format_number(self, value: float | Decimal) -> str:
        return format_decimal(value, locale=self.locale)

    def format_amount(self, value: Decimal, currency: str) -> str:
        """An amount in the locale's currency format, without decimals when it is whole."""
        if value == value.to_integral_value():
            pattern = self.locale.currency_formats["standard"].pattern
            whole = ";".join(part.replace(".00", "") for part in pattern.split(";"))
            text = format_currency(value, currency, format=whole, locale=self.locale,
                                   currency_digits=False)
        else:
            text = format_currency(value, currency, locale=self.locale, currency_digits=False)
        # CLDR's currency spacing, which Babel does not apply: a code such as "NPR" is
        # set apart from the digits ("NPR 10,000", not "NPR10,000"). A plain space, as
        # a no-break space would make an SMS cost twice as much (UCS-2).
        return _CODE_NEXT_TO_DIGIT.sub(" ", text)

    def format_list(self, items: list[str]) -> str:
        """"Ghana and Japan", "Ghana y Japón", "घाना र जापान"."""
        return format_list(items, locale=self.locale)

    def format_date(self, value: date) -> str:
        return format_date(value, format="medium", locale=self.locale)


def _messages(catalog: _gettext.GNUTranslations) -> dict:
    """The catalog's messages by id: what GNUTranslations keeps, undocumented but stable
    since Python 2, and the only way to tell "no translation" from "the same words"."""
    return catalog._catalog  # type: ignore[attr-defined]  # noqa: SLF001


def _load_catalog(locales_dir: Path, language: str, domain: str) -> _gettext.GNUTranslations | None:
    mo_file = locales_dir / language / "LC_MESSAGES" / f"{domain}.mo"
    if not mo_file.exists():
        if language != SOURCE_LANGUAGE:
            log.warning("no compiled %s catalog for %s (run `make catalogs`)", domain, language)
        return None
    with mo_file.open("rb") as handle:
        return _gettext.GNUTranslations(handle)


@cache
def translator(language: str) -> Translator:
    """The shared translator of a language (catalogs are read once per process)."""
    return Translator(language)
