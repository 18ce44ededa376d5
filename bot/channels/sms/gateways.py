"""What each SMS gateway sends us and wants back: Kannel, Twilio, Africa's Talking, JSON.

Pure functions, no I/O: parsing raises :class:`~bot.channels.base.InvalidMessage`
with a reason that holds no content (never the number, never the text), so it can
be logged and returned in a 400.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

import phonenumbers

from bot.channels.base import InvalidMessage, json_object, message_text
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
    """An ``application/x-www-form-urlencoded`` body, strictly UTF-8."""
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


# Kannel: smsbox's sms-service calls get-url (or post-url) and sends the response body back.

_KANNEL_CHARSETS = {"utf-8": "utf-8", "utf8": "utf-8", "utf-16be": "utf-16-be",
                    "ucs-2": "utf-16-be", "iso-8859-1": "latin-1", "latin1": "latin-1"}


def kannel_message(fields: dict[str, list[str]], default_region: str | None,
                   body: bytes | None = None, content_type: str = "") -> InboundSms:
    """From the query of ``get-url = ".../kannel?from=%p&text=%a&secret=..."``, or for
    ``post-url = ".../kannel?from=%p&secret=..."`` from the query and the body."""
    text = single(fields, "text", required=body is None)
    if text is None and body is not None:
        found = re.search(r'charset="?([\w-]+)', content_type, re.IGNORECASE)
        codec = _KANNEL_CHARSETS.get(found.group(1).lower() if found else "utf-8")
        if codec is None:
            raise InvalidMessage("unknown charset")
        try:
            text = body.decode(codec)
        except UnicodeDecodeError as exc:
            raise InvalidMessage("the body is not in its charset") from exc
    return inbound(single(fields, "from"), text, default_region)


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
    data = json_object(body)
    if "from" not in data:
        raise InvalidMessage("'from' is missing")
    if "text" not in data:
        raise InvalidMessage("'text' is missing")
    return inbound(data["from"], data["text"], default_region)
