"""The SMS gateway adapters (Twilio, Africa's Talking, generic JSON, Kannel's post-url)
against the real bot, and what they refuse. Africa's Talking's API is faked on localhost."""

from __future__ import annotations

import base64
import http.server
import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

from bot.channels.sms.channel import KANNEL_NO_QUERY, KANNEL_POST_ONLY
from bot.channels.sms.encoding import segments
from bot.channels.sms.gateways import twilio_signature
from bot.render import SMS
from bot.servers import MODEL, free_port, running_bot

pytestmark = pytest.mark.model

KANNEL_SECRET, AFRICASTALKING_SECRET, GENERIC_SECRET = (uuid.uuid4().hex for _ in range(3))
TWILIO_TOKEN = uuid.uuid4().hex
HINT = "Reply MORE for the rest."
PHONE = "+9779812345678"
PHONE_FORMS = ("+9779812345678", "9779812345678", "9812345678", "981-2345678", "09812345678")
MARKER = "Qwzx my boss Vrontak keeps my passport"
BUDGET = SMS.segment_budget


class FakeAfricasTalking(http.server.ThreadingHTTPServer):
    """Africa's Talking's SMS API, as far as sending goes: records what it is asked to send."""

    def __init__(self) -> None:
        self.sent: list[tuple[dict[str, list[str]], str | None]] = []
        self.received = threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server convention
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.sent.append((urllib.parse.parse_qs(body.decode()),
                                   self.headers.get("apiKey")))
                outer.received.set()
                reply = b'{"SMSMessageData": {"Recipients": [{"status": "Success"}]}}'
                self.send_response(201)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args) -> None:
                pass

        super().__init__(("127.0.0.1", free_port()), Handler)


@pytest.fixture(scope="module")
def africastalking():
    server = FakeAfricasTalking()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("sms")


