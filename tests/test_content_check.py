"""``content check`` and ``content stats`` on small content directories: exact findings."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.content import load_content
from bot.content.check import (
    Finding,
    Status,
    charter_overridden,
    check_content,
    country_table,
    number_in_sentence,
    status,
    uncovered,
)
from tests.support.content_files import small_content

TODAY = date(2026, 12, 2)

QATAR = """\
country: QA
roles: [destination]
currency: QAR
topics:
  wages:
    - id: qa_wages_monthly
      text: Under Law No. 14 of 2004, Article 66, wages are paid within 7 days.
      answers: [unpaid_wages]
      source: {title: Qatar Labour Law, url: "https://example.org/qa"}
      drafted: 2026-12-01
      verified: {date: 2026-12-01, by: caseworker}
    - id: qa_minimum_wage
      text: The minimum wage in Qatar is {basic} a month.
      answers: [minimum_wage]
      values: {basic: {amount: 1000, currency: QAR}}
      source: {title: Qatar Law No. 17 of 2020}
      drafted: 2024-01-10
      verified: {date: 2025-01-10, by: lawyer}
  passport:
    - id: qa_passport_advice
      kind: step
      text: Ask for your passport back in writing.
      source: {title: Qatar Labour Law, url: "https://example.org/qa"}
      drafted: 2026-12-01
nothing_verified:
  recruitment_fees: No public source found (searched 2026-12-02).
  complaint: No procedure written yet.
  pasport_back: a typo
