"""Country-specific answers through the running bot, and content edits while it runs."""

from __future__ import annotations

import os
import re
import shutil
import time
import uuid
from decimal import Decimal
from pathlib import Path

import pytest

from bot.content import load_content
from bot.content.loader import CONTENT_DIR
from bot.countries import country_name
from bot.i18n import translator
from bot.servers import MODEL, post_message, running_bot

pytestmark = pytest.mark.model

# "I am Nepali, I work in Qatar: how much can the agency charge me?", written for this test.
CORRIDOR_QUESTIONS = {
    "en": "I am Nepali and I work in Qatar. How much can the recruitment agency charge me?",
    "tl": "Nepali ako at nagtatrabaho sa Qatar, magkano ang puwedeng singilin ng ahensya sa akin?",
    "ne": "म नेपाली हुँ, कतारमा काम गर्छु। म्यानपावरले मसँग कति पैसा लिन पाउँछ?",
    "id": "Saya orang Nepal, kerja di Qatar. Berapa biaya yang boleh diminta agen dari saya?",
    "bn": "আমি নেপালি, কাতারে কাজ করি। এজেন্সি আমার কাছ থেকে কত টাকা নিতে পারে?",
    "am": "እኔ ኔፓላዊ ነኝ፣ ኳታር ውስጥ እሰራለሁ። ኤጀንሲው ከእኔ ምን ያህል ክፍያ ሊወስድ ይችላል?",
    "ar": "أنا نيبالي وأعمل في قطر، كم يحق لمكتب التوظيف أن يأخذ مني؟",
    "es": "Soy nepalí y trabajo en Catar, ¿cuánto me puede cobrar la agencia?",
    "fr": "Je suis népalais et je travaille au Qatar, combien l'agence peut-elle me faire payer ?",
    "hi": "मैं नेपाली हूँ और क़तर में काम करता हूँ, एजेंसी मुझसे कितनी फीस ले सकती है?",
}


@pytest.fixture(scope="module")
def content_copy(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("content") / "content"
    shutil.copytree(CONTENT_DIR, target)
    return target


@pytest.fixture(scope="module")
def bot_url(tmp_path_factory, content_copy):
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` (make test does it)")
    workdir = tmp_path_factory.mktemp("bot")
    with running_bot(workdir, extra_env={"BOT_CONTENT_DIR": str(content_copy)}) as url:
        yield url, workdir


def _text(url: str, sender: str, message: str) -> str:
    return "\n".join(reply.get("text", "") for reply in post_message(url, sender, message))


@pytest.mark.parametrize("language", sorted(CORRIDOR_QUESTIONS))
def test_corridor_question_gets_the_corridor_fee_rule_in_its_language(bot_url, language):
    url, _workdir = bot_url
    content, _errors = load_content()
    fact = content.corridors[("NP", "QA")].facts["recruitment_fees"][0]
    t = translator(language)
    expected = t.gettext(fact.text, domain="content").format(
        destination=country_name("QA", language),
        max_fee=t.format_amount(Decimal(10000), "NPR"))
    text = _text(url, f"corridor-{language}-{uuid.uuid4().hex[:6]}", CORRIDOR_QUESTIONS[language])
    assert text.startswith(expected)  # the corridor's rule, first
    assert fact.source.short_title in text


def test_broken_edit_is_reported_with_file_and_line_and_last_good_content_served(
        bot_url, content_copy):
    url, workdir = bot_url
    question = "who keeps my passport, can my employer hold it?"
    before = _text(url, f"edit-{uuid.uuid4().hex[:6]}", question)
    path = content_copy / "charter" / "passport.yml"
    original = path.read_text(encoding="utf-8")
    path.write_text(original.replace("facts:", "facts: [", 1), encoding="utf-8")
    stamp = time.time() + 5
    os.utime(path, (stamp, stamp))
    time.sleep(2.5)  # the store looks for edits every 2 seconds
    after = _text(url, f"edit-{uuid.uuid4().hex[:6]}", question)
    assert after == before
    log = (workdir / "actions.log").read_text(encoding="utf-8")
    assert "content not reloaded:" in log and "charter/passport.yml:" in log
    path.write_text(re.sub(r"your(\s+)passport", r"your\1PASSPORT", original),
                    encoding="utf-8")
    stamp += 5
    os.utime(path, (stamp, stamp))
    time.sleep(2.5)
    fixed = _text(url, f"edit-{uuid.uuid4().hex[:6]}", question)
    assert "your PASSPORT" in fixed


def test_a_worker_from_a_country_without_a_file_hears_nothing_verified_and_only_own_numbers(
        bot_url):
    url, _workdir = bot_url
    content, _errors = load_content()
    assert "GH" not in content.countries
    replies = post_message(url, f"ghana-{uuid.uuid4().hex[:6]}",
                           "I am from Ghana and I work in Kuwait. My salary was not paid, "
                           "who can I call?")
    texts = [reply.get("text", "") for reply in replies]
    assert texts[0] == "I have nothing verified for Ghana."
    kuwait = {value for fact in content.country_facts("KW") for value in fact.values.values()
              if isinstance(value, str)}
    others = {value for code in content.countries if code != "KW"
              for fact in content.country_facts(code) if fact.kind == "contact"
              for value in fact.values.values() if isinstance(value, str)} - kuwait
    said = "\n".join(texts)
    assert len([value for value in kuwait if value in said]) >= 1  # whom to call, in Kuwait
    assert sorted(value for value in others if value in said) == []
    assert texts[-3:] == ["Your country's embassy or consulate can help too.",
                          "Reply SOURCES for the sources.",
                          "To report this anonymously, write REPORT."]
