"""The SMS channel's parts that need no server: keywords, pages, gateway formats."""

from __future__ import annotations

import pytest

from bot import languages
from bot.channels import sms_gateways as gateways
from bot.channels.sms import MORE_HINT, SmsSettings
from bot.i18n import translator
from bot.sms import segments
from bot.sms_keywords import KEYWORDS, PAYLOADS, match
from bot.sms_paging import BUDGET, PendingPages, join_messages, paginate


def test_every_language_has_every_keyword():
    assert set(KEYWORDS) == {language.code for language in languages.LANGUAGES}
    for table in KEYWORDS.values():
        assert set(table) == {"stop", "help", "start", "more"} and all(table.values())


@pytest.mark.parametrize(("text", "keyword"), [
    ("STOP", "stop"), ("  stop. ", "stop"), ("Stop!", "stop"), ("AYUDA", "help"),
    ("मदद", "help"), ("थप", "more"), ("Más", "more"), ("MAS", "more"), ("ابدأ", "start"),
    ("ተጨማሪ", "more"), ("থামুন", "stop"), ("suite", "more"),
])
def test_keywords_are_recognised_in_any_language(text, keyword):
    assert match(text) == keyword


@pytest.mark.parametrize("text", [
    "please help me", "stop my agency from taking my passport", "more money", "",
    "1", "help?me", "STOP STOP",
])
def test_sentences_containing_keywords_are_not_keywords(text):
    assert match(text) is None


def test_keywords_send_intent_payloads():
    assert PAYLOADS == {"stop": "/stop", "help": "/help", "start": "/greet"}


def test_the_more_hint_names_a_more_keyword_of_its_language():
    for language in KEYWORDS:
        hint = translator(language).gettext(MORE_HINT)
        words = {word.strip('."“”«»!,।።').casefold() for word in hint.split()}
        assert any(match(word) == "more" for word in words), language


def test_a_short_answer_is_one_page():
    assert paginate("Hello", MORE_HINT) == ["Hello"]


@pytest.mark.parametrize("text", [
    "\n".join(f"{n}. " + "word " * 20 for n in range(1, 15)),
    "नमस्ते " * 200,
    "x" * 2000,
    "short line\n" + "y" * 700 + "\nlast line",
])
def test_long_answers_become_pages_within_the_budget_and_lose_nothing(text):
    pages = paginate(text, MORE_HINT)
    assert len(pages) > 1
    assert all(segments(page) <= BUDGET for page in pages)
    assert all(page.endswith("\n" + MORE_HINT) for page in pages[:-1])
    assert not pages[-1].endswith(MORE_HINT)
    joined = "".join(page.removesuffix("\n" + MORE_HINT) for page in pages)
    assert joined.replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(" ", "")


def test_pages_break_at_lines_when_they_can():
    text = "\n".join(f"{n}. " + "word " * 20 for n in range(1, 15))
    for page in paginate(text, MORE_HINT)[:-1]:
        assert page.removesuffix("\n" + MORE_HINT).endswith("word ")


def test_join_messages_skips_empty_ones():
    assert join_messages(["a", "", "b"]) == "a\nb"


def test_pending_pages_come_one_by_one_and_expire():
    now = [0.0]
    pending = PendingPages(ttl=60, clock=lambda: now[0])
    pending.keep("user", ["two", "three"])
    assert pending.next_page("user") == "two"
    assert pending.next_page("user") == "three"
    assert pending.next_page("user") is None
    pending.keep("user", ["later"])
    now[0] = 61
    assert pending.next_page("user") is None
    pending.keep("user", ["x"])
    pending.forget("user")
    assert pending.next_page("user") is None


def test_pending_pages_are_bounded():
    pending = PendingPages(max_users=2)
    for user in ("a", "b", "c"):
        pending.keep(user, ["page"])
    assert pending.next_page("a") is None and pending.next_page("c") == "page"


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
    with pytest.raises(gateways.InvalidSms) as error:
        gateways.e164(raw, None)
    assert str(error.value) in {"the sender must be a phone number",
                                "the sender is not a valid phone number"}


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
    with pytest.raises(gateways.InvalidSms):
        gateways.form_fields(b"from=%2B1&text=%FF")
    with pytest.raises(gateways.InvalidSms):
        gateways.single({"from": ["a", "b"]}, "from")


def test_settings_come_from_credentials_then_the_environment(monkeypatch):
    monkeypatch.setenv("BOT_TWILIO_AUTH_TOKEN", "from-env")
    monkeypatch.setenv("BOT_SMS_SECRET", "env-secret")
    settings = SmsSettings.from_credentials({"default_region": "np", "secret": "file-secret"})
    assert settings.default_region == "NP"
    assert settings.secret == "file-secret" and settings.twilio_auth_token == "from-env"
    assert SmsSettings.from_credentials(None).secret == "env-secret"


def test_kannel_post_url_messages_carry_the_text_in_the_body():
    fields = {"from": ["+9779812345678"]}
    message = gateways.kannel_message(fields, None, "नमस्ते".encode("utf-16-be"),
                                      'text/plain; charset="UTF-16BE"')
    assert message == gateways.InboundSms("+9779812345678", "नमस्ते")
    assert gateways.kannel_message(fields, None, b"hi", "text/plain").text == "hi"
    with pytest.raises(gateways.InvalidSms):
        gateways.kannel_message(fields, None, b"\xff", "text/plain; charset=utf-8")
    with pytest.raises(gateways.InvalidSms):
        gateways.kannel_message(fields, None, b"hi", "text/plain; charset=klingon")
    with pytest.raises(gateways.InvalidSms):
        gateways.kannel_message(fields, None)  # a GET without text
