"""The whole loop on one machine, with no outside service: a worker reports over REST to
the real bot (trained model, action server), the report waits sealed in the database
for a `delivery: console` partner, a caseworker reads and answers it in the console in
headless Chromium, and the worker reads the answer by sending their code from another
conversation. Then no store or log holds the account, the sender or the code."""

from __future__ import annotations

import re
import sqlite3
import time
import uuid
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from bot.console import accounts
from bot.reports import crypto
from bot.reports.db import session_scope
from bot.servers import MODEL, post_message, running_bot
from tests.support.browser import chromium, needs_chromium
from tests.support.console import FakeClock, serving
from tests.support.registry import make_maintainer, write_registry

pytestmark = pytest.mark.model
CODE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b")
PASSWORD = "helpline caseworker pass"


def _say(url: str, sender: str, text: str) -> str:
    return "\n".join(reply.get("text", "") for reply in post_message(url, sender, text))


@needs_chromium
def test_report_read_and_answered_in_the_console_reaches_the_worker(tmp_path, monkeypatch):
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` (make test does it)")
    encryption, signing = crypto.new_partner_keys()
    write_registry(tmp_path / "partners.yml", make_maintainer(tmp_path), partners=[{
        "id": "gulf-helpline", "name": "Gulf Workers Helpline", "kind": "ngo",
        "countries": ["QA"], "categories": ["*"], "languages": ["en"],
        "public_key": encryption.public_key, "verify_key": signing.public_key,
        "delivery": "console"}])
    for name, value in (("BOT_SECRETS_DIR", tmp_path / "secrets"),
                        ("BOT_PARTNERS_FILE", tmp_path / "partners.yml"),
                        ("BOT_TRUST_FILE", tmp_path / "maintainers.yml")):
        monkeypatch.setenv(name, str(value))
    url = f"sqlite:///{tmp_path / 'reports.db'}"
    sender = f"+97455{uuid.uuid4().int % 10**6:06d}"
    marker = f"marker{uuid.uuid4().hex[:8]}"
    account = f"{marker} my salary was not paid for four months and they shout at me"
    answer = f"Reply {marker[6:]}: we called your employer; a lawyer will help you."
    with running_bot(tmp_path, extra_env={"BOT_OUTBOX_INTERVAL": "0.5"}) as bot_url:
        _say(bot_url, sender, "I want to report my employer for abuse")
        for step in ["1", "Qatar", "0", "0", "0", "2", account, "2", "0", "1"]:
            text = _say(bot_url, sender, step)
        code = CODE.search(text).group()
        assert "Gulf Workers Helpline" in text
        _wait_until_delivered(tmp_path / "reports.db")
        with session_scope(url) as session:
            accounts.add_user(session, "case@gulf.example", "caseworker", PASSWORD,
                              "gulf-helpline", encryption.private_key)
        with serving(_console(url)) as console_url:
            driver = chromium(logs=())
            try:
                driver.get(f"{console_url}/login")
                driver.find_element(By.ID, "email").send_keys("case@gulf.example")
                driver.find_element(By.ID, "password").send_keys(PASSWORD)
                driver.find_element(By.ID, "login").click()
                WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.ID, "queue"))
                driver.find_element(By.CSS_SELECTOR, "#queue tbody a").click()
                WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.ID, "account"))
                assert driver.find_element(By.ID, "account").text == account
                assert driver.find_element(By.ID, "language").text == "English"
                driver.find_element(By.ID, "reply-text").send_keys(answer)
                driver.find_element(By.ID, "send-reply").click()
                WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.ID, "notes"))
                assert driver.find_element(By.CSS_SELECTOR, "#notes .reply .text").text == \
                    answer
            finally:
                driver.quit()
        follower = f"+97455{uuid.uuid4().int % 10**6:06d}"  # another phone
        _say(bot_url, follower, "any news about my report?")
        assert answer in _say(bot_url, follower, code.lower())
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.suffix != ".yml":
            data = path.read_bytes()
            for secret in (marker, account, answer, code, sender, follower, sender[1:]):
                assert secret.encode() not in data, (path.name, secret)


def _console(url: str):
    from bot.console.app import create_app

    return create_app(url, clock=FakeClock())


def _wait_until_delivered(database: Path) -> None:
    """Until the bot's outbox marked the report delivered (to the database, for the console)."""
    for _ in range(60):
        if database.exists():
            rows = sqlite3.connect(database).execute(
                "select count(*) from outbox where delivered_on is not null").fetchone()
            if rows[0]:
                return
        time.sleep(0.5)
    raise AssertionError("the outbox never marked the report delivered")
