"""``content verify``: the verification is recorded, and nothing else in the file changes."""

from __future__ import annotations

import difflib
from datetime import date
from pathlib import Path

import pytest

from bot.cli import main
from bot.content import load_content
from bot.content.model import Verification
from bot.content.verify import VerifyRefused, verify

TODAY = date(2026, 12, 2)


def _snapshot(directory: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in sorted(directory.rglob("*.yml"))}


def _changed_lines(before: bytes, after: bytes) -> list[str]:
    diff = difflib.unified_diff(before.decode().splitlines(), after.decode().splitlines(),
                                lineterm="", n=0)
    return [line for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")]


def test_only_the_verified_line_is_added_to_a_real_country_file(content_copy: Path):
    path = content_copy / "countries" / "QA.yml"
    before = _snapshot(content_copy)
    recorded = verify("qa_labour_ministry_complaints", "lawyer", date(2026, 12, 1),
                      directory=content_copy, today=TODAY)
    assert (recorded.file, recorded.on, recorded.by) == (path, date(2026, 12, 1), "lawyer")
    assert _changed_lines(before[path], path.read_bytes()) == [
        "+      verified: {date: 2026-12-01, by: lawyer}"]
    assert {p: b for p, b in _snapshot(content_copy).items() if p != path} == \
        {p: b for p, b in before.items() if p != path}
    content, errors = load_content(content_copy)
    assert errors == []
    fact = next(f for f in content.country_facts("QA") if f.id == "qa_labour_ministry_complaints")
    assert fact.verified == Verification(date(2026, 12, 1), "lawyer")


def test_a_procedure_step_and_a_charter_fact_can_be_verified(content_copy: Path):
    country = content_copy / "countries" / "QA.yml"
    charter = content_copy / "charter" / "wages.yml"
    before = _snapshot(content_copy)
    verify("qa_complaint_call", "caseworker", directory=content_copy, today=TODAY)
    verify("paid_regularly_and_directly", "paralegal", directory=content_copy, today=TODAY)
    assert _changed_lines(before[country], country.read_bytes()) == [
        "+        verified: {date: 2026-12-02, by: caseworker}"]
    assert _changed_lines(before[charter], charter.read_bytes()) == [
        "+    verified: {date: 2026-12-02, by: paralegal}"]
    content, errors = load_content(content_copy)
    assert errors == []
    procedure, index = content.step("qa_complaint_call")
    assert procedure.steps[index].verified == Verification(TODAY, "caseworker")


def test_a_second_verification_replaces_the_first(content_copy: Path):
    path = content_copy / "countries" / "QA.yml"
    before = path.read_bytes()
    verify("qa_dispute_committees", "caseworker", date(2026, 11, 30), directory=content_copy,
           today=TODAY)
    verify("qa_dispute_committees", "lawyer", directory=content_copy, today=TODAY)
    assert _changed_lines(before, path.read_bytes()) == [
        "+      verified: {date: 2026-12-02, by: lawyer}"]


@pytest.mark.parametrize(("item_id", "by", "on", "message"), [
    ("no_such_fact", "caseworker", None,
     "no fact, procedure or step has the id 'no_such_fact' in {directory}"),
    ("qa_dispute_committees", "Maria Santos", None,
     "'Maria Santos' is not a role: use one of caseworker, lawyer, paralegal, translator, "
     "researcher (a role, never a person's name)"),
    ("qa_dispute_committees", "caseworker", date(2026, 12, 3),
     "2026-12-03 is in the future: record a verification once it is done"),
    ("qa_dispute_committees", "caseworker", date(2026, 11, 1),
     "'qa_dispute_committees' was drafted on 2026-11-22: it cannot have been verified on "
     "2026-11-01"),
])
def test_refusals_say_why_and_touch_no_file(content_copy: Path, item_id, by, on, message):
    before = _snapshot(content_copy)
    with pytest.raises(VerifyRefused) as refused:
        verify(item_id, by, on, directory=content_copy, today=TODAY)
    assert str(refused.value) == message.format(directory=content_copy)
    assert _snapshot(content_copy) == before


def test_command_line_records_and_refuses(content_copy: Path, monkeypatch, capsys):
    monkeypatch.setenv("BOT_CONTENT_DIR", str(content_copy))
    before = _snapshot(content_copy)
    assert main(["content", "verify", "no_such_fact", "--by", "caseworker"]) == 2
    assert capsys.readouterr().err == (f"content verify: no fact, procedure or step has the id "
                                       f"'no_such_fact' in {content_copy}\n")
    assert _snapshot(content_copy) == before
    assert main(["content", "verify", "qa_dispute_committees", "--by", "researcher",
                 "--on", "2026-12-01"]) == 0
    assert capsys.readouterr().out == (f"{content_copy / 'countries' / 'QA.yml'}: "
                                       "'qa_dispute_committees' verified on 2026-12-01 by a "
                                       "researcher\n")
