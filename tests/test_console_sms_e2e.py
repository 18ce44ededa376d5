"""The whole loop on one machine, by SMS through a real Kannel: a worker on a Nepali
number reports in Nepali (fakesmsc -> bearerbox -> smsbox -> the bot), the report and
the consented summary wait sealed in the database for a `delivery: console` partner and
consulate, the caseworker reads and answers in the console, the consular reviewer reads
the summary, and the worker reads the answer by texting the code. Then the anonymity
audit: no database, log or key file of the bot or the console holds the number, the
account, the answer or the code."""

from __future__ import annotations

import logging
import re
import sqlite3
import time
import uuid
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from bot import indicators
from bot.console import accounts
from bot.reports import crypto
from bot.reports.db import session_scope
from bot.servers import CHANNELS
from tests.support import kannel
from tests.support.console import FakeClock, log_in
from tests.support.console_sms import NE, Phone, menu_number
from tests.support.registry import make_maintainer, write_registry

pytestmark = pytest.mark.model
SECRET = uuid.uuid4().hex
CREDENTIALS = CHANNELS + "bot.channels.sms.SmsChannel:\n  default_region: NP\n"
NUMBER = "+9779812340077"
NUMBER_FORMS = (NUMBER, NUMBER[1:], NUMBER[4:])
START = "म मेरो मालिकको दुर्व्यवहारको उजुरी यहाँ रिपोर्ट गर्न चाहन्छु"
CODE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b")
PARTNER_KEYS = crypto.new_partner_keys()
CONSULATE_KEYS = crypto.new_partner_keys()
PASSWORDS = {"case@gulf.example": "gulf helpline caseworker",
             "consul@np.example": "nepal embassy reviewer"}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("console-sms")


@pytest.fixture(scope="module")
def gateway(workdir):
    write_registry(workdir / "partners.yml", make_maintainer(workdir), partners=[{
        "id": "gulf-helpline", "name": "Gulf Workers Helpline", "kind": "ngo",
        "countries": ["QA"], "categories": ["*"], "languages": ["en", "ne"],
        "public_key": PARTNER_KEYS[0].public_key, "verify_key": PARTNER_KEYS[1].public_key,
        "delivery": "console"}], consulates=[{
        "id": "np-embassy-doha", "name": "Embassy of Nepal, Doha", "kind": "embassy",
        "nationality": "NP", "countries": ["QA"], "public_key": CONSULATE_KEYS[0].public_key,
        "delivery": "console"}])
    with kannel.bot_behind_kannel(workdir, CREDENTIALS, SECRET,
                                  {"BOT_OUTBOX_INTERVAL": "0.5"}) as running:
        yield running


def _console(workdir: Path, monkeypatch) -> TestClient:
    from bot.console.app import create_app

    for name, value in (("BOT_SECRETS_DIR", workdir / "secrets"),
                        ("BOT_PARTNERS_FILE", workdir / "partners.yml"),
                        ("BOT_TRUST_FILE", workdir / "maintainers.yml")):
        monkeypatch.setenv(name, str(value))
    return TestClient(create_app(f"sqlite:///{workdir / 'reports.db'}", clock=FakeClock()),
                      base_url="https://testserver")


def _log_in(client: TestClient, email: str) -> None:
    answer = log_in(client, email, PASSWORDS[email])
    assert answer.status_code == 303, answer.text


def _wait_until_delivered(database: Path, items: int) -> None:
    for _ in range(60):
        done = sqlite3.connect(database).execute(
            "select count(*) from outbox where delivered_on is not null").fetchone()[0]
        if done >= items:
            return
        time.sleep(0.5)
    raise AssertionError("the outbox never kept the report and summary for the console")


def test_sms_report_answered_in_the_console_and_read_by_the_worker(gateway, workdir,
                                                                     monkeypatch, caplog):
    caplog.set_level(logging.INFO)
    phone = Phone(gateway, NUMBER)
    marker = f"marker{uuid.uuid4().hex[:8]}"
    account = f"{marker} मालिकले मेरो पासपोर्ट आफ्नो दराजमा राखेको छ"
    answer = f"नमस्ते {marker[6:]}, हामीले तपाईंको उजुरी पायौं र मालिकलाई सम्पर्क गर्यौं।"
    text = phone.say(START)
    assert text.startswith(NE.gettext("What happened?") + "\n1. ")
    text = phone.say("पासपोर्ट")
    for step in (menu_number(text, "कतार"), "0", "0", "0", "2", account, "1", "0"):
        text = phone.say(step)
    code = CODE.search(phone.say("1")).group()

    _wait_until_delivered(workdir / "reports.db", 2)
    with session_scope(f"sqlite:///{workdir / 'reports.db'}") as session:
        accounts.add_user(session, "case@gulf.example", "caseworker",
                          PASSWORDS["case@gulf.example"], "gulf-helpline",
                          PARTNER_KEYS[0].private_key)
        accounts.add_user(session, "consul@np.example", "consular",
                          PASSWORDS["consul@np.example"], "np-embassy-doha",
                          CONSULATE_KEYS[0].private_key)
    caseworker = _console(workdir, monkeypatch)
    _log_in(caseworker, "case@gulf.example")
    [report_id] = re.findall(r'href="/reports/([0-9a-f]{32})"', caseworker.get("/queue").text)
    page = caseworker.get(f"/reports/{report_id}").text
    assert f'<dd id="account" class="account">{account}</dd>' in page
    assert '<dd id="language">Nepali (नेपाली)</dd>' in page
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    sent = caseworker.post(f"/reports/{report_id}/reply", data={"csrf": csrf, "text": answer},
                           follow_redirects=False)
    assert sent.status_code == 303

    consul = _console(workdir, monkeypatch)
    _log_in(consul, "consul@np.example")
    [summary_id] = re.findall(r'href="/summaries/([0-9a-f]{32})"',
                              consul.get("/summaries").text)
    summary = consul.get(f"/summaries/{summary_id}").text
    assert "<dd>passport kept</dd>" in summary and "<dd>NP</dd>" in summary
    assert marker not in summary

    assert answer in phone.say(code)

    with session_scope(f"sqlite:///{workdir / 'reports.db'}") as session:  # the dashboard's
        assert {dimension: dict(indicators.totals(session, f"report_{dimension}"))
                for dimension in ("category", "corridor")} == {
            "category": {"passport_kept": 1}, "corridor": {"NP-QA": 1}}

    stores = [path for path in workdir.rglob("*") if path.is_file()
              and "kannel" not in path.relative_to(workdir).parts and path.suffix != ".yml"]
    assert {"reports.db", "tracker.db", "rasa.log", "actions.log"} <= \
        {path.name for path in stores}
    for path in stores:
        data = path.read_bytes()
        for secret in (*NUMBER_FORMS, marker, account, answer, code):
            assert secret.encode("utf-8") not in data, (path.name, secret)
    for secret in (*NUMBER_FORMS, marker, code):
        assert secret not in caplog.text
