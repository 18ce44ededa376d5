"""The SMS keywords: STOP, HELP, START, MORE and SOURCES in every language, whole messages only."""

from __future__ import annotations

import pytest

from bot import languages
from bot.channels.sms.keywords import KEYWORDS, PAYLOADS, match


def test_every_language_has_every_keyword():
    assert set(KEYWORDS) == {language.code for language in languages.LANGUAGES}
    for table in KEYWORDS.values():
        assert set(table) == {"stop", "help", "start", "more", "sources"} and all(table.values())


def test_every_word_is_its_own_keyword_and_no_other():
    for table in KEYWORDS.values():
        for keyword, words in table.items():
            assert {match(word) for word in words} == {keyword}, words


@pytest.mark.parametrize(("text", "keyword"), [
    ("STOP", "stop"), ("  stop. ", "stop"), ("Stop!", "stop"), ("AYUDA", "help"),
    ("मदद", "help"), ("थप", "more"), ("Más", "more"), ("MAS", "more"), ("ابدأ", "start"),
    ("ተጨማሪ", "more"), ("থামুন", "stop"), ("suite", "more"),
    ("SOURCES", "sources"), ("Source.", "sources"), ("स्रोत", "sources"), ("srot", "sources"),
    ("উৎস", "sources"), ("PINAGMULAN", "sources"), ("Sumber", "sources"), ("ምንጭ", "sources"),
    ("مصدر", "sources"), ("المصادر", "sources"), ("FUENTES", "sources"), ("fuente!", "sources"),
])
def test_keywords_are_recognised_in_any_language(text, keyword):
    assert match(text) == keyword


@pytest.mark.parametrize("text", [
    "please help me", "stop my agency from taking my passport", "more money", "",
    "1", "help?me", "STOP STOP", "sources of the law", "what is the source",
])
def test_sentences_containing_keywords_are_not_keywords(text):
    assert match(text) is None


def test_keywords_send_intent_payloads_and_choices():
    assert PAYLOADS == {
        "stop": "/stop", "help": "/help", "start": "/greet",
        "more": '/choose_option{"choice":"more:answer"}',
        "sources": '/choose_option{"choice":"sources:answer"}',
    }
