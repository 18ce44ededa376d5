"""What each SMS gateway sends and wants back: numbers, Twilio signatures, TwiML, Kannel's
post-url bodies and Basic authorization."""

from __future__ import annotations

import base64

import pytest

from bot.channels.base import InvalidMessage
from bot.channels.sms import gateways


@pytest.mark.parametrize(("raw", "region", "expected"), [
    ("+9779812345678", None, "+9779812345678"),
    ("9812345678", "NP", "+9779812345678"),
    ("00977 981-2345678", "NP", "+9779812345678"),
    ("+63 917 123 4567", "NP", "+639171234567"),
])
def test_numbers_are_normalised_to_e164(raw, region, expected):
    assert gateways.e164(raw, region) == expected


@pytest.mark.parametrize("raw", ["12", "9812345678", "abc", "", None, 5, "+" + "1" * 40])
def test_bad_numbers_are_refused_without_being_echoed(raw):
    with pytest.raises(InvalidMessage) as error:
        gateways.e164(raw, None)
    assert str(error.value) in {"the sender must be a phone number",
                                "the sender is not a valid phone number"}


@pytest.mark.parametrize(("number", "region"), [
    ("+9779812345678", "NP"), ("+639171234567", "PH"), ("+8801712345678", "BD"),
    ("+14155550100", "US"), ("+16135550100", "CA"), ("+80012345678", None),
])
def test_the_origin_is_the_country_of_the_number(number, region):
    assert gateways.origin_region(number) == region


