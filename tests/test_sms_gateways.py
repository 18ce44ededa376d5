"""What each SMS gateway sends and wants back: numbers, Twilio signatures, TwiML, Kannel."""

from __future__ import annotations

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
])
def test_generic_json_is_refused_with_a_reason(body, reason):
    with pytest.raises(InvalidMessage) as error:
        gateways.json_message(body, None)
    assert str(error.value) == reason


def test_generic_json_messages():
    message = gateways.json_message(b'{"from": "9812345678", "text": null}', "NP")
    assert message == gateways.InboundSms("+9779812345678", "")


def test_kannel_post_url_messages_carry_the_text_in_the_body():
    fields = {"from": ["+9779812345678"]}
    message = gateways.kannel_message(fields, None, "नमस्ते".encode("utf-16-be"),
                                      'text/plain; charset="UTF-16BE"')
    assert message == gateways.InboundSms("+9779812345678", "नमस्ते")
    assert gateways.kannel_message(fields, None, b"hi", "text/plain").text == "hi"
    with pytest.raises(InvalidMessage):
        gateways.kannel_message(fields, None, b"\xff", "text/plain; charset=utf-8")
    with pytest.raises(InvalidMessage):
        gateways.kannel_message(fields, None, b"hi", "text/plain; charset=klingon")
    with pytest.raises(InvalidMessage):
        gateways.kannel_message(fields, None)  # a GET without text
