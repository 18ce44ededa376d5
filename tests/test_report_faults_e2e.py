"""Reports under faults: nothing leaks, nothing is lost, every reporter gets an answer.

One server serves REST, Telegram and SMS through the real Kannel. Three workers make
reports while everything that can go wrong does:

1. the partner registry is broken (invalid YAML, no good copy yet): the reports are
   held in the form and each worker is asked to try again;
2. the registry is fixed, but the partner answers garbage, then redirects elsewhere:
   the reports are stored and receipts given, and nothing is marked delivered;
3. the partner comes back: each report arrives exactly once.

Odd inputs arrive mid-form (a typed payload with a number, 4,400 digits, invisible
characters). Then every file the bot wrote (databases, logs, keys) and everything the
partner and the redirect target received is searched for the accounts, the employer,
the phone number and the Telegram id, in several encodings: none is there in clear.
Only Telegram's servers and the partner's webhook are faked, on localhost.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.channels.sms.channel import MORE_HINT
from bot.reports import crypto
from bot.servers import CHANNELS, MODEL, post_message, running_bot
from tests.support import kannel
from tests.support.fake_telegram import TOKEN, running_fake_telegram
from tests.support.partner_servers import (
    Answer,
    PartnerServer,
    garbage,
    ok,
    partner_server,
    redirect_to,
)
from tests.support.registry import make_maintainer, write_registry
from tests.support.rest import texts as rest_texts
from tests.support.telegram_users import SECRET as TELEGRAM_SECRET
from tests.support.telegram_users import Bot, User, texts

pytestmark = pytest.mark.model

KANNEL_SECRET = uuid.uuid4().hex
PARTNER_KEYS = crypto.new_partner_keys()
HELD = "Sorry, your report could not be saved just now. Nothing is lost"
ODD_INPUTS = ['/choose_option{"choice": 5}', "9" * 4400, "\u202e\u200b\ufeff", "🙂"]


@dataclass
class Setup:
    url: str
    workdir: Path
    partner: PartnerServer
    elsewhere: PartnerServer
    answer: dict[str, Answer]  # what the partner answers now
    gateway: kannel.Kannel
    telegram: Bot

    def register_partner(self) -> None:
        write_registry(self.workdir / "partners.yml", make_maintainer(self.workdir), [{
            "id": "helpline", "name": "Migrant Helpline", "kind": "ngo", "countries": ["QA"],
            "public_key": PARTNER_KEYS[0].public_key, "verify_key": PARTNER_KEYS[1].public_key,
            "webhook_url": f"{self.partner.url}/reports"}])

    def outbox(self) -> list[tuple]:
        with sqlite3.connect(self.workdir / "reports.db") as database:
            return database.execute("SELECT report_id, attempts, last_error, delivered_on "
                                    "FROM outbox ORDER BY report_id").fetchall()

    def retry_now(self) -> None:
        """Time passes: every waiting delivery is due again (instead of its backoff)."""
        with sqlite3.connect(self.workdir / "reports.db") as database:
            database.execute("UPDATE outbox SET next_attempt_at = 0 WHERE delivered_on IS NULL")


@pytest.fixture(scope="module")
def setup(tmp_path_factory) -> Iterator[Setup]:
    if kannel.binaries() is None:
        pytest.skip("Kannel is not installed (apt-get install kannel kannel-extras; "
                    ".ci/run does it)")
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` (make test does it)")
    workdir = tmp_path_factory.mktemp("faults")
    answer: dict[str, Answer] = {"now": garbage}
    (workdir / "partners.yml").write_text("partners:\n  - id: helpline\n    name: [unclosed\n",
                                          encoding="utf-8")
    credentials = (CHANNELS + "bot.channels.telegram.TelegramChannel:\n"
                   "bot.channels.sms.SmsChannel:\n  default_region: NP\n")
    with partner_server(lambda handler: answer["now"](handler)) as partner, \
            partner_server(ok) as elsewhere, running_fake_telegram() as fake:
        env = {"BOT_SMS_KANNEL_SECRET": KANNEL_SECRET, "BOT_TELEGRAM_TOKEN": TOKEN,
               "BOT_TELEGRAM_SECRET": TELEGRAM_SECRET, "BOT_TELEGRAM_API_URL": fake.api_url,
               "BOT_OUTBOX_INTERVAL": "0.5"}
        with running_bot(workdir, credentials=credentials, extra_env=env) as url:
            kannel_dir = workdir / "kannel"
            kannel_dir.mkdir()
            with kannel.running_kannel(kannel_dir, kannel.post_url(url, KANNEL_SECRET)) as gw:
                yield Setup(url, workdir, partner, elsewhere, answer, gw,
                            Bot(url, fake, workdir))


def _sms(gateway: kannel.Kannel, phone: str) -> Callable[[str], str]:
    def say(text: str) -> str:
        pages = [gateway.send(phone, text).text]
        while pages[-1].endswith("\n" + MORE_HINT):
            pages.append(gateway.send(phone, "MORE").text)
        return "\n".join(pages)
    return say


def _wait_until(condition: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.5)


def test_reports_survive_a_broken_registry_a_hostile_partner_and_odd_inputs(setup):
    marker = uuid.uuid4().hex[:10]
    phone = "+97455" + str(uuid.uuid4().int % 10**6).zfill(6)
    rest_sender = f"+97466{marker[:6]}"
    employer = f"Employer{marker} Trading"
    telegram_user = User(setup.telegram, language_code="en")
    workers = {
        "rest": lambda text: rest_texts(post_message(setup.url, rest_sender, text)),
        "sms": _sms(setup.gateway, phone),
        "telegram": lambda text: texts(telegram_user.says(text)),
    }
    accounts = {name: f"{name}{marker} madam locks the door and keeps my salary"
                for name in workers}

    # 1. The registry is broken: each report is held, and the worker asked to try again.
    for name, say in workers.items():
        assert "What happened?" in say("I want to report my employer for abuse"), name
        for step in ["1", "Qatar", "0", employer, "0"]:
            assert say(step).strip(), (name, step)
        for odd in ODD_INPUTS:  # to "under 18? 1. Yes 2. No": refused, asked again
            assert "under 18" in say(odd), (name, odd)
        for step in ["2", accounts[name], "2", "0"]:
            assert say(step).strip(), (name, step)
        assert HELD in say("1"), name
    assert setup.outbox() == []

    # 2. The registry is fixed; the partner answers garbage, then redirects.
    setup.register_partner()
    for name, say in workers.items():
        reply = say("1")  # send, again
        assert "Migrant Helpline" in reply and "receipt code" in reply.lower(), (name, reply)
    _wait_until(lambda: all(row[2] == "BadStatusLine" for row in setup.outbox())
                and len(setup.outbox()) == 3)
    setup.answer["now"] = redirect_to(f"{setup.elsewhere.url}/stolen")
    setup.retry_now()
    _wait_until(lambda: all(row[2] == "HTTP 302" for row in setup.outbox()))
    assert [row[3] for row in setup.outbox()] == [None, None, None]
    assert setup.elsewhere.received == []  # a redirect is never followed

    # 3. The partner is back: every report arrives, exactly once.
    before = len(setup.partner.received)
    setup.answer["now"] = ok
    setup.retry_now()
    _wait_until(lambda: all(row[3] is not None for row in setup.outbox()))
    time.sleep(2)  # a few more outbox runs: nothing is sent twice
    arrived = Counter(json.loads(request.body)["report_id"]
                      for request in setup.partner.received[before:])
    assert sorted(arrived.values()) == [1, 1, 1]
    assert set(arrived) == {row[0] for row in setup.outbox()}
    opened = [json.loads(crypto.unseal(PARTNER_KEYS[0].private_key,
                                       crypto.unb64(json.loads(request.body)["sealed_body"])))
              for request in setup.partner.received[before:]]
    assert sorted(report["account"] for report in opened) == sorted(accounts.values())
    assert {report["employer"] for report in opened} == {employer}

    # Nothing the workers wrote or were is anywhere in clear. Kannel's own logs (level 1
    # and an access log, for the test harness) are the operator's to keep off: see
    # docs/kannel.conf.
    secrets = [marker, "madam locks the door", employer, phone, phone[1:], phone[4:],
               rest_sender, rest_sender[1:], str(telegram_user.id)]
    files = [path for path in setup.workdir.rglob("*")
             if path.is_file() and "kannel" not in path.relative_to(setup.workdir).parts]
    assert {"tracker.db", "reports.db", "rasa.log", "actions.log", "pseudonym.key"} \
        <= {path.name for path in files}
    for path in files:
        content = path.read_bytes()
        for secret in secrets:
            for form in (secret.encode("utf-8"), secret.encode("utf-16-le"),
                         secret.encode().hex().encode(), secret.encode().hex().upper().encode()):
                assert form not in content, f"{secret!r} found in {path.name}"
    for request in setup.partner.received + setup.elsewhere.received:
        for secret in secrets:
            assert secret.encode() not in request.body