def test_twilio_signature_matches_twilios_documented_example():
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    fields = {"CallSid": ["CA1234567890ABCDE"], "Caller": ["+14158675309"],
              "Digits": ["1234"], "From": ["+14158675309"], "To": ["+18005551212"]}
    assert gateways.twilio_signature(url, fields, "12345") == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    assert gateways.twilio_signature_ok(url, fields, "12345", "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
    assert not gateways.twilio_signature_ok(url, fields, "12346",
                                            "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
    assert not gateways.twilio_signature_ok(url + "&x=1", fields, "12345",
                                            "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
    assert not gateways.twilio_signature_ok(url, fields, "12345", None)
    repeated = {"Sid": ["CA123"], "SidAccount": ["AC123"], "Digits": ["5678", "1234", "1234"]}
    assert gateways.twilio_signature(url, repeated, "12345") == "IK+Dwps556ElfBT0I3Rgjkr1wJU="


def test_twiml_escapes_the_text():
    assert gateways.twiml("1 < 2 & 3") == ('<?xml version="1.0" encoding="UTF-8"?><Response>'
                                           "<Message>1 &lt; 2 &amp; 3</Message></Response>")
    assert gateways.twiml("").endswith("<Response></Response>")


def test_kannel_replies_ask_for_ucs2_only_when_gsm7_cannot_say_it():
    assert "X-Kannel-Coding" not in gateways.kannel_reply("Hello é")[1]
    body, headers = gateways.kannel_reply("नमस्ते")
    assert headers["X-Kannel-Coding"] == "2" and body == "नमस्ते".encode()


def test_long_texts_are_cut_and_strict_forms_refuse_bad_utf8():
    assert len(gateways.inbound("+9779812345678", "a" * 10_000, None).text) == 5000
    with pytest.raises(InvalidMessage):
        gateways.form_fields(b"from=%2B1&text=%FF")
    with pytest.raises(InvalidMessage):
        gateways.single({"from": ["a", "b"]}, "from")
    with pytest.raises(InvalidMessage) as error:
        gateways.inbound("+9779812345678", 5, None)
    assert str(error.value) == "the text must be a string"


@pytest.mark.parametrize(("body", "reason"), [
    (b"[]", "the body must be a JSON object"),
    (b"\xff", "the body must be a JSON object in UTF-8"),
    (b'{"text": "hi"}', "'from' is missing"),
    (b'{"from": "+9779812345678"}', "'text' is missing"),
    (b"[" * 5000, "the body is nested too deeply"),
])
def test_generic_json_is_refused_with_a_reason(body, reason):
    with pytest.raises(InvalidMessage) as error:
        gateways.json_message(body, None)
    assert str(error.value) == reason


def test_generic_json_messages():
    message = gateways.json_message(b'{"from": "9812345678", "text": null}', "NP")
    assert message == gateways.InboundSms("+9779812345678", "")


def test_kannel_post_url_messages_carry_the_number_in_a_header_and_the_text_in_the_body():
    message = gateways.kannel_message("+9779812345678", "नमस्ते".encode("utf-16-be"),
                                      'text/plain; charset="UTF-16BE"', "2", None)
    assert message == gateways.InboundSms("+9779812345678", "नमस्ते")
    assert gateways.kannel_message("9812345678", b"hi", 'text/plain; charset="UTF-8"', "0",
                                   "NP") == gateways.InboundSms("+9779812345678", "hi")


@pytest.mark.parametrize(("body", "content_type", "coding", "text"), [
    (b"hi", "text/plain", None, "hi"),  # no charset: UTF-8
    ("é".encode(), 'text/plain; charset="UTF-8"', "0", "é"),
    (b"\xe9", 'text/plain; charset="ISO-8859-1"', "0", "é"),
    ("नमस्ते".encode("utf-16-be"), 'text/plain; charset="UTF-16BE"', "2", "नमस्ते"),
    ("नमस्ते".encode("utf-16-be"), "text/plain; charset=ucs-2", "2", "नमस्ते"),
    ("नमस्ते".encode("utf-16-be"), "application/octet-stream", "2", "नमस्ते"),
])
def test_kannel_bodies_are_decoded_as_their_content_type_says(body, content_type, coding, text):
    assert gateways.kannel_text(body, content_type, coding) == text


@pytest.mark.parametrize(("sender", "body", "content_type", "coding", "reason"), [
    (None, b"hi", "text/plain", "0",
     "X-Kannel-From is missing: set send-sender = true in the sms-service "
     "(see docs/kannel.conf)"),
    ("+9779812345678", b"\xff", "text/plain; charset=utf-8", "0",
     "the body is not in its charset"),
    ("+9779812345678", b"hi", "text/plain; charset=klingon", "0", "unknown charset"),
    ("+9779812345678", b"\x00\x01", "application/octet-stream", "1",
     "8-bit (binary) messages are not text"),
    ("+9779812345678", b"\x00\x01", "application/octet-stream", None,
     "8-bit (binary) messages are not text"),
    ("+9779812345678", b"\xd8\x00", 'text/plain; charset="UTF-16BE"', "2",
     "the body is not in its charset"),  # a lone surrogate
])
def test_kannel_requests_that_are_no_sms_are_refused_with_a_reason(sender, body, content_type,
                                                                   coding, reason):
    with pytest.raises(InvalidMessage) as error:
        gateways.kannel_message(sender, body, content_type, coding, None)
    assert str(error.value) == reason


@pytest.mark.parametrize(("authorization", "password"), [
    ("Basic " + base64.b64encode(b"kannel:s3cret").decode(), "s3cret"),
    ("basic " + base64.b64encode(b"kannel:s3:cr:et").decode(), "s3:cr:et"),
    ("Basic " + base64.b64encode(b":s3cret").decode(), "s3cret"),
    ("Basic " + base64.b64encode(b"kannel:").decode(), ""),
    ("Basic " + base64.b64encode(b"no-colon").decode(), None),
    ("Basic !!!", None),
    ("Basic " + base64.b64encode(b"kannel:\xff").decode(), None),
    ("Bearer s3cret", None),
    ("", None),
    (None, None),
])
def test_the_password_of_a_basic_authorization(authorization, password):
    assert gateways.basic_password(authorization) == password


def test_form_and_json_bodies_over_the_cap_are_refused_unparsed():
    from bot.channels.base import MAX_BODY_BYTES

    big = b"a=" + b"x" * MAX_BODY_BYTES
    with pytest.raises(InvalidMessage, match=f"the body must be at most {MAX_BODY_BYTES} bytes"):
        gateways.form_fields(big)
    with pytest.raises(InvalidMessage, match=f"the body must be at most {MAX_BODY_BYTES} bytes"):
        gateways.json_message(b'{"from": "+9779812345678", "text": "' + b"x" * MAX_BODY_BYTES
                              + b'"}', None)