"""
TYPO_LINE = QATAR.splitlines().index("  pasport_back: a typo") + 1


def _findings(root: Path) -> list[Finding]:
    """What check_content finds in ``root``, less the intents that only the real charter
    answers (the domain is the project's, the charter is the test's)."""
    return [finding for finding in check_content(root, today=TODAY)
            if finding.where != "content/charter"]


@pytest.mark.parametrize(("text", "number"), [
    ("Under ILO C189, you have rights.", None),
    ("Law No. 15 of 2017 covers domestic workers.", None),
    ("Article 40 of the Labour Law says so.", None),
    ("Articles 10 and 11 of the Labour Law say so.", None),
    ("ILO Convention 189 protects domestic workers.", None),
    ("Royal Decree 53/2023 is the Labour Law.", None),
    ("The Foreign Employment Act, 2007 licenses agencies.", None),
    ("The Employment Ordinance (Cap. 57) applies.", None),
    ("The course ends with an NVQ Level 3 test.", None),
    ("Call {phone} now.", None),
    ("Call 16008 now.", "16008"),
    ("An agency may charge at most 10,000 rupees.", "10,000"),
    ("You must be paid within 7 days.", "7"),
    ("You work at most 8 hours a day.", "8"),
    ("Article 10 gives you 30 days.", "30"),
    ("Since 2017 the rule applies.", "2017"),
    ("the law 8 hours", "8"),
])
def test_numbers_in_sentences_allow_law_names_and_flag_quantities(text, number):
    assert number_in_sentence(text) == number


def test_check_reports_exact_findings_on_a_small_directory(tmp_path):
    root = small_content(tmp_path / "content", {"QA": QATAR})
    country, charter = root / "countries" / "QA.yml", root / "charter" / "wages.yml"
    missing = "and is not named in 'nothing_verified'"
    assert _findings(root) == [
        Finding("error", f"{country}:{TYPO_LINE}", "nothing_verified: 'pasport_back' is neither a "
                "charter topic nor a procedure purpose (complaint, legal_departure, "
                "passport_back, welfare_claim)"),
        *(Finding("warning", str(country), f"QA: required topic '{topic}' has no fact {missing}")
          for topic in ("domestic_workers", "working_hours", "change_employer", "redress",
                        "emergency", "death_repatriation")),
        Finding("error", str(country),
                f"QA: required procedure 'passport_back' is not written {missing}"),
        Finding("error", f"{charter}:6", "charter fact 'paid_on_time' states a standard that "
                "country files answer with their own rules: add 'depends_on_country: true'"),
        Finding("error", f"{country}:6", "fact 'qa_wages_monthly' writes the number 7 in its "
                "sentence: put it in 'values' so that no translation can change it"),
        Finding("warning", f"{country}:12", "fact 'qa_minimum_wage' was last verified on "
                "2025-01-10, over 18 months ago: check it again"),
    ]


def test_a_charter_fact_marked_depends_on_country_passes(tmp_path):
    root = small_content(tmp_path / "content", {"QA": QATAR})
    charter = root / "charter" / "wages.yml"
    charter.write_text(charter.read_text(encoding="utf-8").replace(
        "    answers: [unpaid_wages]\n",
        "    answers: [unpaid_wages]\n    depends_on_country: true\n"), encoding="utf-8")
    content, _errors = load_content(root)
    assert [fact.id for fact in charter_overridden(content)] == ["paid_on_time"]
    assert content.topics["wages"].facts[0].depends_on_country is True
    assert [f for f in _findings(root) if "depends_on_country" in f.message] == []


def test_conditional_standards_and_advice_are_not_flagged_as_contradicted(tmp_path):
    # ratified_minimum shares 'minimum_wage' with a Qatari rule but names its condition;
    # qa_passport_advice is advice (kind: step), which contradicts nothing.
    content, _errors = load_content(small_content(tmp_path / "content", {"QA": QATAR}))
    assert [fact.id for fact in charter_overridden(content)] == ["paid_on_time"]


def test_uncovered_counts_facts_nothing_verified_and_origin_corridors(tmp_path):
    nepal = """\
    country: NP
    roles: [origin]
    currency: NPR
    nothing_verified:
      welfare_claim: No welfare fund found (searched 2026-12-02).
    """
    corridor = """\
    origin: NP
    destination: QA
    topics:
      recruitment_fees:
        - id: np_qa_fee
          text: An agency may charge you at most {max_fee}.
          values: {max_fee: {amount: 10000, currency: NPR}}
          source: {title: Nepal free visa free ticket decision, url: "https://example.org/np"}
          drafted: 2026-12-01
    """
    root = small_content(tmp_path / "content", {"QA": QATAR, "NP": nepal}, {"NP-QA": corridor})
    content, _errors = load_content(root)
    assert content.countries["QA"].nothing_verified == {
        "recruitment_fees": "No public source found (searched 2026-12-02).",
        "complaint": "No procedure written yet."}
    assert uncovered(content, content.countries["QA"]) == [
        ("domestic_workers", None), ("working_hours", None), ("change_employer", None),
        ("redress", None), ("emergency", None), ("death_repatriation", None),
        (None, "passport_back")]
    # The fee rule is in the corridor and welfare_claim is marked: the rest is left.
    assert uncovered(content, content.countries["NP"]) == [
        ("redress", None), ("pre_departure", None), ("social_security", None),
        (None, "legal_departure")]


def test_status_counts_verified_stale_unverified_and_missing_urls(tmp_path):
    content, _errors = load_content(small_content(tmp_path / "content", {"QA": QATAR}))
    facts = content.country_facts("QA")
    # qa_minimum_wage was verified on 2025-01-10: stale more than 548 days later.
    assert status(facts, date(2026, 7, 12)) == Status(verified=2, stale=0, unverified=1,
                                                      without_url=1)
    assert status(facts, TODAY) == Status(verified=1, stale=1, unverified=1, without_url=1)


def test_country_table_is_markdown_with_one_row_per_country(tmp_path):
    content, _errors = load_content(small_content(tmp_path / "content", {"QA": QATAR}))
    assert country_table(content) == (
        "| country | facts | verified | without URL | nothing verified | procedures |\n"
        "|---|---:|---:|---:|---:|---:|\n"
        "| QA | 3 | 2 | 1 | 2 | 0 |")


def test_verifier_must_be_a_role_and_nothing_verified_keys_must_be_known(tmp_path):
    named = QATAR.replace("by: caseworker", "by: Maria Santos")
    _content, errors = load_content(small_content(tmp_path / "content", {"QA": named}))
    assert [(error.line, error.message) for error in errors] == [
        (11, "fact 'qa_wages_monthly': verified: 'by' must be a role, one of caseworker, "
            "lawyer, paralegal, translator, researcher (never a person's name)"),
        (TYPO_LINE, "nothing_verified: 'pasport_back' is neither a charter topic nor a procedure "
             "purpose (complaint, legal_departure, passport_back, welfare_claim)"),
    ]
