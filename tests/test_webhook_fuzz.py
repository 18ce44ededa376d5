"""Property-based fuzzing of every webhook against the real servers (hypothesis).

One Rasa server serves REST, web, Telegram, the four SMS gateways and the partner
API, with the real action server and the trained model. Each webhook gets
:data:`EXAMPLES_PER_WEBHOOK` generated requests (10,000 in all): well-formed ones
with valid credentials and hostile text, wrong types in every field, raw bytes,
missing or wrong secrets. None may get a 5xx, the servers must stay up, and a normal
conversation must still work afterwards. Only Telegram's and Africa's Talking's
servers are faked, on localhost.
"""

from __future__ import annotations

import base64
import http.client
import json
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.channels.sms.gateways import twilio_signature
from bot.reports import crypto
from bot.reports.partner_tools import signed_reply
from bot.servers import CHANNELS, MODEL, post_message, running_bot
from tests.support.fake_telegram import TOKEN, running_fake_telegram
from tests.support.partner_servers import ok, partner_server
from tests.support.registry import make_maintainer, write_registry

pytestmark = pytest.mark.model

EXAMPLES_PER_WEBHOOK = 1250  # eight webhooks: 10,000 requests
TELEGRAM_SECRET = "fuzz-telegram_" + uuid.uuid4().hex
KANNEL_SECRET, GENERIC_SECRET, AT_SECRET = (uuid.uuid4().hex for _ in range(3))
TWILIO_TOKEN = uuid.uuid4().hex
PARTNER_KEYS = crypto.new_partner_keys()
FUZZ = settings(max_examples=EXAMPLES_PER_WEBHOOK, deadline=None, database=None,
                suppress_health_check=list(HealthCheck), derandomize=True)

# Values of any JSON type, for fields that expect one type.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12)
# What a worker, or an attacker, might type: any Unicode, long digit runs, payloads.
hostile_text = st.one_of(
    st.text(max_size=300),
    st.just("9" * 4400),
    st.sampled_from(['/choose_option{"choice": 5}', '/choose_option{"choice": null}',
                     "/inform{\"report_account\": [1]}", "/report_abuse", "/stop",
                     "\u202e\u200b\ufeff", "K7QM-3X9P-2D0A", "%s%n{0}", "<script>", ""]),
)
VALID_NUMBERS = st.sampled_from(["+9779812345678", "+639171234567"])
numbers = st.one_of(st.sampled_from(["+9779812345678", "+97455123456", "9779812345678"]),
                    st.text(max_size=30))


# Statuses answered, by webhook: the fuzzing is not vacuous if some got through.
STATUSES: dict[str, Counter[int]] = defaultdict(Counter)


