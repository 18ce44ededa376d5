"""Issue 11, "Done when", through the real trained model and action server:

- one conversation per origin with a country file, in that origin's language, asking
  what a recruiter may charge for a destination it has a corridor file with, gets the
  corridor's fee rule (the origin's own where no rule depends on both countries:
  Kenya-Saudi Arabia and Cambodia-Thailand);
- "how do I complain about unpaid wages in Qatar?" in three languages gets Qatar's
  complaint procedure, its steps in order, over REST and over SMS (the generic JSON
  gateway, which needs no Kannel), one step per SMS page, MORE bringing the next.

Expected texts are computed from the loaded content and the catalogs
(``tests/support/said.py``). Every user message here was written for this module.
"""

from __future__ import annotations

import uuid

import pytest

from bot.dialogue import MORE_WORD
from bot.i18n import translator
from bot.servers import MODEL, post_message, running_bot
from tests.support.said import (
    corridor_fee_rules,
    fact_said,
    generic_sms,
    is_translated,
    step_said,
)

pytestmark = pytest.mark.model

GENERIC_SECRET = uuid.uuid4().hex
CREDENTIALS = ("bot.channels.rest.RestChannel:\n"
               "bot.channels.sms.SmsChannel:\n"
               "  default_region: NP\n")

# origin -> (language, destination, "what may the agency charge me?"). Origins whose own
# languages the bot does not speak ask in English, the closest language it does speak
# for them: Sri Lanka (Sinhala, Tamil), Kenya (Swahili; English is also official),
# Uganda (Luganda, Swahili; English is official), Myanmar (Burmese), Cambodia (Khmer),
# Pakistan (Urdu; English is official, and Urdu is not written in Hindi's script).
FEE_CONVERSATIONS = {
    "PH": ("tl", "HK", "Magkano po ang placement fee na puwedeng singilin sa akin ng ahensya "
                       "kung sa Hong Kong ako magtatrabaho?"),
    "NP": ("ne", "KW", "म कुवेत काम गर्न जाँदैछु। मेनपावर एजेन्सीले मबाट बढीमा कति शुल्क लिन "
                       "मिल्छ?"),
    "ID": ("id", "HK", "Saya akan berangkat kerja ke Hong Kong. Berapa biaya penempatan yang "
                       "boleh ditarik agen dari saya?"),
    "BD": ("bn", "SA", "আমি সৌদি আরবে কাজ করতে যাচ্ছি। রিক্রুটিং এজেন্সি আমার কাছ থেকে কত "
                       "টাকা নিতে পারবে?"),
    "IN": ("hi", "SA", "मैं भारत से हूँ और सऊदी अरब में नौकरी करने जा रहा हूँ। एजेंट मुझसे "
                       "कितने पैसे ले सकता है?"),
    "ET": ("am", "SA", "ኢትዮጵያዊ ነኝ፣ ወደ ሳዑዲ አረቢያ ለስራ እሄዳለሁ። ኤጀንሲው ምን ያህል ክፍያ "
                       "ሊጠይቀኝ ይችላል?"),
    "LK": ("en", "SA", "I'm Sri Lankan and going to Saudi Arabia as a housemaid. What fee is "
                       "the agency allowed to charge me?"),
    "KE": ("en", "SA", "I am from Kenya and I got a job in Saudi Arabia. How much is the "
                       "agent allowed to charge me?"),
    "UG": ("en", "SA", "I'm a Ugandan going to work in Saudi Arabia, how much can the "
                       "recruitment company ask me to pay?"),
    "MM": ("en", "TH", "I am from Myanmar and I will work in Thailand. How much can the "
                       "recruitment agency make me pay?"),
    "KH": ("en", "TH", "I am Cambodian and I want to work in Thailand. What fees can the "
                       "agency take from me?"),
    "PK": ("en", "SA", "I am from Pakistan and going to Saudi Arabia for work. How much can "
                       "the promoter charge me?"),
}

# "How do I complain about unpaid wages in Qatar?", and the phone each SMS comes from.
COMPLAINT_QUESTIONS = {
    "en": "I have not been paid for two months in Qatar. How can I file a complaint?",
    "ne": "कतारमा मालिकले तलब दिएन भने उजुरी कसरी गर्ने?",
    "tl": "Paano ako magsasampa ng reklamo sa Qatar dahil hindi ako pinasahod?",
}
PHONE_PREFIXES = {"en": "+2547123", "ne": "+97798123", "tl": "+6391712"}  # KE, NP, PH mobiles


