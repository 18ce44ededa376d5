"""SMS through a real Kannel: fakesmsc -> bearerbox -> smsbox -> the bot -> back to the phone.

Kannel's own logs (kannel.conf's log-file and access-log) are in the test's
temporary directory; they are Kannel's, outside what the bot controls.
"""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from pathlib import Path

import pytest

from bot.channels.sms.keywords import KEYWORDS
from bot.dialogue import MORE_WORD
from bot.i18n import translator
from tests.support import kannel

pytestmark = pytest.mark.model

SECRET = uuid.uuid4().hex
CREDENTIALS = ("bot.channels.rest.RestChannel:\n"
               "bot.channels.sms.SmsChannel:\n  default_region: NP\n")
PHONE = "+9779812345678"  # raw, E.164
PHONE_FORMS = ("+9779812345678", "9779812345678", "9812345678", "981-2345678", "09812345678")
NE_FEE_QUESTION = "म्यानपावर कम्पनीले मसँग कति रकम लिन पाउँछ?"
NE_QATAR_FEE_QUESTION = "म कतार जाँदैछु, म्यानपावर कम्पनीले मसँग कति पैसा लिन पाउँछ?"
NE = translator("ne")
NE_HINT = NE.gettext("Reply MORE for the rest.")
INTRODUCTION = ("Hello! I give free and confidential information about the rights of "
                "migrant workers.")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("sms-kannel")


@pytest.fixture(scope="module")
def gateway(workdir):
    with kannel.bot_behind_kannel(workdir, CREDENTIALS, SECRET) as running:
        yield running


def menu_number(text: str, label: str) -> str:
    return next(line.split(".")[0] for line in text.splitlines() if label in line)


def test_a_conversation_in_nepali_through_kannel(gateway):
    reply = gateway.send(PHONE, "hello")
    assert "नेपाली" in reply.text and "English" in reply.text  # the numbered language menu
    assert 1 <= reply.count <= 3

    reply = gateway.send(PHONE, menu_number(reply.text, "नेपाली"))  # a number picks a choice
    # The introduction waits for the language on SMS: ten scripts fill three segments.
    assert reply.text.startswith(NE.gettext(INTRODUCTION))
    assert NE.gettext(
        "I will write in {language}. Ask me a question, or say \"help\" to see all "
        "topics.").format(language="नेपाली") in reply.text

    reply = gateway.send(PHONE, "HELP")
    assert reply.text.startswith(NE.gettext("I can tell you about these topics:"))
    assert reply.count <= 3


def _fact_in_nepali(fact_id: str) -> str:
    """A fact's Nepali text up to its first value: what the page must begin with."""
    from bot.content.loader import load_content

    content, _errors = load_content()
    fact = next(fact for fact in content.all_facts() if fact.id == fact_id)
    return NE.gettext(fact.text, domain="content").split("{")[0]


def test_the_nepal_qatar_fee_rule_with_its_number_comes_on_the_first_page(gateway):
    # The phone number says Nepal, the message names Qatar: the corridor's rule, with
    # its number, is the first thing the worker pays for.
    phone = "+9779812345679"
    gateway.send(phone, menu_number(gateway.send(phone, "hello").text, "नेपाली"))
    first = gateway.send(phone, NE_QATAR_FEE_QUESTION)
    assert first.count <= 3
    assert first.text.startswith(_fact_in_nepali("np_qa_free_visa_free_ticket"))
    assert NE.format_amount(Decimal(10000), "NPR") in first.text
    assert "https://" not in first.text
    # "थप" (MORE) brings whatever did not fit, a page at a time; "स्रोत" the links.
    pages = [first]
    while pages[-1].text.endswith(NE_HINT) or NE.gettext(MORE_WORD) in pages[-1].text:
        assert len(pages) < 6
        pages.append(gateway.send(phone, KEYWORDS["ne"]["more"][0]))
        if pages[-1].text.startswith(NE.gettext("That is all I have on this. Ask me another "
                                                "question, or say \"help\" to see all "
                                                "topics.")):
            break
    assert all(page.count <= 3 for page in pages)
    sources = gateway.send(phone, KEYWORDS["ne"]["sources"][0])
    assert sources.text.startswith(NE.gettext("Sources:")) and "https://" in sources.text
    # Once everything was sent, STOP still works.
    reply = gateway.send(phone, "STOP")
    assert reply.text == NE.gettext("OK. Ask me a question, or say \"help\" to see all topics.")


def test_start_greets_again_in_any_language(gateway):
    phone = "+9779812345670"
    gateway.send(phone, "hello")
    reply = gateway.send(phone, "शुरू")  # START in Hindi
    assert reply.text.startswith("Choose your language:") and "हिन्दी" in reply.text
    reply = gateway.send(phone, menu_number(reply.text, "हिन्दी"))
    assert reply.text.startswith(translator("hi").gettext(INTRODUCTION))


def test_an_invalid_number_gets_no_reply_and_the_next_sms_works(gateway):
    reply = gateway.send("12", "hello", timeout=15)
    assert reply.text == "Could not fetch content, sorry."  # Kannel's words for our 400
    assert "नेपाली" in gateway.send("+9779812345671", "hello").text


def test_kannel_traffic_leaves_no_number_or_text_behind(gateway, workdir):
    gateway.send(PHONE, "my neighbour Zorblax took my passport")
    stored = b"".join(path.read_bytes() for path in workdir.iterdir()
                      if path.is_file() and re.search(r"\.(db|log)$", path.name))
    assert stored, "no database or log found"
    for secret in (*PHONE_FORMS, NE_FEE_QUESTION, "Zorblax"):
        assert secret.encode("utf-8") not in stored, secret