@dataclass(frozen=True)
class Server:
    url: str

    def send(self, webhook: str, method: str, path: str, body: bytes = b"",
             headers: dict[str, str | bytes] | None = None) -> int:
        """:meth:`request`, its status counted under ``webhook``."""
        status = self.request(method, path, body, headers)
        STATUSES[webhook][status] += 1
        return status

    def request(self, method: str, path: str, body: bytes = b"",
                headers: dict[str, str | bytes] | None = None) -> int:
        """One request on a fresh connection (a broken one must not hide the next)."""
        parts = urlsplit(self.url)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            response.read()
            return response.status
        finally:
            connection.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` (make test does it)")
    workdir = tmp_path_factory.mktemp("fuzz")
    credentials = (CHANNELS + "bot.channels.web.WebChannel:\n"
                   "bot.channels.telegram.TelegramChannel:\n"
                   "bot.channels.sms.SmsChannel:\n  default_region: NP\n")
    with running_fake_telegram() as telegram, partner_server(ok) as africastalking:
        write_registry(workdir / "partners.yml", make_maintainer(workdir), partners=[{
            "id": "helpline", "name": "Migrant Helpline", "kind": "ngo", "countries": ["*"],
            "public_key": PARTNER_KEYS[0].public_key,
            "verify_key": PARTNER_KEYS[1].public_key,
            "webhook_url": f"{africastalking.url}/reports"}])
        env = {"BOT_TELEGRAM_TOKEN": TOKEN, "BOT_TELEGRAM_SECRET": TELEGRAM_SECRET,
               "BOT_TELEGRAM_API_URL": telegram.api_url,
               "BOT_SMS_KANNEL_SECRET": KANNEL_SECRET, "BOT_SMS_GENERIC_SECRET": GENERIC_SECRET,
               "BOT_SMS_AFRICASTALKING_SECRET": AT_SECRET,
               "BOT_AFRICASTALKING_USERNAME": "fuzz", "BOT_AFRICASTALKING_API_KEY": "fuzz",
               "BOT_AFRICASTALKING_API_URL": africastalking.url,
               "BOT_TWILIO_AUTH_TOKEN": TWILIO_TOKEN, "BOT_OUTBOX_INTERVAL": "1"}
        with running_bot(workdir, credentials=credentials, extra_env=env) as url:
            yield Server(url)


def _whole(data: st.DataObject) -> bool:
    """Whether this request is to be well-formed and authenticated throughout: one in six,
    so that the bot behind the door is exercised, and most requests are hostile."""
    return data.draw(st.integers(0, 5)) == 0


def _json_body(data: st.DataObject, fields: dict[str, st.SearchStrategy],
               whole: bool) -> bytes:
    """A JSON object with the expected fields when ``whole``; else the same with fields
    dropped or of another type, or any JSON value, or raw bytes."""
    shape = "valid" if whole else data.draw(st.sampled_from(["wrong types", "any json",
                                                             "bytes"]))
    if shape == "bytes":
        return data.draw(st.binary(max_size=2000))
    if shape == "any json":
        return json.dumps(data.draw(json_values)).encode()
    body = {}
    for name, strategy in fields.items():
        if shape == "wrong types" and data.draw(st.booleans()):
            if data.draw(st.booleans()):
                body[name] = data.draw(json_values)
            continue
        body[name] = data.draw(strategy)
    return json.dumps(body, ensure_ascii=data.draw(st.booleans())).encode()


def _secret(data: st.DataObject, right: str, whole: bool) -> str | None:
    """The right secret when ``whole``; else often wrong or missing."""
    return right if whole else data.draw(st.sampled_from([right, None, "wrong", right + "x"]))


def _json_headers(data: st.DataObject, header: str, right: str, whole: bool) -> dict[str, str]:
    """A JSON request's headers, with the secret in ``header`` (see :func:`_secret`)."""
    headers = {"Content-Type": "application/json"}
    secret = _secret(data, right, whole)
    if secret is not None:
        headers[header] = secret
    return headers


@FUZZ
@given(data=st.data())
def test_rest(server, data):
    body = _json_body(data, {"sender": st.text(max_size=40), "message": hostile_text,
                             "metadata": st.dictionaries(st.text(max_size=12), json_values)},
                      _whole(data))
    assert server.send("rest", "POST", "/webhooks/rest/webhook", body,
                          {"Content-Type": "application/json"}) < 500


@FUZZ
@given(data=st.data())
def test_web(server, data):
    sessions = st.one_of(st.from_regex(r"[A-Za-z0-9_-]{16,40}", fullmatch=True),
                         st.text(max_size=40))
    whole = _whole(data)
    if whole:
        sessions = st.from_regex(r"[A-Za-z0-9_-]{16,40}", fullmatch=True)
    body = _json_body(data, {"session": sessions, "message": hostile_text,
                             "language": st.sampled_from(["en", "ne", "xx", ""])}, whole)
    assert server.send("web", "POST", "/webhooks/web/webhook", body,
                          {"Content-Type": "application/json"}) < 500


@FUZZ
@given(data=st.data())
def test_telegram(server, data):
    whole = _whole(data)
    user_id = data.draw(st.integers(1, 2**40) if whole else st.integers(1, 2**40) | json_values)
    user = {"id": user_id, "is_bot": False, "first_name": "Fuzz",
            "language_code": data.draw(st.sampled_from(["en", "ne"]))}
    message = {"message_id": 1, "date": 1_700_000_000, "from": user,
               "chat": {"id": user_id, "type": "private"}, "text": data.draw(hostile_text)}
    kind = data.draw(st.sampled_from(["message", "callback_query", "edited_message"]))
    update = {"update_id": data.draw(st.integers(0, 2**31))}
    if kind == "callback_query":
        update[kind] = {"id": "1", "from": user, "chat_instance": "1", "message": message,
                        "data": data.draw(hostile_text)}
    else:
        update[kind] = message
    body = json.dumps(update).encode()
    if not whole:
        body = data.draw(st.sampled_from([body, body[:-3], json.dumps(
            {**update, kind: data.draw(json_values)}).encode(), json.dumps(
            {"update_id": data.draw(json_values), kind: message}).encode()]))
    headers = _json_headers(data, "X-Telegram-Bot-Api-Secret-Token", TELEGRAM_SECRET, whole)
    assert server.send("telegram", "POST", "/webhooks/telegram/webhook", body, headers) < 500


@FUZZ
@given(data=st.data())
def test_kannel(server, data):
    whole = _whole(data)
    text = data.draw(hostile_text)
    number = data.draw(VALID_NUMBERS if whole else numbers).encode("utf-8")
    headers: dict[str, str | bytes] = {
        "Content-Type": 'text/plain; charset="UTF-8"',
        # Any bytes a header can carry (http.client refuses line breaks in them).
        "X-Kannel-From": number.replace(b"\r", b"").replace(b"\n", b"")}
    body, path, method = text.encode("utf-8", "replace"), "/webhooks/sms/kannel", "POST"
    if not whole:
        headers["Content-Type"] = data.draw(st.sampled_from([
            'text/plain; charset="UTF-8"', 'text/plain; charset="UTF-16BE"',
            "application/octet-stream", "text/plain; charset=klingon", ""]))
        if data.draw(st.booleans()):
            del headers["X-Kannel-From"]
        body = data.draw(st.sampled_from([body, text.encode("utf-16-be", "replace"),
                                          data.draw(st.binary(max_size=400))]))
        path += data.draw(st.sampled_from(["", "?from=%2B977&text=x", "?secret=x"]))
        method = data.draw(st.sampled_from(["POST", "GET"]))
    secret = _secret(data, KANNEL_SECRET, whole)
    if secret is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(
            f"kannel:{secret}".encode()).decode()
    assert server.send("kannel", method, path, body, headers) < 500


def _form(data: st.DataObject, fields: dict[str, st.SearchStrategy],
          whole: bool) -> dict[str, list[str]]:
    """Every field when ``whole``; else some of them."""
    return {name: [data.draw(strategy)] for name, strategy in fields.items()
            if whole or data.draw(st.booleans())}


@FUZZ
@given(data=st.data())
def test_twilio(server, data):
    whole = _whole(data)
    fields = _form(data, {"From": VALID_NUMBERS if whole else numbers,
                          "Body": hostile_text, "MessageSid": st.text()}, whole)
    body = urlencode({name: values[0] for name, values in fields.items()}).encode()
    url = f"{server.url}/webhooks/sms/twilio"
    signature = twilio_signature(url, fields, TWILIO_TOKEN)
    if not whole:
        signature = data.draw(st.sampled_from([signature, "forged", ""]))
        body = data.draw(st.sampled_from([body, data.draw(st.binary(max_size=500))]))
    assert server.send("twilio", "POST", "/webhooks/sms/twilio", body, {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": signature}) < 500


@FUZZ
@given(data=st.data())
def test_africastalking(server, data):
    whole = _whole(data)
    fields = _form(data, {"from": VALID_NUMBERS if whole else numbers,
                          "text": hostile_text, "to": st.text(max_size=10)}, whole)
    body = urlencode({name: values[0] for name, values in fields.items()}).encode()
    if not whole:
        body = data.draw(st.sampled_from([body, data.draw(st.binary(max_size=500))]))
    secret = _secret(data, AT_SECRET, whole)
    path = "/webhooks/sms/africastalking" + (f"?secret={secret}" if secret else "")
    assert server.send("africastalking", "POST", path, body,
                       {"Content-Type": "application/x-www-form-urlencoded"}) < 500


@FUZZ
@given(data=st.data())
def test_generic(server, data):
    whole = _whole(data)
    body = _json_body(data, {"from": VALID_NUMBERS if whole else numbers,
                             "text": hostile_text}, whole)
    headers = _json_headers(data, "X-Bot-Secret", GENERIC_SECRET, whole)
    assert server.send("generic", "POST", "/webhooks/sms/generic", body, headers) < 500


@FUZZ
@given(data=st.data())
def test_partner_reply(server, data):
    whole = _whole(data)
    body, signature = signed_reply(data.draw(st.sampled_from(["helpline", "nobody"])),
                                   data.draw(st.text(min_size=1, max_size=40)),
                                   data.draw(st.text(min_size=1) | hostile_text),
                                   PARTNER_KEYS[1].private_key)
    if not whole:
        body = _json_body(data, {"partner_id": st.text(max_size=20),
                                 "report_id": st.text(max_size=40), "text": hostile_text,
                                 "sent_at": st.integers(), "nonce": st.text(max_size=40)},
                          data.draw(st.booleans()))
        signature = data.draw(st.sampled_from([signature, "forged", ""]))
    assert server.send("partner_reply", "POST", "/webhooks/partners/reply", body, {
        "Content-Type": "application/json", "X-Partner-Signature": signature}) < 500


def test_every_webhook_was_reached_and_a_normal_conversation_still_works(server):
    for webhook in ("rest", "web", "telegram", "kannel", "twilio", "africastalking",
                    "generic", "partner_reply"):
        answered = STATUSES[webhook]
        assert sum(answered.values()) == EXAMPLES_PER_WEBHOOK, webhook
        assert not [status for status in answered if status >= 500], (webhook, answered)
        # Enough got past the door to exercise the bot behind it, not only the refusals
        # (a signed reply to a report that does not exist is a 404 from the database).
        through = {404, 409} if webhook == "partner_reply" else set()
        assert sum(n for status, n in answered.items() if status < 300 or status in through) \
            >= EXAMPLES_PER_WEBHOOK // 20, (webhook, answered)
    replies = post_message(server.url, "after-the-fuzz", "how much can the agency charge me?")
    assert replies and all(reply.get("text") for reply in replies)
    answer = server.request("POST", "/webhooks/sms/generic", json.dumps(
        {"from": "+9779812345678", "text": "hello"}).encode(), {
        "Content-Type": "application/json", "X-Bot-Secret": GENERIC_SECRET})
    assert answer == 200
