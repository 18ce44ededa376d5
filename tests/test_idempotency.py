"""bot/reports/idempotency.py: the same conversation's same draft is one report, in this
process's memory (one server); tests/test_cluster.py does it on Redis and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from bot.reports import crypto
from bot.reports.db import Report, session_scope
from bot.reports.idempotency import submission_key, submit_once
from bot.reports.service import ReportDraft, submit
from bot.storage.shared_state import MemoryState
from tests.support.registry import load, make_maintainer, write_registry

TODAY = date(2026, 12, 3)
DRAFT = ReportDraft(categories=["wages"], destination="QA", account="unpaid since June")


@pytest.fixture
def partners(tmp_path, secrets_dir, monkeypatch):
    monkeypatch.setenv("BOT_DATABASE_URL", f"sqlite:///{tmp_path / 'reports.db'}")
    encryption, signing = crypto.new_partner_keys()
    maintainer = make_maintainer(tmp_path)
    registry = write_registry(tmp_path / "partners.yml", maintainer, partners=[{
        "id": "helpline", "name": "Helpline", "kind": "ngo", "countries": ["QA"],
        "categories": ["*"], "languages": ["en"], "public_key": encryption.public_key,
        "verify_key": signing.public_key, "webhook_url": "https://helpline.example.org"}])
    return load(registry, maintainer).partners


def _reports() -> int:
    with session_scope() as session:
        return session.execute(select(func.count()).select_from(Report)).scalar_one()


def test_a_retry_gets_the_first_receipt_and_stores_nothing(partners):
    state, calls = MemoryState(), []

    def store():
        calls.append(1)
        with session_scope() as session:
            return submit(session, DRAFT, partners, TODAY)

    first = submit_once("conversation-a", DRAFT, partners, store, state)
    again = submit_once("conversation-a", DRAFT, partners, store, state)
    assert (again.code, again.report_id, again.partner.id) == \
        (first.code, first.report_id, "helpline")
    assert calls == [1] and _reports() == 1
    other = submit_once("conversation-b", DRAFT, partners, store, state)
    changed = ReportDraft(categories=["wages"], destination="QA", account="unpaid since May")
    third = submit_once("conversation-a", changed, partners, store, state)
    assert len({first.code, other.code, third.code}) == 3 and _reports() == 3


def test_a_failed_or_empty_submission_is_not_remembered(partners):
    state, outcomes = MemoryState(), [RuntimeError("database down"), None]

    def store():
        outcome = outcomes.pop(0) if outcomes else "store"
        if isinstance(outcome, Exception):
            raise outcome
        if outcome is None:
            return None
        with session_scope() as session:
            return submit(session, DRAFT, partners, TODAY)

    with pytest.raises(RuntimeError):
        submit_once("conversation-a", DRAFT, partners, store, state)
    assert submit_once("conversation-a", DRAFT, partners, store, state) is None
    stored = submit_once("conversation-a", DRAFT, partners, store, state)
    assert stored is not None and _reports() == 1


def test_the_key_is_a_keyed_hash_that_names_nothing(partners, secrets_dir):
    key = submission_key("conversation-a", DRAFT)
    assert len(key) == 64 and int(key, 16) >= 0
    assert key == submission_key("conversation-a", DRAFT)
    assert key != submission_key("conversation-b", DRAFT)
    assert "conversation" not in key and "unpaid" not in key