@pytest.fixture(scope="module")
def bot_url(workdir, africastalking):
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` (make test does it)")
    credentials = ("bot.channels.rest.RestChannel:\n"
                   "bot.channels.sms.SmsChannel:\n"
                   "  default_region: NP\n"
                   "  africastalking_username: sandbox\n"
                   f"  africastalking_api_url: http://127.0.0.1:{africastalking.server_port}\n")
    env = {"BOT_SMS_KANNEL_SECRET": KANNEL_SECRET,
           "BOT_SMS_AFRICASTALKING_SECRET": AFRICASTALKING_SECRET,
           "BOT_SMS_GENERIC_SECRET": GENERIC_SECRET, "BOT_TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
           "BOT_AFRICASTALKING_API_KEY": "at-test-key"}
    with running_bot(workdir, credentials=credentials, extra_env=env) as url:
        yield url


def post(url: str, body: bytes, headers: dict[str, str] | None = None,
         method: str = "POST") -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body if method == "POST" else None,
                                     headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - localhost
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def generic(bot_url: str, sender: object, text: object) -> tuple[int, list[str]]:
    status, body = post(f"{bot_url}/webhooks/sms/generic",
                        json.dumps({"from": sender, "text": text}).encode(),
                        {"Content-Type": "application/json", "X-Bot-Secret": GENERIC_SECRET})
    texts = [message["text"] for message in json.loads(body)["messages"]] if status == 200 else []
    return status, texts


def twilio(bot_url: str, fields: dict[str, str], signature: str | None = None
           ) -> tuple[int, bytes]:
    url = f"{bot_url}/webhooks/sms/twilio"
    if signature is None:
        signature = twilio_signature(url, {k: [v] for k, v in fields.items()}, TWILIO_TOKEN)
    return post(url, urllib.parse.urlencode(fields).encode(),
                {"Content-Type": "application/x-www-form-urlencoded",
                 "X-Twilio-Signature": signature})


def new_phone() -> str:
    return f"+9779812{uuid.uuid4().int % 10**6:06d}"  # a Nepali mobile number


def test_twilio_with_a_good_signature_gets_twiml(bot_url):
    status, body = twilio(bot_url, {"From": PHONE, "To": "+15005550006", "Body": "hello",
                                    "MessageSid": "SM" + "0" * 32})
    assert status == 200
    text = body.decode()
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?><Response><Message>')
    assert "नेपाली" in text


@pytest.mark.parametrize("signature", ["", "bm90IGEgc2lnbmF0dXJl", "wrong"])
def test_twilio_with_a_bad_signature_gets_403(bot_url, signature):
    status, _body = twilio(bot_url, {"From": PHONE, "Body": "hello"}, signature=signature)
    assert status == 403


def test_twilio_signed_for_other_fields_gets_403(bot_url):
    url = f"{bot_url}/webhooks/sms/twilio"
    signature = twilio_signature(url, {"From": [PHONE], "Body": ["hello"]}, TWILIO_TOKEN)
    status, _body = twilio(bot_url, {"From": PHONE, "Body": "send me money"}, signature)
    assert status == 403


def test_generic_json_conversation_with_pages_and_more(bot_url):
    phone = new_phone()
    status, texts = generic(bot_url, phone, "hello")
    assert status == 200 and len(texts) == 1
    assert segments(texts[0]) <= BUDGET
    pages = texts
    while pages[-1].endswith("\n" + HINT):
        assert len(pages) < 10
        _status, more = generic(bot_url, phone, " more ")
        pages += more
    whole = "\n".join(page.removesuffix("\n" + HINT) for page in pages)
    assert "Choose your language:" in whole
    assert "10." in whole  # the whole language menu, numbered, across the pages
    assert all(segments(page) <= BUDGET for page in pages)


def test_more_with_nothing_waiting_and_sources_are_answered_by_the_bot(bot_url):
    phone = new_phone()
    _status, pages = generic(bot_url, phone, "what rights do domestic workers have?")
    while pages[-1].endswith("\n" + HINT):
        assert len(pages) < 10
        pages += generic(bot_url, phone, "MORE")[1]
    for keyword in ("MORE", "SOURCES", "स्रोत"):
        status, texts = generic(bot_url, phone, keyword)
        assert status == 200 and texts and all(texts), keyword
        assert all(segments(text) <= BUDGET for text in texts)


def test_a_sentence_with_a_keyword_in_it_is_a_question(bot_url):
    phone = new_phone()
    _status, texts = generic(bot_url, phone, "what rights do domestic workers have?")
    assert ", not yet checked)" in "\n".join(texts)
    _status, stop = generic(bot_url, phone, "Stop.")
    assert stop == ['OK. Ask me a question, or say "help" to see all topics.']
    _status, help_menu = generic(bot_url, phone, "AYUDA")
    assert help_menu[0].startswith("I can tell you about these topics:")


def test_stop_cancels_a_report_in_progress(bot_url):
    phone = new_phone()
    _status, texts = generic(bot_url, phone, "I want to report abuse by my employer")
    assert texts[0].startswith("What happened?\n1. Wages not paid")  # short, for SMS
    _status, texts = generic(bot_url, phone, "STOP")
    assert texts == ["Your report was not sent, and your answers were deleted."]


def test_africastalking_form_is_answered_through_its_api(bot_url, africastalking):
    africastalking.received.clear()
    form = urllib.parse.urlencode({"from": "+9779812345678", "to": "20880", "text": "hello",
                                   "date": "2026-12-01 10:00:00", "id": "ATXid_1"}).encode()
    status, body = post(f"{bot_url}/webhooks/sms/africastalking?secret={AFRICASTALKING_SECRET}",
                        form,
                        {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200, body
    assert africastalking.received.wait(30)
    fields, api_key = africastalking.sent[-1]
    assert api_key == "at-test-key"
    assert fields["to"] == ["+9779812345678"] and fields["username"] == ["sandbox"]
    assert "Choose your language:" in fields["message"][0]


def kannel_headers(sender: str | None = None, secret: str = KANNEL_SECRET,
                   content_type: str = 'text/plain; charset="UTF-8"') -> dict[str, str]:
    """The headers of Kannel's post-url request with send-sender = true."""
    credentials = base64.b64encode(f"kannel:{secret}".encode()).decode()
    headers = {"Content-Type": content_type, "X-Kannel-To": "1234",
               "Authorization": f"Basic {credentials}"}
    if sender is not None:
        headers["X-Kannel-From"] = sender
    return headers


def test_kannel_post_url_answers_with_the_reply_as_plain_text(bot_url):
    status, body = post(f"{bot_url}/webhooks/sms/kannel", b"hello",
                        kannel_headers(new_phone()))
    assert status == 200 and "Choose your language:" in body.decode("utf-8")


def test_kannel_ucs2_bodies_are_read(bot_url):
    status, body = post(f"{bot_url}/webhooks/sms/kannel", "नमस्ते".encode("utf-16-be"),
                        kannel_headers(new_phone(),
                                       content_type='text/plain; charset="UTF-16BE"'))
    assert status == 200 and "नेपाली" in body.decode("utf-8")


def test_kannel_get_url_gets_405_with_what_to_do(bot_url):
    query = urllib.parse.urlencode({"from": new_phone(), "to": "1234", "text": "hello",
                                    "secret": KANNEL_SECRET})
    status, body = post(f"{bot_url}/webhooks/sms/kannel?{query}", b"", method="GET")
    assert (status, json.loads(body)) == (405, {"error": KANNEL_POST_ONLY})


@pytest.mark.parametrize("query", [
    f"secret={KANNEL_SECRET}", "from=%2B9779812345678", "text=hello", "to=1234",
])
def test_kannel_with_anything_in_the_query_gets_400_with_what_to_do(bot_url, query):
    status, body = post(f"{bot_url}/webhooks/sms/kannel?{query}", b"hello",
                        kannel_headers(new_phone()))
    assert (status, json.loads(body)) == (400, {"error": KANNEL_NO_QUERY})


@pytest.mark.parametrize(("body", "headers", "status", "reason"), [
    (b"hello", kannel_headers(None), 400,
     "X-Kannel-From is missing: set send-sender = true in the sms-service "
     "(see docs/kannel.conf)"),
    (b"\xff", kannel_headers(PHONE), 400, "the body is not in its charset"),
    (b"hello", kannel_headers("12"), 400, "the sender is not a valid phone number"),
    (b"hello", kannel_headers(PHONE, secret=GENERIC_SECRET), 403, "missing or wrong secret"),
    (b"hello", {"Content-Type": "text/plain", "X-Kannel-From": PHONE}, 403,
     "missing or wrong secret"),
])
def test_bad_kannel_requests_are_refused_with_the_reason(bot_url, body, headers, status, reason):
    answer_status, answer = post(f"{bot_url}/webhooks/sms/kannel", body, headers)
    assert (answer_status, json.loads(answer)) == (status, {"error": reason})


@pytest.mark.parametrize(("path", "headers"), [
    ("generic", {"Content-Type": "application/json", "X-Bot-Secret": KANNEL_SECRET}),
    ("generic", {"Content-Type": "application/json", "X-Bot-Secret": AFRICASTALKING_SECRET}),
    (f"generic?secret={GENERIC_SECRET}", {"Content-Type": "application/json"}),
    (f"africastalking?secret={GENERIC_SECRET}",
     {"Content-Type": "application/x-www-form-urlencoded"}),
])
def test_one_gateways_secret_opens_no_other(bot_url, path, headers):
    body = (json.dumps({"from": PHONE, "text": "hello"}).encode() if path.startswith("generic")
            else urllib.parse.urlencode({"from": PHONE, "text": "hello"}).encode())
    status, answer = post(f"{bot_url}/webhooks/sms/{path}", body, headers)
    assert (status, json.loads(answer)) == (403, {"error": "missing or wrong secret"})


@pytest.mark.parametrize(("path", "body", "content_type"), [
    ("generic", b"{not json", "application/json"),
    ("generic", b"[]", "application/json"),
    ("generic", b'{"text": "hello"}', "application/json"),
    ("generic", b'{"from": "+9779812345678"}', "application/json"),
    ("generic", b'{"from": "+9779812345678", "text": 5}', "application/json"),
    ("generic", b'{"from": 9779812345678, "text": "hi"}', "application/json"),
    ("generic", b"\xff\xfe\x00garbage", "application/json"),
    ("africastalking", b"from=%2B9779812345678", "application/x-www-form-urlencoded"),
    ("africastalking", b"text=hello", "application/x-www-form-urlencoded"),
    ("africastalking", b"from=%2B9779812345678&text=%FF%FE", "application/x-www-form-urlencoded"),
    ("africastalking", b"\xff\xfe=\x00", "application/x-www-form-urlencoded"),
    ("twilio", b"From=%2B9779812345678&Body=%FF", "application/x-www-form-urlencoded"),
])
def test_malformed_requests_get_400_and_the_next_message_works(bot_url, path, body,
                                                               content_type):
    query = f"?secret={AFRICASTALKING_SECRET}" if path == "africastalking" else ""
    status, _body = post(f"{bot_url}/webhooks/sms/{path}{query}", body,
                         {"Content-Type": content_type, "X-Bot-Secret": GENERIC_SECRET}
                         if path == "generic" else {"Content-Type": content_type})
    assert status == 400
    status, texts = generic(bot_url, new_phone(), "hello")
    assert status == 200 and texts


@pytest.mark.parametrize("headers", [{}, {"X-Bot-Secret": "wrong"}])
def test_requests_without_the_secret_get_403(bot_url, headers):
    status, _body = post(f"{bot_url}/webhooks/sms/generic",
                         json.dumps({"from": PHONE, "text": "hello"}).encode(),
                         {"Content-Type": "application/json", **headers})
    assert status == 403


@pytest.mark.parametrize("number", ["12", "+1", "not a number", "+977123", "0" * 40,
                                    "+99912345678"])
def test_a_bad_phone_number_gets_400_without_echoing_it(bot_url, number):
    status, body = post(f"{bot_url}/webhooks/sms/generic",
                        json.dumps({"from": number, "text": "hello"}).encode(),
                        {"Content-Type": "application/json", "X-Bot-Secret": GENERIC_SECRET})
    assert status == 400
    assert number.encode() not in body
    assert generic(bot_url, new_phone(), "hello")[0] == 200


def test_a_10_kb_text_is_answered_within_the_budget(bot_url):
    status, texts = generic(bot_url, new_phone(), "agency fee " * 1000)
    assert status == 200 and texts and all(segments(text) <= BUDGET for text in texts)


def test_sms_leaves_no_number_or_text_behind(bot_url, workdir):
    assert generic(bot_url, PHONE, MARKER)[0] == 200
    stored = b"".join(path.read_bytes() for path in workdir.iterdir()
                      if path.is_file() and re.search(r"\.(db|log)$", path.name))
    assert (workdir / "tracker.db").exists() and stored
    for secret in (*PHONE_FORMS, MARKER, "Vrontak", "send me money"):
        assert secret.encode("utf-8") not in stored, secret
