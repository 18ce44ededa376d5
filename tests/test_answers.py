"""bot.answers: which facts answer a question, and in which order (a small fixed content)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import answers
from bot.content.loader import load_content

CONTENT_DIR = Path(__file__).parent / "support" / "answer_content"


@pytest.fixture(scope="module")
def content():
    loaded, errors = load_content(CONTENT_DIR)
    assert errors == []
    return loaded


@pytest.mark.parametrize(("text", "language", "expected"), [
    ("what is the minimum wage here", "en", ["minimum_wage"]),
    ("MINIMUM SALARY??", "en", ["minimum_wage"]),
    ("cual es el salario mínimo", "es", ["minimum_wage"]),
    # English words count in every language: workers mix them in.
    ("qatar ma minimum wage kati ho", "ne", ["minimum_wage"]),
    ("म कतार जाँदैछु, कति पैसा लिन पाउँछ?", "ne", ["fee_cap"]),
    # The question comes last: "where do I call" is what is asked, after the story.
    ("my salary was not paid for 3 months. where do i call?", "en",
     ["hotline", "unpaid_wages"]),
    # What a sentence that asks names comes first; the story's, in its order, after.
    ("they took a placement fee. what is the minimum wage?", "en",
     ["minimum_wage", "fee_cap"]),
    ("my salary was not paid and they took a placement fee. i want to complain", "en",
     ["unpaid_wages", "fee_cap"]),
    ("minimumwage", "en", []),  # whole words only
    # Every language's words count: the identifier may take a message for another
    # language than the one its words come from.
    ("the salario minimo", "en", ["minimum_wage"]),
    ("कति पैसा लिन सक्छ", "hi", ["fee_cap"]),
])
def test_asked_finds_the_sub_questions_last_asked_first(content, text, language, expected):
    assert answers.asked(text, language, content) == expected


def _ids(candidates) -> list[str]:
    return [candidate.fact.id for candidate in candidates]


def test_corridor_then_origin_then_destination_for_what_the_origin_decides(content):
    # fee_cap is "first: origin": the origin's cap comes before the destination's ban,
    # and the standard, which adds nothing to them, is dropped.
    chosen = answers.choose(content, topic="recruitment_fees", questions=["fee_cap"],
                            text="how much can the agency charge", translated={},
                            origin="NP", destination="QA")
    assert _ids(chosen) == ["np_qa_fee_cap", "np_fee_cap", "qa_no_fees"]
    assert [c.scope for c in chosen] == ["corridor", "origin", "destination"]
    assert answers.preferred_role(content, ["fee_cap"]) == "origin"
    assert answers.preferred_role(content, ["minimum_wage"]) is None


def test_without_specific_facts_the_standard_answers(content):
    chosen = answers.choose(content, topic="recruitment_fees", questions=["fee_cap"],
                            text="how much can the agency charge", translated={},
                            origin="KW", destination=None)
    assert _ids(chosen) == ["std_employer_pays"]


def test_a_sub_question_picks_its_facts_out_of_the_topic(content):
    chosen = answers.choose(content, topic="wages", questions=["minimum_wage"],
                            text="minimum wage?", translated={}, origin=None,
                            destination="QA")
    assert _ids(chosen) == ["qa_minimum_wage"]


def test_a_sub_question_reaches_facts_filed_under_another_topic(content):
    # The hours of domestic workers live under domestic_workers; the intent said wages.
    chosen = answers.choose(content, topic="wages", questions=["working_hours"],
                            text="how many hours can they make me work", translated={},
                            origin=None, destination="QA")
    assert _ids(chosen) == ["qa_domestic_hours"]


def test_without_a_sub_question_the_rule_with_a_number_comes_first(content):
    chosen = answers.choose(content, topic="wages", questions=[], text="tell me about salaries",
                            translated={}, origin=None, destination="QA")
    assert _ids(chosen) == ["qa_minimum_wage", "qa_wage_protection"]


def test_words_shared_with_the_question_rank_within_a_scope(content):
    chosen = answers.choose(content, topic="wages", questions=[],
                            text="must they pay into a bank account?", translated={},
                            origin=None, destination="QA")
    assert _ids(chosen) == ["qa_wage_protection", "qa_minimum_wage"]


def test_the_translation_counts_for_the_word_overlap(content):
    chosen = answers.choose(content, topic="wages", questions=[],
                            text="बैंक खातामा तलब?", translated={"qa_wage_protection":
                                                              "कतारमा तलब बैंक खातामा दिनुपर्छ।"},
                            origin=None, destination="QA")
    assert _ids(chosen)[0] == "qa_wage_protection"


def test_a_question_with_no_topic_takes_its_sub_questions_home_topic(content):
    chosen = answers.choose(content, topic=None, questions=["minimum_wage"],
                            text="minimum wage", translated={}, origin=None, destination="KW")
    assert _ids(chosen) == ["std_minimum_wage_cover"]


def test_contacts_come_from_the_workers_own_countries_destination_first(content):
    assert [fact.id for fact in answers.contacts(content, "NP", "QA", ["unpaid_wages"],
                                                 "not paid")] == ["qa_ministry_line",
                                                                  "np_hotline"]
    # No contact is ever borrowed from another country.
    assert answers.contacts(content, None, "KW", ["hotline"], "where do i call") == []


def test_a_question_naming_the_origin_gets_the_origins_facts_first(content):
    # "where do I call in Nepal?": the origin's helpline before the destination's.
    chosen = answers.choose(content, topic="redress", questions=["hotline"],
                            text="where do i call in nepal?", translated={}, origin="NP",
                            destination="QA", origin_first=True)
    assert _ids(chosen) == ["np_hotline", "qa_ministry_line"]
    assert answers.question_sentences("I am in Qatar. Where do I call in Nepal? ok") == [
        " where do i call in nepal?"]
