"""The anonymous report on SMS: every question fits one page, typed answers pick a menu
choice, the worker's country is not asked twice, and the receipt code comes first."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pytest

from bot import dialogue, languages, report_dialogue
from bot.channels.sms.encoding import segments
from bot.channels.sms.paging import join_messages, paginate
from bot.i18n import translator
from bot.render import SMS, render
from bot.reports import REPORT_SLOTS

LANGUAGES = [language.code for language in languages.LANGUAGES]
CODE = "K7QM-3X9P-2D0A"
# Every question answered: the "which answer?" menu then lists them all.
ANSWERED = {"report_category": "withheld_wages", "report_destination": "QA",
            "report_city": "Doha", "report_employer": "-", "report_when": "-",
            "report_minor": False, "report_account": "no salary since May",
            "report_consulate": True, "report_origin": "NP", "report_contact": "-"}
SMS_MENU = [f"category:{key}" for key in report_dialogue.SMS_CATEGORY_LABELS]


def _conversation(content, slots: dict, text: str = "", origin_hint: str | None = None,
                  intent: str | None = None) -> dialogue.Conversation:
    turn = dialogue.Turn(intent=intent, text=text, capabilities=SMS, origin_hint=origin_hint,
                         slots={"language_chosen": True, **slots})
    return dialogue.Conversation(turn, content)


def _sms(conversation: dialogue.Conversation) -> list[str]:
    """The texts of the turn's messages, as the SMS channel gets them."""
    t = translator(conversation.outcome.language)
    return [render(reply, SMS, t)["text"] for reply in conversation.outcome.replies]


def _asked(content, language: str, slot: str, **slots) -> str:
    conversation = _conversation(content, {"language": language, "requested_slot": slot,
                                           **slots})
    report_dialogue.ask(slot)(conversation)
    return join_messages(_sms(conversation))


def _situations(content, slot: str) -> list[dict]:
    """The slots that change how ``slot`` is asked: every known origin and destination
    (they order the country menus), none, and every answer given (for "which answer?")."""
    if slot in ("report_destination", "report_origin", "report_consulate"):
        origins = [None] + [country.code for country in content.countries_with_role("origin")]
        destinations = [None] + [country.code
                                 for country in content.countries_with_role("destination")]
        return [{"origin": origin, "destination": destination}
                for origin in origins for destination in destinations]
    if slot in ("report_fix", "report_consent"):
        return [ANSWERED]
    return [{}]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_report_question_with_its_menu_fits_one_sms_page(content, language):
    for slot in REPORT_SLOTS:
        for slots in _situations(content, slot):
            text = _asked(content, language, slot, **slots)
            assert segments(text) <= SMS.segment_budget, (slot, slots, len(text), text)


def test_the_category_question_on_sms_in_nepali_is_short_with_the_commonest_first(content):
    assert _asked(content, "ne", "report_category") == (
        "के भयो?\n"
        "1. तलब नपाएको\n"
        "2. पासपोर्ट खोसेको\n"
        "3. गैरकानुनी शुल्क/ऋण\n"
        "4. धेरै घण्टा काम\n"
        "5. करार बदलिएको\n"
        "6. कुटपिट\n"
        "7. थुनेर राखेको\n"
        "8. यौन दुर्व्यवहार\n"
        "9. अरू\n"
        "नम्बर लेखेर जवाफ दिनुहोस्।")
    assert segments(_asked(content, "ne", "report_category")) == 3


def test_the_category_menu_elsewhere_keeps_its_long_labels_and_order(content):
    turn = dialogue.Turn(intent=None, text="", slots={"language": "en",
                                                        "language_chosen": True})
    conversation = dialogue.Conversation(turn, content)
    report_dialogue.ask("report_category")(conversation)
    reply = conversation.outcome.replies[0]
    assert reply.text.startswith("What happened? Choose the closest one.")
    assert [choice.label for choice in reply.choices][:3] == [
        "Wages not paid or held back", "Passport or documents kept", "Locked in, not allowed out"]


def test_the_country_menu_on_sms_offers_the_likeliest_few_then_another(content):
    conversation = _conversation(content, {"language": "ne", "origin": "NP",
                                           "requested_slot": "report_destination"})
    report_dialogue.ask("report_destination")(conversation)
    menu = conversation.outcome.slots[dialogue.MENU]
    assert len(menu) == dialogue.SHORT_MENU_COUNTRIES + 1 and menu[-1] == "destination:other"
    assert "destination:QA" in menu
    assert _sms(conversation)[0].startswith("यो कुन देशमा भयो? नाम पनि लेख्न सक्नुहुन्छ।\n1. ")


def test_the_phone_number_s_country_orders_the_destinations_without_setting_a_slot(content):
    by_slot = _conversation(content, {"language": "ne", "origin": "NP",
                                      "requested_slot": "report_destination"})
    report_dialogue.ask("report_destination")(by_slot)
    by_phone = _conversation(content, {"language": "ne",
                                       "requested_slot": "report_destination"},
                             origin_hint="NP")
    report_dialogue.ask("report_destination")(by_phone)
    assert by_phone.outcome.slots[dialogue.MENU] == by_slot.outcome.slots[dialogue.MENU]
    assert "origin" not in by_phone.outcome.slots and by_phone.slots.get("origin") is None


