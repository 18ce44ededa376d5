"""A report made, delivered, answered and followed up over REST, in every language."""

from __future__ import annotations

import json
import re
import sqlite3
import time
import uuid
from pathlib import Path

import pytest

from bot.countries import country_name
from bot.reports import crypto
from bot.reports.partner_tools import PartnerToolError, open_delivery, send_reply, signed_reply
from bot.servers import MODEL, post_message, running_bot
from tests.support.fake_partner import FakePartner, running_fake_partner
from tests.support.registry import make_maintainer, write_registry

pytestmark = pytest.mark.model
CODE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b")

# "I want to report abuse" and "any news on my report?", written for this test.
START = {
    "en": "I want to report my employer for abuse",
    "tl": "gusto kong i-report ang amo ko dahil sa pang-aabuso",
    "ne": "म मेरो मालिकको दुर्व्यवहारको उजुरी यहाँ रिपोर्ट गर्न चाहन्छु",
    "id": "saya mau melaporkan majikan saya karena kekerasan",
    "bn": "আমি আমার মালিকের নির্যাতনের রিপোর্ট করতে চাই",
    "am": "የአሰሪዬን በደል ሪፖርት ማድረግ እፈልጋለሁ",
    "ar": "أريد أن أبلغ عن إساءة صاحب العمل",
    "es": "quiero denunciar a mi empleador por abuso",
    "fr": "je veux signaler mon employeur pour abus",
    "hi": "मैं अपने मालिक के शोषण की रिपोर्ट करना चाहती हूँ",
}
FOLLOW_UP = {
    "en": "any news about my report?",
    "tl": "may balita na ba sa report ko?",
    "ne": "मेरो रिपोर्टको के भयो?",
    "id": "ada kabar tentang laporan saya?",
    "bn": "আমার রিপোর্টের কোনো খবর আছে?",
    "am": "ስለ ሪፖርቴ ምንም ዜና አለ?",
    "ar": "هل من جديد بخصوص بلاغي؟",
    "es": "¿hay novedades de mi denuncia?",
    "fr": "du nouveau pour mon signalement ?",
    "hi": "मेरी रिपोर्ट का क्या हुआ?",
}


CONSULATE_KEYS = crypto.new_partner_keys()
SENDERS: list[str] = ["+9779800000001"]  # every number this module writes from


def _new_sender() -> str:
    """A fresh Qatari number, remembered so the audit can look for it."""
    sender = f"+97455{uuid.uuid4().int % 10**6:06d}"
    SENDERS.append(sender)
    return sender


@pytest.fixture(scope="module")
def partner():
    with running_fake_partner() as fake:
        yield fake


