"""The facts chosen for real questions, on the real content, in every language.

Each question is written for this test (not taken from the development sets). The
expected ids are the facts a caseworker would want said first, then the ones said
with them in the same first reply: a change of ranking or of content that moves
them shows up here by name.
"""

from __future__ import annotations

import pytest

from bot import dialogue
from bot.content.loader import load_content
from bot.render import PLAIN_TEXT


@pytest.fixture(scope="module")
def content():
    loaded, errors = load_content()
    assert errors == []
    return loaded


TABLE = [
    # (language, intent, countries already known, question, facts said first)
    ("en", "ask_domestic_worker_rights", {},
     "I work as a housemaid in Kuwait. How many hours a day can they make me work?",
     ["kw_domestic_workers_rights"]),
    ("tl", "ask_passport", {},
     "Nasa Saudi po ako bilang kasambahay, kinuha ng amo ko ang passport ko. Ano po ang "
     "gagawin ko?",
     ["ph_sa_domestic_agreement_rights", "sa_hrsd_call_centre", "ph_dmw_owwa_hotline"]),
    ("ne", "ask_recruitment_fees", {"origin": "NP"},
     "म मलेसिया जाँदैछु, म्यानपावरले कति शुल्क लिन पाउँछ?",
     ["np_my_mou_employer_pays"]),
    ("id", "ask_wages", {"origin": "ID"},
     "Saya PRT di Hong Kong, berapa gaji minimum sekarang?",
     # Whom to call comes with the minimum: workers ask it when they are underpaid.
     ["hk_minimum_allowable_wage", "hk_fdh_hotline", "id_kp2mi_call_centre"]),
    ("bn", "ask_passport", {"origin": "BD"},
     "সৌদি আরবে আমার মালিক পাসপোর্ট রেখে দিয়েছে, কী করব?",
     ["sa_domestic_keep_passport", "sa_hrsd_call_centre", "bd_probash_bandhu_call_centre"]),
    ("am", "ask_passport", {"origin": "ET"},
     "ሊባኖስ ውስጥ ቀጣሪዬ ፓስፖርቴን ወሰደብኝ፣ ምን ላድርግ?",
     ["lb_passport_not_confiscated", "et_labour_attache"]),
    ("ar", "ask_passport", {},
     "أعمل في الإمارات، هل يحق لصاحب العمل أن يحتفظ بجواز سفري؟",
     ["ae_passport_not_kept", "ae_mohre_complaints"]),
    ("es", "ask_wages", {},
     "Trabajo en Qatar y no me pagan el salario desde hace dos meses. ¿A dónde llamo?",
     ["qa_wage_protection_system", "qa_labour_ministry_complaints"]),
    ("fr", "ask_domestic_worker_rights", {},
     "Je travaille à Singapour comme employée de maison, combien de jours de repos par "
     "semaine ?",
     ["sg_mdw_rest_day"]),
    ("hi", "ask_social_security", {},
     "मैं भारत से हूँ और ओमान में काम करता हूँ, अगर काम पर मेरी मौत हो जाए तो परिवार को "
     "कितना बीमा मिलेगा?",
     ["in_pbby_insurance", "in_pbby_premium"]),
    # Nepali, from a Nepali phone, asking about Qatar: the corridor's cap first, then
    # Qatar's own law on what a recruitment agency may take.
    ("ne", "ask_recruitment_fees", {"origin": "NP"},
     "म कतार जाँदैछु, म्यानपावर कम्पनीले मसँग कति पैसा लिन पाउँछ?",
     ["np_qa_free_visa_free_ticket", "qa_agency_takes_no_fees"]),
]


@pytest.mark.parametrize(("language", "intent", "known", "question", "expected"), TABLE,
                         ids=[f"{row[0]}-{index}" for index, row in enumerate(TABLE)])
def test_the_facts_said_first(content, language, intent, known, question, expected):
    turn = dialogue.Turn(intent=intent, text=question, capabilities=PLAIN_TEXT,
                         slots={"language": language, "language_chosen": True, **known})
    outcome = dialogue.run(dialogue.answer_topic, turn, content)
    assert outcome.slots["shown_facts"] == expected
    assert outcome.language == language
