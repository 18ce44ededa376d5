"""Catalogs, fallbacks and locale formatting."""

from __future__ import annotations

import logging
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from bot.catalogs import catalog_path, check, compile_catalog
from bot.i18n import LOCALES_DIR, Translator


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "NPR 10,000"), ("fr", "10\u202f000\u00a0NPR"), ("ne", "नेरू\u00a010,000"),
])
def test_whole_amounts_are_formatted_for_the_locale_without_decimals(language, expected):
    assert Translator(language).format_amount(Decimal("10000"), "NPR") == expected


def test_amounts_with_cents_keep_them():
    assert Translator("en").format_amount(Decimal("1700.5"), "MYR") == "MYR 1,700.50"


def test_dates_are_written_in_the_language():
    assert Translator("fr").format_date(date(2026, 3, 1)) == "1 mars 2026"
    assert Translator("es").format_date(date(2026, 3, 1)) == "1 mar 2026"


def test_every_catalog_is_complete():
    gaps = check()
    assert not gaps, "\n".join(map(str, gaps[:20]))


@pytest.fixture
def locales_copy(tmp_path: Path) -> Path:
    target = tmp_path / "locales"
    shutil.copytree(LOCALES_DIR, target, ignore=shutil.ignore_patterns("*.mo"))
    return target


def _blank_one_translation(locales: Path, language: str, babel_locale: str) -> str:
    path = catalog_path(language, "messages", locales)
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=babel_locale)
    message = next(m for m in catalog if m.id and "{" not in m.id)
    message.string = ""
    with path.open("wb") as handle:
        write_po(handle, catalog)
    return message.id


def test_a_missing_translation_is_reported_by_the_check(locales_copy: Path):
    msgid = _blank_one_translation(locales_copy, "am", "am")
    gaps = check(locales_copy)
    assert [(g.language, g.domain, g.kind, g.msgid) for g in gaps] == [
        ("am", "messages", "missing", msgid)]


def test_a_broken_placeholder_is_reported_by_the_check(locales_copy: Path):
    path = catalog_path("es", "messages", locales_copy)
    with path.open("rb") as handle:
        catalog = read_po(handle, locale="es")
    message = next(m for m in catalog if m.id and "{count}" in m.id)
    message.string = message.string.replace("{count}", "{cuenta}")
    with path.open("wb") as handle:
        write_po(handle, catalog)
    gaps = check(locales_copy)
    assert [(g.language, g.kind) for g in gaps] == [("es", "placeholders differ")]


def test_missing_translation_falls_back_to_english_and_is_logged(locales_copy: Path, caplog):
    msgid = _blank_one_translation(locales_copy, "bn", "bn")
    for domain in ("messages", "content"):
        compile_catalog(catalog_path("bn", domain, locales_copy))
    translator = Translator("bn", locales_copy)
    with caplog.at_level(logging.WARNING, logger="bot.i18n"):
        assert translator.gettext(msgid) == msgid
    assert "missing messages translation in bn" in caplog.text
    other = "Reply with a number."
    assert translator.gettext(other) != other