@pytest.fixture(scope="module")
def setup(tmp_path_factory, partner):
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train`")
    workdir = tmp_path_factory.mktemp("reports")
    encryption, signing = crypto.new_partner_keys()
    write_registry(workdir / "partners.yml", make_maintainer(workdir), partners=[{
        "id": "gulf-helpline", "name": "Gulf Workers Helpline", "kind": "ngo",
        "countries": ["QA"], "categories": ["*"], "languages": ["en"],
        "public_key": encryption.public_key, "verify_key": signing.public_key,
        "webhook_url": f"{partner.url}/reports"}], consulates=[{
        "id": "np-embassy-doha", "name": "Embassy of Nepal, Doha", "kind": "embassy",
        "nationality": "NP", "countries": ["QA"], "public_key": CONSULATE_KEYS[0].public_key,
        "webhook_url": f"{partner.url}/consulate"}])
    with running_bot(workdir, extra_env={"BOT_OUTBOX_INTERVAL": "0.5"}) as url:
        yield url, workdir, encryption, signing


def _say(url: str, sender: str, text: str) -> str:
    return "\n".join(reply.get("text", "") for reply in post_message(url, sender, text))


def _wait_for_delivery(partner: FakePartner, report_marker: str, encryption) -> dict:
    for _ in range(40):
        for delivery in [d for d in partner.received if d.path == "/reports"]:
            body, headers = delivery.body, delivery.headers
            payload = json.loads(body)
            report = json.loads(crypto.unseal(encryption.private_key,
                                              crypto.unb64(payload["sealed_body"])))
            if report_marker in report["account"]:
                return {"payload": payload, "report": report, "headers": headers, "body": body}
        time.sleep(0.5)
    raise AssertionError("the report never reached the partner")


@pytest.mark.parametrize("language", sorted(START))
def test_report_made_delivered_answered_and_followed_up(setup, partner, language):
    url, workdir, encryption, signing = setup
    sender = _new_sender()
    marker = f"marker{uuid.uuid4().hex[:8]}"
    text = _say(url, sender, START[language])
    assert "1." in text  # the category menu
    steps = ["1", country_name("QA", language), "0", "0", "0", "2",
             f"{marker} my salary was not paid for four months and they shout at me",
             "2", "0", "1"]
    for step in steps:
        text = _say(url, sender, step)
    code = CODE.search(text)
    assert code, text
    assert "Gulf Workers Helpline" in text

    delivered = _wait_for_delivery(partner, marker, encryption)
    assert delivered["report"]["destination"] == "QA"
    assert delivered["payload"]["categories"] == ["withheld_wages"]
    signature_key = (workdir / "secrets" / "webhook-signing.key").read_bytes()
    from nacl.signing import SigningKey

    our_verify_key = crypto.b64(bytes(SigningKey(signature_key).verify_key))
    assert crypto.verify_signature(our_verify_key, delivered["body"],
                                   delivered["headers"]["X-Report-Signature"])

    answer = f"Reply {marker}: we have contacted your employer."
    body, signature = signed_reply("gulf-helpline", delivered["payload"]["report_id"], answer,
                                   signing.private_key)
    assert send_reply(url, body, signature) == "stored"
    with pytest.raises(PartnerToolError, match=r"\(409\): this reply was signed more than"):
        send_reply(url, body, signature)  # a copy replayed is refused

    follower = _new_sender()  # following up from another phone
    _say(url, follower, FOLLOW_UP[language])
    text = _say(url, follower, code.group().lower())
    assert answer in text

    database = sqlite3.connect(workdir / "reports.db").execute(
        "select group_concat(hex(sealed_body)) from reports").fetchone()[0] or ""
    assert marker.encode().hex().upper() not in database


def test_a_partner_reply_with_a_bad_signature_is_refused(setup):
    url, _workdir, _encryption, _signing = setup
    import urllib.error
    import urllib.request

    body, forged = signed_reply("gulf-helpline", "x", "hi",
                                crypto.new_partner_keys()[1].private_key)
    request = urllib.request.Request(f"{url}/webhooks/partners/reply", data=body, headers={
        "Content-Type": "application/json", "X-Partner-Signature": forged})
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request, timeout=30)  # noqa: S310
    assert error.value.code == 401


def test_forget_erases_the_conversation_from_the_tracker_store(setup):
    url, workdir, _encryption, _signing = setup
    sender = SENDERS[0]
    _say(url, sender, "hello")
    _say(url, sender, "how much can the agency charge me")
    tracker = sqlite3.connect(workdir / "tracker.db")
    before = tracker.execute("select count(*), count(distinct sender_id) from events").fetchone()
    text = _say(url, sender, "please delete my data and forget me")
    assert "erased" in text
    after = tracker.execute("select count(*), count(distinct sender_id) from events").fetchone()
    assert after[1] == before[1] - 1
    assert after[0] < before[0]


def test_an_account_showing_danger_gets_emergency_contacts_and_the_report_goes_on(setup):
    url, _workdir, _encryption, _signing = setup
    sender = _new_sender()
    _say(url, sender, START["en"])
    for step in ["7", "Qatar", "0", "0", "0", "2"]:  # contract substituted, in Qatar
        _say(url, sender, step)
    text = _say(url, sender, "my employer locked me inside and hits me, I am scared, help")
    assert text.startswith("If you are in danger now")
    assert text.rstrip().endswith("1. Yes\n2. No\nReply with a number.")  # the consulate
    assert "consulate" in text
    assert "not sent" in _say(url, sender, "stop")


def test_a_consented_summary_reaches_the_consulate_of_the_workers_country(setup, partner):
    url, _workdir, _encryption, _signing = setup
    sender = _new_sender()
    marker = f"marker{uuid.uuid4().hex[:8]}"
    _say(url, sender, START["en"])
    for step in ["2", "Qatar", "Al Wakrah", "Example Cleaning Co", "since March", "2",
                 f"{marker} the madam keeps my passport in her cupboard"]:
        _say(url, sender, step)
    text = _say(url, sender, "1")  # yes, the consulate may get a summary
    assert "Which country are you from?" in text  # asked only now, because it is needed
    _say(url, sender, "Nepal")
    _say(url, sender, "0")  # no contact
    text = _say(url, sender, "1")  # send
    assert "goes to Embassy of Nepal, Doha" in text
    code = CODE.search(text).group()

    # Typed alone, from another phone, the code is understood whatever it looks like.
    text = _say(url, _new_sender(), code.lower().replace("-", " "))
    assert "Your report was" in text or "The partner organisation has answered" in text

    for _ in range(40):
        opened = [open_delivery(body, CONSULATE_KEYS[0].private_key)
                  for body in partner.bodies("/consulate")]
        summary = next((o["report"] for o in opened if o["report"]["employer"] ==
                        "Example Cleaning Co"), None)
        if summary:
            break
        time.sleep(0.5)
    assert summary, "the summary never reached the consulate"
    assert summary["nationality"] == "NP" and summary["categories"] == ["passport_kept"]
    assert "document_retention" in summary["severity"]
    assert not any(marker.encode() in body for body in partner.bodies("/consulate"))
    assert all(marker not in json.dumps(o) for o in opened)


def test_an_answer_can_be_changed_before_sending(setup, partner):
    url, _workdir, encryption, _signing = setup
    sender = _new_sender()
    marker = f"marker{uuid.uuid4().hex[:8]}"
    _say(url, sender, START["en"])
    for step in ["1", "Qatar", "Al Khor", "0", "0", "2", f"{marker} no salary since May",
                 "2", "0"]:
        text = _say(url, sender, step)
    assert "3. Change an answer" in text  # the consent question
    text = _say(url, sender, "3")
    assert "Which answer do you want to change?" in text
    city = next(line.split(".")[0] for line in text.splitlines() if "City or area" in line)
    assert "In which city or area?" in _say(url, sender, city)
    text = _say(url, sender, "Al Wakrah")
    assert "Send this report" in text  # everything else is kept: straight back to consent
    assert CODE.search(_say(url, sender, "1"))
    delivered = _wait_for_delivery(partner, marker, encryption)
    assert delivered["report"]["city"] == "Al Wakrah"
    assert delivered["report"]["account"] == f"{marker} no salary since May"


def test_stop_cancels_a_report_and_nothing_is_stored(setup):
    url, workdir, _encryption, _signing = setup
    sender = _new_sender()
    count = sqlite3.connect(workdir / "reports.db").execute(
        "select count(*) from reports").fetchone()[0]
    _say(url, sender, START["en"])
    _say(url, sender, "1")
    text = _say(url, sender, "stop")
    assert "not sent" in text
    assert sqlite3.connect(workdir / "reports.db").execute(
        "select count(*) from reports").fetchone()[0] == count


def test_audit_finds_no_phone_or_account_text_anywhere(setup):
    _url, workdir, _encryption, _signing = setup
    for path in Path(workdir).rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            # Five digits can turn up by chance in a timestamp; a whole number cannot.
            assert b"+97455" not in data, path.name
            for sender in SENDERS:
                assert sender.encode() not in data and sender[1:].encode() not in data, path.name
            assert b"my salary was not paid for four months" not in data, path.name
