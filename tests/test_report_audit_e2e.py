"""The anonymity audit: a whole report through every channel, then every store searched.

One server serves the REST, web, SMS (generic gateway) and Telegram channels. A
worker makes a report through each, with their own phone number, Telegram id or
session, and their own account of what happened. Then every file the servers
wrote (tracker and report databases, logs, keys) and everything the partner
received is searched for those identifiers and texts, in the forms they could
take. None may appear in plaintext: reports are sealed, texts are never stored,
and channel ids are replaced by keyed pseudonyms.
"""

from __future__ import annotations

import json
import sqlite3
import time
import urllib.request
import uuid

import pytest

from bot.reports import crypto
from bot.servers import CHANNELS, MODEL, post_message, running_bot
from tests.support.fake_partner import running_fake_partner
from tests.support.fake_telegram import TOKEN, running_fake_telegram
from tests.support.registry import make_maintainer, write_registry
from tests.support.telegram_users import SECRET as TELEGRAM_SECRET
from tests.support.telegram_users import Bot, User, texts

pytestmark = pytest.mark.model

SMS_SECRET = uuid.uuid4().hex
PARTNER_KEYS = crypto.new_partner_keys()
# The same answers on every channel; only the account (and so the marker) differs.
STEPS = ["I want to report my employer for abuse", "1", "Qatar", "0", "0", "0", "2",
         None, "2", "0", "1"]


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` (make test does it)")
    workdir = tmp_path_factory.mktemp("audit")
    credentials = (CHANNELS + "bot.channels.web.WebChannel:\n"
                   "bot.channels.telegram.TelegramChannel:\n"
                   "bot.channels.sms.SmsChannel:\n  default_region: NP\n")
    with running_fake_partner() as partner, running_fake_telegram() as fake:
        write_registry(workdir / "partners.yml", make_maintainer(workdir), partners=[{
            "id": "helpline", "name": "Migrant Helpline", "kind": "ngo", "countries": ["QA"],
            "categories": ["*"], "languages": ["en"],
            "public_key": PARTNER_KEYS[0].public_key, "verify_key": PARTNER_KEYS[1].public_key,
            "webhook_url": f"{partner.url}/reports"}])
        env = {"BOT_SMS_GENERIC_SECRET": SMS_SECRET, "BOT_TELEGRAM_TOKEN": TOKEN,
               "BOT_TELEGRAM_SECRET": TELEGRAM_SECRET, "BOT_TELEGRAM_API_URL": fake.api_url,
               "BOT_OUTBOX_INTERVAL": "0.5"}
        with running_bot(workdir, credentials=credentials, extra_env=env) as url:
            yield url, fake, partner, workdir


def _post_json(url: str, body: dict, headers: dict[str, str] | None = None) -> dict | list:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={
        "Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - localhost
        return json.loads(response.read())


def _report(say, account: str) -> str:
    """Go through the report form with ``say``; the last reply."""
    reply = ""
    for step in STEPS:
        reply = say(account if step is None else step)
    return reply


def test_reports_through_every_channel_leave_no_identifier_or_text_behind(servers):
    url, fake, partner, workdir = servers
    marker = uuid.uuid4().hex[:10]
    accounts = {channel: f"{channel}{marker} my madam keeps my salary and shouts"
                for channel in ("rest", "web", "sms", "telegram")}
    phone = "+97455" + str(uuid.uuid4().int % 10**6).zfill(6)
    rest_sender, web_session = f"+97466{marker[:6]}", uuid.uuid4().hex

    def rest(text: str) -> str:
        return "\n".join(m.get("text", "") for m in post_message(url, rest_sender, text))

    def web(text: str) -> str:
        answer = _post_json(f"{url}/webhooks/web/webhook",
                            {"session": web_session, "message": text})
        return "\n".join(message["text"] for message in answer["messages"])

    def sms(text: str) -> str:
        answer = _post_json(f"{url}/webhooks/sms/generic", {"from": phone, "text": text},
                            {"X-Bot-Secret": SMS_SECRET})
        return "\n".join(message["text"] for message in answer["messages"])

    telegram_user = User(Bot(url, fake, workdir), language_code="en")

    def telegram(text: str) -> str:
        return texts(telegram_user.says(text))

    for channel, say in (("rest", rest), ("web", web), ("sms", sms),
                         ("telegram", telegram)):
        reply = _report(say, accounts[channel])
        assert "Migrant Helpline" in reply, f"{channel}: {reply}"

    # The reports were really made and delivered: the audit below is not vacuous.
    deadline = time.monotonic() + 60
    while len(partner.bodies("/reports")) < 4 and time.monotonic() < deadline:
        time.sleep(0.5)
    opened = [json.loads(crypto.unseal(PARTNER_KEYS[0].private_key,
                                       crypto.unb64(json.loads(body)["sealed_body"])))
              for body in partner.bodies("/reports")]
    assert sorted(report["account"] for report in opened) == sorted(accounts.values())
    rows = sqlite3.connect(workdir / "reports.db").execute(
        "select count(*) from reports").fetchone()[0]
    assert rows == 4

    secrets = [marker, "madam keeps my salary", phone, phone[1:], phone[4:],
               rest_sender, rest_sender[1:], web_session, str(telegram_user.id)]
    stored = [path for path in workdir.rglob("*") if path.is_file()]
    assert {"tracker.db", "reports.db", "rasa.log", "actions.log"} <= {p.name for p in stored}
    for path in stored:
        content = path.read_bytes()
        for secret in secrets:
            for form in (secret.encode("utf-8"), secret.encode("utf-16-le"),
                         secret.encode().hex().encode(), secret.encode().hex().upper().encode()):
                assert form not in content, f"{secret!r} found in {path.name}"
    for body in partner.bodies("/reports"):  # what left the server: sealed, and no identifiers
        for secret in secrets:
            assert secret.encode() not in body
