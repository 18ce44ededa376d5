"""The one-computer demo (bot/console/demo.py): a vetted console partner and two accounts."""

from __future__ import annotations

import stat
from datetime import date

import pytest
from sqlalchemy import select

from bot.console import demo
from bot.console.accounts import authenticate
from bot.console.models import ConsoleUser
from bot.reports import crypto
from bot.reports.db import Report, session_scope
from bot.reports.partners import check_with_trust_file
from bot.reports.service import ReportDraft, submit

TODAY = date(2026, 12, 3)


@pytest.fixture
def demo_files(tmp_path, monkeypatch):
    files = demo.DemoFiles(tmp_path / "demo")
    for variable, value in files.environment.items():
        monkeypatch.setenv(variable, value)
    return demo.set_up(files.directory, TODAY)


def _logins(files: demo.DemoFiles) -> dict[str, str]:
    lines = files.logins.read_text(encoding="utf-8").splitlines()[1:]
    return dict(line.split(" ") for line in lines)


def test_the_demo_registry_has_one_vetted_console_partner_for_every_report(demo_files):
    registry, problems = check_with_trust_file(demo_files.directory / "partners.yml")
    assert problems == []
    assert [(p.id, p.delivery, p.countries, p.categories) for p in registry.partners] == [
        ("demo-helpline", "console", ("*",), ("*",))]
    assert registry.consulates == []


def test_the_demo_accounts_open_with_the_passwords_in_the_logins_file(demo_files):
    logins = _logins(demo_files)
    assert sorted(logins) == ["admin@demo.example", "caseworker@demo.example"]
    assert stat.S_IMODE(demo_files.logins.stat().st_mode) == 0o600
    registry, _problems = check_with_trust_file(demo_files.directory / "partners.yml")
    with session_scope() as session:
        submission = submit(session, ReportDraft(categories=["withheld_wages"],
                                                 destination="QA", account="Not paid."),
                            registry.partners, TODAY)
        assert submission.partner.id == "demo-helpline"
        caseworker = authenticate(session, "caseworker@demo.example",
                                  logins["caseworker@demo.example"])
        admin = authenticate(session, "admin@demo.example", logins["admin@demo.example"])
        sealed = session.get(Report, submission.report_id).sealed_body
    assert (caseworker.user.role, caseworker.user.organisation) == ("caseworker",
                                                                     "demo-helpline")
    assert (admin.user.role, admin.private_key) == ("admin", None)
    opened = crypto.unseal(crypto.b64(caseworker.private_key), sealed)
    assert b'"account": "Not paid."' in opened


def test_a_second_run_changes_nothing(demo_files):
    before = {path.name: path.read_bytes() for path in demo_files.directory.iterdir()
              if path.is_file() and path.suffix != ".db"}
    assert demo.set_up(demo_files.directory, TODAY) == demo_files
    after = {path.name: path.read_bytes() for path in demo_files.directory.iterdir()
             if path.is_file() and path.suffix != ".db"}
    assert after == before
    with session_scope() as session:
        assert session.execute(select(ConsoleUser.email).order_by(
            ConsoleUser.email)).scalars().all() == ["admin@demo.example",
                                                     "caseworker@demo.example"]