@pytest.mark.parametrize(("language", "typed", "category"), [
    ("en", "passport", "passport_kept"),
    ("ne", "पासपोर्ट", "passport_kept"),
    ("ne", "मेरो पासपोर्टको कुरा", "passport_kept"),  # a word with its ending
    ("ne", "passport", "passport_kept"),  # English, in a Nepali conversation
    ("en", "salary not paid", "withheld_wages"),  # "not" is in two labels: it does not count
    ("ne", "salary not paid", "withheld_wages"),
    ("ne", "तलब दिएन", "withheld_wages"),
    ("en", "Wages not paid or held back", "withheld_wages"),  # a long label, whole
    ("en", "locked in my room", "confinement"),
    ("en", "too many hours", "excessive_hours"),
    ("en", "contract", "contract_substitution"),
    ("en", "debt", "debt_or_illegal_fees"),
    ("ne", "अरू", "other"),
    ("fr", "passeport", "passport_kept"),
    ("es", "no me pagan el sueldo", "withheld_wages"),
    ("ar", "جواز", "passport_kept"),  # "الجواز" in the label
    ("hi", "पासपोर्ट", "passport_kept"),
    ("bn", "পাসপোর্ট", "passport_kept"),
    ("am", "ፓስፖርት", "passport_kept"),
    ("tl", "passport", "passport_kept"),
])
def test_a_typed_category_picks_the_category_its_words_name(content, language, typed, category):
    conversation = _conversation(content, {"language": language,
                                           "requested_slot": "report_category",
                                           dialogue.MENU: SMS_MENU}, text=typed)
    assert report_dialogue.validate("report_category", typed, conversation) == {
        "report_category": category}
    assert conversation.outcome.replies == []


@pytest.mark.parametrize("typed", ["hello there", "not", "in", "पासपोर्ट तलब"])
def test_a_typed_category_that_names_none_or_two_is_asked_again_as_before(content, typed):
    conversation = _conversation(content, {"language": "en",
                                           "requested_slot": "report_category",
                                           dialogue.MENU: SMS_MENU}, text=typed)
    assert report_dialogue.validate("report_category", typed, conversation) == {
        "report_category": None}
    assert _sms(conversation) == ["Please reply with a number from 1 to 9."]


def test_a_number_still_picks_from_the_sms_order(content):
    conversation = _conversation(content, {"language": "ne",
                                           "requested_slot": "report_category",
                                           dialogue.MENU: SMS_MENU}, text="३")
    assert report_dialogue.validate("report_category", "३", conversation) == {
        "report_category": "debt_or_illegal_fees"}


@pytest.mark.parametrize(("language", "typed", "answer"), [
    ("ne", "हो", True), ("ne", "होइन", False), ("en", "no", False), ("fr", "oui", True)])
def test_yes_or_no_typed_in_words_answers_a_yes_no_question(content, language, typed, answer):
    conversation = _conversation(content, {"language": language,
                                           "requested_slot": "report_minor",
                                           dialogue.MENU: ["yes", "no"]}, text=typed)
    assert report_dialogue.validate("report_minor", typed, conversation) == {
        "report_minor": answer}


def test_the_answer_to_change_can_be_typed(content):
    menu = [f"fix:{slot}" for slot in ANSWERED]
    conversation = _conversation(content, {"language": "ne", "requested_slot": "report_fix",
                                           "report_consent": "fix", dialogue.MENU: menu,
                                           **ANSWERED}, text="सहर")
    assert report_dialogue.validate("report_fix", "सहर", conversation) == {
        "report_fix": None, "report_city": None, "report_consent": None}


# -- the worker's country ---------------------------------------------------------------
def test_with_the_country_of_the_phone_the_consulate_question_names_it(content):
    assert _asked(content, "ne", "report_consulate").startswith(
        "तपाईंको देशको दूतावास/कन्सुलेटमा पनि छोटो सारांश पठाउने हो?")  # unknown: asked later
    assert _asked(content, "ne", "report_consulate", origin="NP").startswith(
        "तपाईंले लेखेको कुराबिनाको छोटो सारांश नेपालको दूतावास/कन्सुलेटमा पनि पठाउने हो?\n")
    conversation = _conversation(content, {"language": "en",
                                           "requested_slot": "report_consulate"},
                                 origin_hint="NP")
    report_dialogue.ask("report_consulate")(conversation)
    assert _sms(conversation) == [
        "Should a short summary, without your account, also go to the consulate of Nepal?\n"
        "1. Yes\n2. No\nReply with a number."]


@pytest.mark.parametrize(("slots", "hint"), [({"origin": "NP"}, None), ({}, "NP")])
def test_yes_to_the_consulate_with_the_country_known_does_not_ask_it(content, slots, hint):
    form = {"language": "ne", "requested_slot": "report_consulate",
            dialogue.MENU: ["yes", "no"], **{k: v for k, v in ANSWERED.items()
                                             if k in REPORT_SLOTS[:7]}}
    conversation = _conversation(content, {**form, **slots}, text="1", origin_hint=hint)
    validated = report_dialogue.validate("report_consulate", "1", conversation)
    assert validated == {"report_consulate": True, "report_origin": "NP"}
    after = {**form, **slots, **validated}
    remaining = [slot for slot in report_dialogue.required_slots(list(REPORT_SLOTS), after)
                 if after.get(slot) is None]
    assert remaining[0] == "report_contact"