@pytest.fixture(scope="module")
def bot_url(tmp_path_factory):
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` (make test does it)")
    workdir = tmp_path_factory.mktemp("corridor")
    with running_bot(workdir, credentials=CREDENTIALS,
                     extra_env={"BOT_SMS_GENERIC_SECRET": GENERIC_SECRET}) as url:
        yield url


def _texts(url: str, sender: str, message: str) -> list[str]:
    return [reply.get("text", "") for reply in post_message(url, sender, message)]


def test_every_origin_with_a_country_file_has_a_conversation(content):
    assert sorted(FEE_CONVERSATIONS) == sorted(
        country.code for country in content.countries_with_role("origin"))


@pytest.mark.parametrize("origin", sorted(FEE_CONVERSATIONS))
def test_a_fee_question_from_each_origin_gets_its_corridor_fee_rule_in_its_language(
        bot_url, content, origin):
    language, destination, question = FEE_CONVERSATIONS[origin]
    assert (origin, destination) in content.corridors, (
        f"no corridor file content/corridors/{origin}-{destination}.yml")
    rules = corridor_fee_rules(content, origin, destination)
    assert [fact.id for fact in rules] != [], (
        f"no fee rule for {origin}-{destination}, in its corridor file or the origin's")
    rule = rules[0]
    assert is_translated(rule.text, language), f"{rule.id} has no {language} translation"
    replies = _texts(bot_url, f"fees-{origin}-{uuid.uuid4().hex[:8]}", question)
    # The corridor's rule comes first, in the worker's language, with its source.
    assert replies[0].split("\n")[0] == fact_said(rule, language), (rule.id, replies)


def _complaint_procedure(content):
    [procedure] = [procedure for procedure in content.countries["QA"].procedures
                   if procedure.purpose == "complaint"]
    assert len(procedure.steps) >= 2
    return procedure


@pytest.mark.parametrize("language", sorted(COMPLAINT_QUESTIONS))
def test_how_do_i_complain_about_unpaid_wages_in_qatar_gets_the_steps_in_order(
        bot_url, content, language):
    procedure = _complaint_procedure(content)
    assert is_translated(procedure.title, language)
    more = translator(language).gettext(MORE_WORD)
    sender = f"complain-{language}-{uuid.uuid4().hex[:8]}"
    firsts = [_texts(bot_url, sender, COMPLAINT_QUESTIONS[language])[0]]
    firsts += [_texts(bot_url, sender, more)[0] for _step in procedure.steps[1:]]
    assert firsts == [step_said(procedure, index, language, sms=False)
                      for index in range(len(procedure.steps))]


@pytest.mark.parametrize("language", sorted(COMPLAINT_QUESTIONS))
def test_on_sms_the_complaint_steps_come_one_per_page_and_more_brings_the_next(
        bot_url, content, language):
    procedure = _complaint_procedure(content)
    steps = [step_said(procedure, index, language, sms=True)
             for index in range(len(procedure.steps))]
    more = translator(language).gettext(MORE_WORD).upper()
    phone = f"{PHONE_PREFIXES[language]}{uuid.uuid4().int % 10**5:05d}"
    turns = [generic_sms(bot_url, GENERIC_SECRET, phone, COMPLAINT_QUESTIONS[language])]
    turns += [generic_sms(bot_url, GENERIC_SECRET, phone, more) for _step in steps[1:]]
    assert [len(pages) for pages in turns] == [1] * len(steps)  # one page per turn
    pages = [page for [page] in turns]
    for index, (page, step) in enumerate(zip(pages, steps, strict=True)):
        assert page.startswith(step + "\n"), (index, page)
        others = [procedure.steps[other].id for other in range(len(steps)) if other != index
                  and steps[other].split("\n")[-1] in page]
        assert others == [], (index, page)  # one step per page
    # Every page but the last says how to get the next step; the last does not.
    hint = translator(language).gettext(
        "Reply {more} for the next step, or {sources} for the sources.").split("{more}")[0]
    assert [hint + more in page for page in pages] == [True] * (len(steps) - 1) + [False]
