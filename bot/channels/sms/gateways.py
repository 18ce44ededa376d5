"""What each SMS gateway sends us and wants back: Kannel, Twilio, Africa's Talking, JSON.

Pure functions, no I/O: parsing raises :class:`~bot.channels.base.InvalidMessage`
with a reason that holds no content (never the number, never the text), so it can
be logged and returned in a 400.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

import phonenumbers

from bot.channels.base import MAX_BODY_BYTES, InvalidMessage, json_object, message_text
from bot.channels.sms.encoding import is_gsm7

MAX_NUMBER_CHARS = 32


@dataclass(frozen=True)
class InboundSms:
    sender: str  # E.164, e.g. "+9779812345678": only for the duration of the request
    text: str


def e164(raw: object, default_region: str | None) -> str:
    """``raw`` as an E.164 number; numbers without "+" are read in ``default_region``."""
    if not isinstance(raw, str) or not raw.strip() or len(raw) > MAX_NUMBER_CHARS:
        raise InvalidMessage("the sender must be a phone number")
    try:
        number = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidMessage("the sender is not a valid phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidMessage("the sender is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def origin_region(number: str) -> str | None:
    """The country (ISO 3166 alpha-2) of an E.164 number; None for none (+800...) or unknown."""
    region = phonenumbers.region_code_for_number(phonenumbers.parse(number))
    if region in (None, phonenumbers.UNKNOWN_REGION, phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY):
        return None
    return region


def inbound(sender: object, text: object, default_region: str | None) -> InboundSms:
    """An SMS from ``sender`` (normalised to E.164), its text cut like every channel's."""
    return InboundSms(e164(sender, default_region), message_text(text, "the text"))


def form_fields(body: bytes) -> dict[str, list[str]]:
    """An ``application/x-www-form-urlencoded`` body, strictly UTF-8, of at most
    :data:`~bot.channels.base.MAX_BODY_BYTES`."""
    if len(body) > MAX_BODY_BYTES:
        raise InvalidMessage(f"the body must be at most {MAX_BODY_BYTES} bytes")
    try:
        return parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body),
                        errors="strict")
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidMessage("the body must be form data in UTF-8") from exc


def query_fields(query_string: str) -> dict[str, list[str]]:
    try:
        return parse_qs(query_string, keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidMessage("the query must be URL-encoded UTF-8") from exc


def single(fields: dict[str, list[str]], name: str, required: bool = True) -> str | None:
    values = fields.get(name)
    if not values:
        if required:
            raise InvalidMessage(f"'{name}' is missing")
        return None
    if len(values) > 1:
        raise InvalidMessage(f"'{name}' is given more than once")
    return values[0]


# Kannel: smsbox's sms-service POSTs each SMS to post-url and sends the response body back.

_KANNEL_CHARSETS = {"utf-8": "utf-8", "utf8": "utf-8", "utf-16be": "utf-16-be",
                    "ucs-2": "utf-16-be", "iso-8859-1": "latin-1", "latin1": "latin-1"}
KANNEL_UCS2 = "2"  # X-Kannel-Coding of a UCS-2 message (0: GSM-7, 1: 8-bit)


def kannel_message(sender: str | None, body: bytes, content_type: str, coding: str | None,
                   default_region: str | None) -> InboundSms:
    """An SMS from Kannel's ``post-url``: ``sender`` from its ``X-Kannel-From`` header (sent
    with ``send-sender = true``), the text in ``body``, decoded as ``content_type`` and
    ``coding`` (its ``X-Kannel-Coding`` header) say; see :func:`kannel_text`."""
    if sender is None:
        raise InvalidMessage("X-Kannel-From is missing: set send-sender = true in the "
                             "sms-service (see docs/kannel.conf)")
    return inbound(sender, kannel_text(body, content_type, coding), default_region)


def kannel_text(body: bytes, content_type: str, coding: str | None) -> str:
    """The text of a ``post-url`` body.

    Kannel 1.4.5 sends ``text/plain`` with the charset (``UTF-16BE`` for UCS-2, unless
    ``mo-recode`` made it UTF-8); older versions send UCS-2 as ``application/octet-stream``
    with ``X-Kannel-Coding: 2``. Without a charset, text is read as UTF-8. 8-bit (binary)
    messages are refused.
    """
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == "application/octet-stream":
        if (coding or "").strip() != KANNEL_UCS2:
            raise InvalidMessage("8-bit (binary) messages are not text")
        codec: str | None = "utf-16-be"
    else:
        found = re.search(r'charset="?([\w-]+)', content_type, re.IGNORECASE)
        codec = _KANNEL_CHARSETS.get(found.group(1).lower() if found else "utf-8")
    if codec is None:
        raise InvalidMessage("unknown charset")
    try:
        return body.decode(codec)
    except UnicodeDecodeError as exc:
        raise InvalidMessage("the body is not in its charset") from exc


def basic_password(authorization: str | None) -> str | None:
    """The password of an ``Authorization: Basic`` header (Kannel sends one for a URL
    ``http://user:password@host/...``); None if there is none, or it is not Basic."""
    scheme, _, credentials = (authorization or "").strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    _user, colon, password = decoded.partition(":")
    return password if colon else None


def kannel_reply(text: str) -> tuple[bytes, dict[str, str]]:
    """The response body and headers: UCS-2 (``X-Kannel-Coding: 2``) when GSM-7 cannot say it.

    The sms-service needs ``accept-x-kannel-headers = true`` for the coding header.
    """
    headers = {"Content-Type": "text/plain; charset=utf-8"}
    if not is_gsm7(text):
        headers["X-Kannel-Coding"] = "2"
    return text.encode("utf-8"), headers


# Twilio: a signed form POST; the reply goes back as TwiML in the response.

def twilio_signature(url: str, fields: dict[str, list[str]], auth_token: str) -> str:
    """Twilio's X-Twilio-Signature: base64 HMAC-SHA1 of the URL and the sorted parameters.

    Repeated values of a parameter count once, as in Twilio's own validator.
    """
    payload = url + "".join(name + value for name in sorted(fields)
                            for value in sorted(set(fields[name])))
    digest = hmac.new(auth_token.encode("utf-8"), payload.encode("utf-8"), hashlib.sha1)
    return base64.b64encode(digest.digest()).decode("ascii")


def twilio_signature_ok(url: str, fields: dict[str, list[str]], auth_token: str,
                        signature: str | None) -> bool:
    if not signature:
        return False
    expected = twilio_signature(url, fields, auth_token)
    return hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "replace"))


def twilio_message(fields: dict[str, list[str]], default_region: str | None) -> InboundSms:
    return inbound(single(fields, "From"), single(fields, "Body"), default_region)


def twiml(text: str) -> str:
    message = f"<Message>{escape(text)}</Message>" if text else ""
    return f'<?xml version="1.0" encoding="UTF-8"?><Response>{message}</Response>'


# Africa's Talking: a form POST (from, to, text, ...); the reply is sent through its API.

def africastalking_message(fields: dict[str, list[str]], default_region: str | None
                           ) -> InboundSms:
    return inbound(single(fields, "from"), single(fields, "text"), default_region)


# Generic JSON (RapidPro "external" style): {"from", "text"} in, {"messages": [...]} out.

def json_message(body: bytes, default_region: str | None) -> InboundSms:
    data = json_object(body, MAX_BODY_BYTES)
    if "from" not in data:
        raise InvalidMessage("'from' is missing")
    if "text" not in data:
        raise InvalidMessage("'text' is missing")
    return inbound(data["from"], data["text"], default_region)