def test_yes_to_the_consulate_with_the_country_unknown_asks_it_next(content):
    form = {"language": "en", "requested_slot": "report_consulate",
            dialogue.MENU: ["yes", "no"], "report_destination": "QA"}
    conversation = _conversation(content, form, text="1", origin_hint="QA")  # not an origin
    validated = report_dialogue.validate("report_consulate", "1", conversation)
    assert validated == {"report_consulate": True}
    after = {**form, **validated}
    remaining = [slot for slot in report_dialogue.required_slots(list(REPORT_SLOTS), after)
                 if after.get(slot) is None]
    assert "report_origin" in remaining
    conversation = _conversation(content, {"language": "en", "origin": "other"})
    assert report_dialogue._known_origin(conversation) is None


def test_an_origin_given_earlier_in_the_conversation_fills_the_report(content):
    conversation = _conversation(content, {"language": "ne", "origin": "NP",
                                           "requested_slot": "report_category",
                                           dialogue.MENU: SMS_MENU}, text="1")
    assert report_dialogue.validate("report_category", "1", conversation) == {
        "report_category": "withheld_wages", "report_origin": "NP"}


# -- the receipt code ---------------------------------------------------------------------
def _receipt(content, language: str, consulate: str | None,
             categories: tuple[str, ...] = ("withheld_wages",)) -> list[str]:
    conversation = _conversation(content, {"language": language, "destination": "QA"})
    draft = report_dialogue.service.ReportDraft(
        categories=list(categories), destination="QA", account="x", consent_consulate=True,
        nationality="NP", language=language)
    submission = SimpleNamespace(
        code=CODE, partner=SimpleNamespace(name="Gulf Workers Helpline"),
        consulate=SimpleNamespace(name=consulate) if consulate else None)
    report_dialogue._say_receipt_on_sms(conversation, draft, submission)
    return _sms(conversation)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("consulate", ["Embassy of Nepal, Doha", None])
def test_on_sms_the_receipt_code_opens_the_first_page(content, language, consulate):
    texts = _receipt(content, language, consulate)
    assert texts[0].startswith(CODE)
    first = paginate(texts, translator(language).gettext("Reply MORE for the rest."), 3)[0]
    assert first.startswith(f"{CODE}") and segments(texts[0]) <= 2


def test_the_whole_receipt_in_nepali_fits_one_page(content):
    texts = _receipt(content, "ne", "Embassy of Nepal, Doha")
    assert texts == [
        f"{CODE}: रसिद कोड, एक पटक मात्र देखाइन्छ। कन्ट्याक्टको नाममा सेभ गर्नुहोस्।",
        "रिपोर्ट Gulf Workers Helpline लाई पठाइयो।",
        "सारांश Embassy of Nepal, Doha लाई पठाइयो।",
        "जवाफ हेर्न कोड पठाउनुहोस्।"]
    assert segments(join_messages(texts)) == 3


def test_in_danger_on_sms_the_code_still_comes_before_the_emergency_contacts(content):
    texts = _receipt(content, "en", None, categories=("confinement",))
    assert texts[0].startswith(CODE)
    assert any(text.startswith("If you are in danger now") for text in texts[1:])


@pytest.fixture
def reports_db(tmp_path, monkeypatch, partner_registry):
    """A report database and one partner covering Qatar, with its private key."""
    _registry, encryption = partner_registry
    database = f"sqlite:///{tmp_path / 'reports.db'}"
    monkeypatch.setenv("BOT_DATABASE_URL", database)
    return database, encryption


@pytest.mark.parametrize(("consulate", "nationality"), [(False, None), (True, "NP")])
def test_a_report_sent_by_sms_starts_with_its_code_and_keeps_the_country_only_for_the_consulate(
        content, reports_db, consulate, nationality):
    from bot.reports import crypto
    from bot.reports.db import Report, session_scope

    database, encryption = reports_db
    slots = {**ANSWERED, "language": "ne", "report_consulate": consulate,
             "report_consent": True}
    conversation = _conversation(content, slots, text="1", origin_hint="NP")
    report_dialogue.submit_report(conversation)
    texts = _sms(conversation)
    code = texts[0].split(":", 1)[0]
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", code), texts[0]
    assert texts[1] == "रिपोर्ट Gulf Workers Helpline लाई पठाइयो।"
    if consulate:  # consented, but no consulate is registered
        assert texts[2] == "कुनै कन्सुलेटले अहिलेसम्म सारांश लिँदैन।"
    assert segments(join_messages(texts)) <= 3
    with session_scope(database) as session:
        sealed = session.query(Report).one().sealed_body
    report = json.loads(crypto.unseal(encryption.private_key, sealed))
    assert report["nationality"] == nationality and report["consent_consulate"] is consulate
