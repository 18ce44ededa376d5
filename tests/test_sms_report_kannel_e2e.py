"""A whole anonymous report by SMS, in Nepali, through a real Kannel, and what it costs.

fakesmsc -> bearerbox -> smsbox -> the bot -> back to the phone, as in
tests/test_sms_kannel_e2e.py. The worker, on a Nepali (+977) number, asks to report
in Nepali, answers every question and consents; every SMS they send is counted,
each MORE included. Everything the bot says must come in pages of at most 3 SMS, the
whole report must cost at most 12 SMS, and the receipt code must open the first page
of its message (a page still waiting for MORE is lost when the worker writes anything
else, and the code is shown only once).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.channels.sms.keywords import KEYWORDS
from bot.i18n import translator
from bot.reports import crypto
from bot.reports.partner_tools import open_delivery
from bot.servers import CHANNELS
from tests.support import kannel
from tests.support.fake_partner import running_fake_partner
from tests.support.registry import make_maintainer, write_registry

pytestmark = pytest.mark.model

SECRET = uuid.uuid4().hex
# The partner API's channel runs the outbox that delivers the report.
CREDENTIALS = CHANNELS + "bot.channels.sms.SmsChannel:\n  default_region: NP\n"
PHONE = "+9779812340001"
NE = translator("ne")
MORE_HINT = NE.gettext("Reply MORE for the rest.")
MORE = KEYWORDS["ne"]["more"][0]  # "थप"
START = "म मेरो मालिकको दुर्व्यवहारको उजुरी यहाँ रिपोर्ट गर्न चाहन्छु"
CODE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b")
MAX_WORKER_SMS = 12
PARTNER_KEYS = crypto.new_partner_keys()
CONSULATE_KEYS = crypto.new_partner_keys()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("sms-report-kannel")


@pytest.fixture(scope="module")
def partner():
    with running_fake_partner() as fake:
        yield fake


@pytest.fixture(scope="module")
def gateway(workdir, partner):
    # A vetted partner for Qatar and Nepal's embassy there: without them nothing is stored.
    write_registry(workdir / "partners.yml", make_maintainer(workdir), partners=[{
        "id": "gulf-helpline", "name": "Gulf Workers Helpline", "kind": "ngo",
        "countries": ["QA"], "categories": ["*"], "languages": ["en", "ne"],
        "public_key": PARTNER_KEYS[0].public_key, "verify_key": PARTNER_KEYS[1].public_key,
        "webhook_url": f"{partner.url}/reports"}], consulates=[{
        "id": "np-embassy-doha", "name": "Embassy of Nepal, Doha", "kind": "embassy",
        "nationality": "NP", "countries": ["QA"], "public_key": CONSULATE_KEYS[0].public_key,
        "webhook_url": f"{partner.url}/consulate"}])
    with kannel.bot_behind_kannel(workdir, CREDENTIALS, SECRET,
                                  {"BOT_OUTBOX_INTERVAL": "0.5"}) as running:
        yield running


@dataclass
class Worker:
    """One phone: what it sent, and every page it got back."""

    gateway: kannel.Kannel
    phone: str
    sent: int = 0
    pages: list[kannel.SmsReply] = field(default_factory=list)

    def say(self, text: str) -> list[str]:
        """Send ``text``, then MORE until the bot's answer is complete: its pages."""
        reply = self._send(text)
        pages = [reply.text]
        while reply.text.endswith("\n" + MORE_HINT):
            assert len(pages) < 6, pages
            reply = self._send(MORE)
            pages.append(reply.text)
        return pages

    def _send(self, text: str) -> kannel.SmsReply:
        self.sent += 1
        reply = self.gateway.send(self.phone, text)
        assert reply.text, f"no reply to SMS {self.sent}"
        assert reply.count <= 3, (reply.count, reply.text)  # a page is at most 3 SMS
        self.pages.append(reply)
        return reply


def menu_number(text: str, label: str) -> str:
    return next(line.split(".")[0] for line in text.splitlines() if line.endswith(label))


def _opened(partner, path: str, keys) -> list[dict]:
    return [open_delivery(body, keys[0].private_key)["report"]
            for body in partner.bodies(path)]


def test_a_whole_report_by_sms_in_nepali_costs_at_most_twelve_sms(gateway, partner):
    worker = Worker(gateway, PHONE)
    marker = f"marker{uuid.uuid4().hex[:8]}"

    (text,) = worker.say(START)  # the category menu: one page
    assert text.startswith(NE.gettext("What happened?") + "\n1. ")
    (text,) = worker.say("पासपोर्ट")  # typed, not a number: passport kept
    assert text.startswith(NE.gettext("In which country did this happen? You can also "
                                      "write its name."))
    (text,) = worker.say(menu_number(text, "कतार"))  # Qatar, from the short menu
    assert text == NE.gettext("In which city or area? Reply 0 to skip.")
    for question in ("Who is the employer or recruiter? Reply 0 to skip.",
                     "When did it happen, or since when? Reply 0 to skip."):
        assert worker.say("0") == [NE.gettext(question)]
    (text,) = worker.say("0")
    assert text.startswith(NE.gettext("Was the person this happened to under 18 years old?"))
    (text,) = worker.say("2")  # no
    assert text == NE.gettext("Tell us what happened, in your own words. Do not write your "
                              "name or phone number.")
    (text,) = worker.say(f"{marker} मालिकले मेरो पासपोर्ट आफ्नो दराजमा राखेको छ")
    # Nepal, from the phone number, is named in the question...
    assert text.startswith(NE.gettext(
        "Should a short summary, without your account, also go to the consulate of "
        "{country}?").format(country="नेपाल"))
    (text,) = worker.say("1")  # yes
    # ...so it is not asked again.
    assert NE.gettext("Which country are you from?") not in text
    assert text == NE.gettext("If the organisation may contact you, write a safe way to "
                              "reach you. Reply 0 to stay anonymous.")
    (text,) = worker.say("0")
    assert text.startswith(NE.gettext("Send this report to a partner organisation that "
                                      "helps workers? It is never shared with immigration "
                                      "or police."))
    pages = worker.say("1")  # send

    print(f"\nthe whole report cost the worker {worker.sent} SMS sent, "
          f"{sum(page.count for page in worker.pages)} received")
    assert worker.sent <= MAX_WORKER_SMS
    code = CODE.search(pages[0])
    assert code and pages[0].startswith(code.group()), pages
    assert "Gulf Workers Helpline" in pages[0] and "Embassy of Nepal, Doha" in pages[0]

    for _ in range(60):
        reports = [r for r in _opened(partner, "/reports", PARTNER_KEYS)
                   if marker in r["account"]]
        summaries = [s for s in _opened(partner, "/consulate", CONSULATE_KEYS)
                     if s["categories"] == ["passport_kept"] and s["destination"] == "QA"]
        if reports and summaries:
            break
        time.sleep(0.5)
    assert reports, "the report never reached the partner"
    assert reports[0]["categories"] == ["passport_kept"] and reports[0]["destination"] == "QA"
    assert reports[0]["nationality"] == "NP" and reports[0]["language"] == "ne"
    assert summaries and summaries[0]["nationality"] == "NP"
    assert not any(marker in json.dumps(summary) for summary in summaries)

    # Later, the code alone shows what became of the report, in the worker's language.
    (text,) = worker.say(code.group())
    assert text in {NE.gettext(status) for status in (
        "Your report was received and is waiting to be delivered.",
        "Your report was delivered to the partner organisation.")}
