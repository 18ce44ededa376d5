"""Building the gettext catalogs translators work in (Poedit, Weblate...).

``messages``: sentences marked with ``_()``/``N_()`` in ``bot/`` and ``actions/``.
``content``: titles and fact texts from ``content/``. ``console``: the review
console's interface (``bot/console/``: its Python and its Jinja2 templates), in the
console's languages only (:data:`bot.console.i18n.LANGUAGES`). Each domain is
extracted to ``locales/<domain>.pot``, merged into
``locales/<code>/LC_MESSAGES/<domain>.po``, and compiled to ``.mo`` by the Makefile.
``check`` lists every gap.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from bot import languages
from bot.console import i18n as console_i18n
from bot.content import load_content
from bot.content.model import Content
from bot.i18n import DOMAINS, SOURCE_LANGUAGE
from bot.settings import LOCALES_DIR, ROOT

PROJECT = "migrant-rights-bot"
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}
# "{name}" (str.format, in Python) and "%(name)s" (Jinja2's i18n extension, templates).
_PLACEHOLDER = re.compile(r"\{(\w*)\}|%\((\w+)\)s")
CONSOLE_DIR = ROOT / "bot" / "console"
# The console's Python and templates belong to its own domain, not to the bot's.
_BOT_METHODS = [("console/**", "ignore"), ("**.py", "python")]
_CONSOLE_METHODS = [("**.py", "python"), ("templates/**.html", "jinja2.ext:babel_extract")]
_CONSOLE_OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "true",
                                           "newstyle_gettext": "true"}}


def domain_languages() -> dict[str, tuple[str, ...]]:
    """Each domain and the languages it is translated into (English is the source)."""
    bot = tuple(code for code in languages.CODES if code != SOURCE_LANGUAGE)
    console = tuple(code for code in console_i18n.LANGUAGES if code != SOURCE_LANGUAGE)
    return {**{domain: bot for domain in DOMAINS}, console_i18n.DOMAIN: console}


def template_path(domain: str, locales_dir: Path = LOCALES_DIR) -> Path:
    return locales_dir / f"{domain}.pot"


def catalog_path(language: str, domain: str, locales_dir: Path = LOCALES_DIR) -> Path:
    return locales_dir / language / "LC_MESSAGES" / f"{domain}.po"


def _new_catalog(locale: str | None = None) -> Catalog:
    return Catalog(project=PROJECT, locale=locale, charset="utf-8",
                   msgid_bugs_address="", creation_date=datetime(2026, 1, 1),
                   fuzzy=False)


def extract() -> dict[str, Catalog]:
    """The templates: every translatable string with where it comes from."""
    messages = _new_catalog()
    for directory in ("bot", "actions"):
        for filename, lineno, message, comments, _context in extract_from_dir(
                ROOT / directory, method_map=_BOT_METHODS, keywords=KEYWORDS,
                comment_tags=("Translators:",), strip_comment_tags=True):
            messages.add(message, locations=[(f"{directory}/{filename}", lineno)],
                         auto_comments=comments)
    console = _new_catalog()
    for filename, lineno, message, comments, _context in extract_from_dir(
            CONSOLE_DIR, method_map=_CONSOLE_METHODS, options_map=_CONSOLE_OPTIONS,
            keywords=KEYWORDS, comment_tags=("Translators:",), strip_comment_tags=True):
        console.add(message, locations=[(f"bot/console/{filename}", lineno)],
                    auto_comments=comments)
    content = _new_catalog()
    loaded, _errors = load_content()
    for text, path, line, comment in _content_strings(loaded):
        location = (str(path.relative_to(ROOT)), line) if path else ("content", 0)
        content.add(text, locations=[location], auto_comments=[comment] if comment else [])
    return {"messages": messages, "content": content, console_i18n.DOMAIN: console}


def _content_strings(content: Content) -> Iterator[tuple[str, Path | None, int, str]]:
    for topic in content.topics.values():
        yield topic.title, topic.file, 1, "Topic title, shown in menus: keep it short."
        for fact in topic.facts:
            yield fact.text, fact.file, fact.line, ""
    for country in content.countries.values():
        for group in country.facts.values():
            for fact in group:
                yield fact.text, fact.file, fact.line, ""
        for procedure in country.procedures:
            yield procedure.title, procedure.file, procedure.line, \
                "Procedure title: what the steps are for. Keep it short."
            for step in procedure.steps:
                for part in (step.text, step.bring, step.cost, step.takes):
                    if part:
                        yield part, step.file, step.line, ""
    for corridor in content.corridors.values():
        for group in corridor.facts.values():
            for fact in group:
                yield fact.text, fact.file, fact.line, ""


def update(locales_dir: Path = LOCALES_DIR, domains: tuple[str, ...] | None = None
           ) -> list[Path]:
    """Write the templates and merge them into every language's catalogs (of
    ``domains``, by default all of them)."""
    written = []
    locales_dir.mkdir(exist_ok=True)
    targets = domain_languages()
    for domain, template in extract().items():
        if domains is not None and domain not in domains:
            continue
        with template_path(domain, locales_dir).open("wb") as handle:
            write_po(handle, template, width=100, sort_output=False, omit_header=False)
        written.append(template_path(domain, locales_dir))
        for language in map(languages.get, targets[domain]):
            path = catalog_path(language.code, domain, locales_dir)
            if path.exists():
                with path.open("rb") as handle:
                    catalog = read_po(handle, locale=language.babel_locale)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                catalog = _new_catalog(language.babel_locale)
            catalog.update(template, update_header_comment=False)
            catalog.language_team = f"{language.native_name} <{language.code}>"
            with path.open("wb") as handle:
                write_po(handle, catalog, width=100, ignore_obsolete=True)
            written.append(path)
    return written


def compile_catalog(po_file: Path) -> Path:
    language = languages.get(po_file.parent.parent.name)
    with po_file.open("rb") as handle:
        catalog = read_po(handle, locale=language.babel_locale)
    mo_file = po_file.with_suffix(".mo")
    with mo_file.open("wb") as handle:
        write_mo(handle, catalog, use_fuzzy=False)
    return mo_file


@dataclass(frozen=True)
class Gap:
    language: str
    domain: str
    kind: str  # "missing", "fuzzy", "placeholders", "outdated"
    msgid: str

    def __str__(self) -> str:
        return f"{self.language} {self.domain}: {self.kind}: {self.msgid[:70]!r}"


def check(locales_dir: Path = LOCALES_DIR) -> list[Gap]:
    """Every string a user could see in English instead of their language."""
    gaps: list[Gap] = []
    templates = extract()
    for domain, codes in domain_languages().items():
        template_ids = {message.id for message in templates[domain] if message.id}
        for language in map(languages.get, codes):
            gaps += _check_catalog(language, domain, template_ids, locales_dir)
    return gaps


def _check_catalog(language: languages.Language, domain: str, template_ids: set,
                   locales_dir: Path) -> list[Gap]:
    path = catalog_path(language.code, domain, locales_dir)
    if not path.exists():
        return [Gap(language.code, domain, "missing", f"(no catalog {path.name})")]
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language.babel_locale)
    gaps = []
    present = {message.id: message for message in catalog if message.id}
    for msgid in template_ids:
        message = present.get(msgid)
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        if message is None:
            gaps.append(Gap(language.code, domain, "outdated (run make catalogs-update)", key))
        elif not message.string or (isinstance(message.string, tuple)
                                    and not all(message.string)):
            gaps.append(Gap(language.code, domain, "missing", key))
        elif message.fuzzy:
            gaps.append(Gap(language.code, domain, "fuzzy", key))
        else:
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            expected = set(_PLACEHOLDER.findall(str(key)))
            if any(set(_PLACEHOLDER.findall(str(string))) != expected for string in strings):
                gaps.append(Gap(language.code, domain, "placeholders differ", key))
    return gaps
