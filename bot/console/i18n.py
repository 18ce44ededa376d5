"""The console's own interface in several languages: the ``console`` gettext domain.

:data:`LANGUAGES` is the one list of the console's languages (a subset of the bot's):
``python -m bot i18n update`` writes ``locales/<code>/LC_MESSAGES/console.po`` for
each, ``make catalogs`` compiles them, and ``python -m bot i18n check`` fails on any
gap. Strings are extracted from ``bot/console/**.py`` (``_``, ``N_``, ``gettext``,
``ngettext``) and from the templates (Jinja2's i18n extension, ``{% trans %}`` and
``_()``). Placeholders: ``{name}`` in Python, ``%(name)s`` in templates.

Which language a page is in: the language chosen in the page's selector (a cookie,
``__Host-console-lang``, kept a year: it says nothing but a language code), else the
first of the browser's ``Accept-Language`` that the console speaks, else English.
"""

from __future__ import annotations

import gettext as _gettext
import logging
from datetime import date as Date
from datetime import datetime, timezone
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

from bot import indicators, languages
from bot.content import ContentStore
from bot.content.loader import content_dir
from bot.i18n import N_, SOURCE_LANGUAGE, translator
from bot.settings import LOCALES_DIR

DOMAIN = "console"
# The console's languages, in the order of its language selector.
LANGUAGES: tuple[str, ...] = ("en", "ar", "fr", "es", "ne", "tl")
DEFAULT = SOURCE_LANGUAGE
COOKIE = "__Host-console-lang"
COOKIE_MAX_AGE = 365 * 24 * 3600

log = logging.getLogger(__name__)

# Codes the console shows, with their labels (the code itself is what is stored).
# Translators: a report's status in the caseworker's queue.
STATUS_LABELS = {"new": N_("new"), "acknowledged": N_("acknowledged"),
                 "referred": N_("referred"), "closed": N_("closed")}
# Translators: what a report is about, as the reporter chose it.
CATEGORY_LABELS = {
    "withheld_wages": N_("withheld wages"), "passport_kept": N_("passport kept"),
    "confinement": N_("confinement"), "violence_or_threats": N_("violence or threats"),
    "sexual_abuse": N_("sexual abuse"), "debt_or_illegal_fees": N_("debt or illegal fees"),
    "contract_substitution": N_("contract substitution"),
    "excessive_hours": N_("excessive hours"), "other": N_("other")}
# Translators: a severity flag that puts a report first in the queue.
FLAG_LABELS = {"document_retention": N_("document retention"),
               "confinement": N_("confinement"), "violence": N_("violence"),
               "sexual_abuse": N_("sexual abuse"), "minor": N_("minor")}
# Translators: a console user's role.
ROLE_LABELS = {"admin": N_("administrator"), "caseworker": N_("caseworker"),
               "consular": N_("consular reviewer")}


# Translators: how a worker reached the bot, on the dashboard.
CHANNEL_LABELS = {"telegram": N_("Telegram"), "sms": N_("SMS"), "web": N_("web chat"),
                  "rest": N_("other apps (REST)"), "terminal": N_("terminal (testing)"),
                  "other": N_("other")}


@cache
def topic_titles() -> dict[str, str]:
    """Each charter topic's title in English, from the content files."""
    topics = ContentStore(content_dir()).current().topics
    return {topic.id: topic.title for topic in topics.values()}


def negotiate(chosen: str | None, accept_language: str | None) -> str:
    """The page's language: the one chosen in the selector, else the browser's first
    preference the console speaks (``fil-PH`` is Tagalog), else English."""
    if chosen in LANGUAGES:
        return chosen
    preferences = []
    for position, part in enumerate((accept_language or "")[:500].split(",")):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        code = languages.normalise(tag.strip())
        if code in LANGUAGES and quality > 0:
            preferences.append((-quality, position, code))
    return min(preferences)[2] if preferences else DEFAULT


@cache
def translations(language: str, locales_dir: Path = LOCALES_DIR) -> _gettext.NullTranslations:
    """The compiled ``console`` catalog of a console language (English: none needed)."""
    mo_file = locales_dir / language / "LC_MESSAGES" / f"{DOMAIN}.mo"
    if language == SOURCE_LANGUAGE or language not in LANGUAGES:
        return _gettext.NullTranslations()
    if not mo_file.exists():
        log.warning("no compiled console catalog for %s (run `make catalogs`)", language)
        return _gettext.NullTranslations()
    with mo_file.open("rb") as handle:
        return _gettext.GNUTranslations(handle)


class Texts:
    """The console's words and formats in one language, for Python code and templates."""

    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else DEFAULT
        self.translations = translations(self.language)
        self.locale: Locale = languages.get(self.language).locale
        self.rtl = languages.get(self.language).rtl

    def gettext(self, message: str, **values: object) -> str:
        text = self.translations.gettext(message)
        return text.format(**values) if values else text

    def ngettext(self, singular: str, plural: str, count: int, **values: object) -> str:
        text = self.translations.ngettext(singular, plural, count)
        return text.format(count=count, **values)

    def label(self, labels: dict[str, str], code: str) -> str:
        """A code's label in this language; an unknown code is shown as it is."""
        return self.translations.gettext(labels[code]) if code in labels else code

    def language_name(self, code: str) -> str:
        """A language's name in this one, then in itself: "Arabic (العربية)"."""
        try:
            language = languages.get(code)
        except KeyError:
            return code or self.gettext("unknown")
        name = language.locale.get_display_name(self.locale) or code
        name = name[:1].upper() + name[1:]
        return name if name == language.native_name else f"{name} ({language.native_name})"

    def country_name(self, code: str) -> str:
        """A country's CLDR name in this language ("QA": "Qatar", "قطر"); "unknown"."""
        if code == indicators.UNKNOWN:
            return self.gettext("unknown")
        return self.locale.territories.get(code, code)

    def corridor(self, value: str) -> str:
        """A counted corridor ("NP-QA") as "Nepal → Qatar", the arrow pointing the way
        the page reads."""
        origin, _sep, destination = value.partition("-")
        arrow = " ← " if self.rtl else " → "
        return self.country_name(origin) + arrow + self.country_name(destination)

    def topic(self, topic_id: str) -> str:
        """A charter topic's title, as the bot's content catalogs translate it."""
        title = topic_titles().get(topic_id)
        if title is None:
            return self.gettext("other") if topic_id == "other" else topic_id
        return translator(self.language).lookup(title, "content") or title

    def channel(self, code: str) -> str:
        return self.label(CHANNEL_LABELS, code)

    def number(self, value: float) -> str:
        return format_decimal(value, locale=self.locale)

    def date(self, value: Date) -> str:
        return format_date(value, format="medium", locale=self.locale)

    def when(self, at: int) -> str:
        """A moment (unix seconds), in UTC, as the language writes it."""
        moment = datetime.fromtimestamp(at, tz=timezone.utc)
        return format_datetime(moment, format="medium", tzinfo=timezone.utc,
                               locale=self.locale) + " UTC"


@cache
def texts(language: str) -> Texts:
    return Texts(language)


def choices() -> list[tuple[str, str]]:
    """(code, name in itself) for the language selector."""
    return [(code, languages.get(code).native_name) for code in LANGUAGES]
