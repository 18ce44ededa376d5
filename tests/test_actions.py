"""The real custom actions, run with rasa-sdk trackers and dispatchers."""

from __future__ import annotations

import pytest

from actions import actions
from bot.i18n import translator
from bot.render import choice_payload
from tests.conftest import make_tracker, run_action

CONFIDENT = {"confident": True, "script": "Latin", "unsupported": None}




def _texts(messages: list[dict]) -> str:
    return "\n".join(message.get("text") or "" for message in messages)


def _lang(code: str, confident: bool = True) -> dict:
    return {"language": code, "confident": confident, "script": None, "unsupported": None}


def test_fee_question_with_countries_in_text_answers_corridor_rule_first_in_short():
    tracker = make_tracker("I am Nepali, how much can the agency charge me to go to Qatar?",
                           "ask_recruitment_fees", language=_lang("en"))
    messages, slots = run_action(actions.ActionAnswerTopic, tracker)
    assert slots["origin"] == "NP" and slots["destination"] == "QA"
    assert slots["shown_facts"][0] == "np_qa_free_visa_free_ticket"
    first = messages[0]["text"]
    assert "NPR 10,000" in first and ", not yet checked)" in first
    assert len(_texts(messages)) <= 500
    assert "https://" not in _texts(messages)
    assert slots.get("pending_topic") is None


def test_fee_question_without_countries_asks_for_origin_with_a_short_menu():
    tracker = make_tracker("who pays the recruitment fee", "ask_recruitment_fees",
                           language=_lang("en"))
    messages, slots = run_action(actions.ActionAnswerTopic, tracker)
    assert messages[-1]["text"].startswith("Which country are you from?")
    assert slots["pending_topic"] == "recruitment_fees"
    assert len(slots["menu"]) <= 7 and slots["menu"][-1] == "origin:other"
    assert "origin:NP" in slots["menu"] and "origin:PH" in slots["menu"]


def test_number_reply_picks_country_and_continues_the_pending_topic():
    menu = ["origin:BD", "origin:ET", "origin:IN", "origin:ID", "origin:NP", "origin:PH",
            "origin:other"]
    slots = {"language": "en", "pending_topic": "recruitment_fees", "menu": menu,
             "destination": "QA"}
    tracker = make_tracker("5", "choose_option", slots=slots)
    messages, new_slots = run_action(actions.ActionChooseOption, tracker)
    assert new_slots["origin"] == "NP"
    assert new_slots["shown_facts"][0] == "np_qa_free_visa_free_ticket"
    assert "NPR 10,000" in messages[0]["text"]


@pytest.mark.parametrize("digit", ["५", "৫", "٥", "5"])
def test_number_reply_in_any_script(digit):
    slots = {"language": "en", "menu": ["topic:wages"] * 4 + ["language:fr"]}
    messages, new_slots = run_action(actions.ActionChooseOption,
                                     make_tracker(digit, "choose_option", slots=slots))
    assert new_slots["language"] == "fr" and new_slots["language_chosen"] is True


def test_telegram_gets_buttons_whose_payload_selects_the_choice():
    tracker = make_tracker("language", "change_language", language=_lang("en"),
                           channel="telegram")
    messages, slots = run_action(actions.ActionChangeLanguage, tracker)
    buttons = messages[-1]["buttons"]
    assert [b["title"] for b in buttons][:3] == ["English", "Filipino", "नेपाली"]
    payload = buttons[2]["payload"]
    assert payload == choice_payload(type("C", (), {"payload": "language:ne"}))
    choose = make_tracker(payload, "choose_option", slots=slots,
                          entities=[{"entity": "choice", "value": "language:ne"}],
                          channel="telegram")
    messages, slots = run_action(actions.ActionChooseOption, choose)
    assert slots["language"] == "ne" and slots["language_chosen"] is True
    assert messages[0]["text"] == translator("ne").gettext(
        "I will write in {language}. Ask me a question, or say \"help\" to see all topics."
    ).format(language="नेपाली")


def test_explicit_choice_sticks_when_user_writes_in_another_language():
    slots = {"language": "ne", "language_chosen": True}
    tracker = make_tracker("thank you very much", "thanks", slots=slots, language=_lang("en"))
    messages, new_slots = run_action(actions.ActionThanks, tracker)
    assert "language" not in new_slots
    assert messages[0]["text"] == translator("ne").gettext(
        "You are welcome. Is there anything else I can help with?")


def test_detected_language_is_used_until_the_user_chooses():
    tracker = make_tracker("gracias por todo", "thanks", slots={"language": "en"},
                           language=_lang("es"))
    _messages, new_slots = run_action(actions.ActionThanks, tracker)
    assert new_slots["language"] == "es"


def test_unconfident_detection_keeps_current_language():
    tracker = make_tracker("ok", "affirm", slots={"language": "bn"},
                           language=_lang("en", confident=False))
    _messages, new_slots = run_action(actions.ActionAcknowledge, tracker)
    assert "language" not in new_slots


def test_named_language_switches_directly():
    tracker = make_tracker("please answer in french", "change_language", language=_lang("en"))
    _messages, slots = run_action(actions.ActionChangeLanguage, tracker)
    assert slots["language"] == "fr" and slots["language_chosen"] is True


def test_unsupported_language_gets_the_language_menu():
    identification = {"language": None, "confident": False, "script": "Latin",
                      "unsupported": "de"}
    tracker = make_tracker("Ich brauche Hilfe mit meinem Arbeitsvertrag", "nlu_fallback",
                           language=identification)
    messages, slots = run_action(actions.ActionFallback, tracker)
    assert "do not speak that language" in messages[-1]["text"]
    assert slots["menu"][0] == "language:en" and len(slots["menu"]) == 10


def test_missing_fact_says_not_known_and_points_to_the_countries_own_contacts():
    slots = {"language": "en", "origin": "NP", "destination": "QA"}
    tracker = make_tracker("can I bring my children", "ask_family", slots=slots)
    messages, new_slots = run_action(actions.ActionAnswerTopic, tracker)
    text = _texts(messages)
    assert "I do not have verified information on this for Nepal, Qatar." in text
    assert "These can help you:" in text
    # The standard in one fact, then whom to call in Qatar and in Nepal, never elsewhere.
    standard, *contacts = new_slots["shown_facts"]
    assert standard == "children_go_to_school"
    assert contacts and all(fact_id.startswith(("qa_", "np_")) for fact_id in contacts)


def test_emergency_without_country_lists_every_destination_number():
    tracker = make_tracker("help they are beating me", "emergency", language=_lang("en"))
    messages, _slots = run_action(actions.ActionEmergency, tracker)
    text = _texts(messages)
    assert messages[0]["text"].startswith("If you are in danger now")
    assert "999" in text and "911" in text


def test_every_fact_said_carries_its_short_source_and_says_it_is_not_yet_checked():
    tracker = make_tracker("my passport", "ask_passport", language=_lang("en"),
                           slots={"origin": "other", "destination": "other"})
    messages, slots = run_action(actions.ActionAnswerTopic, tracker)
    assert slots["shown_facts"], "the passport topic must state at least one sourced fact"
    assert ", not yet checked)" in messages[1]["text"]


def test_sources_lists_the_full_citation_and_link_of_what_was_shown():
    slots = {"language": "en", "shown_facts": ["np_qa_free_visa_free_ticket"]}
    messages, _slots = run_action(actions.ActionFallback,
                                  make_tracker("sources", "nlu_fallback", slots=slots))
    assert messages[0]["text"].startswith("Sources:\n- Government of Nepal")
    assert "https://" in messages[0]["text"]


def test_greeting_offers_language_menu_when_language_unclear():
    tracker = make_tracker("hi", "greet", language=_lang("en", confident=False))
    messages, slots = run_action(actions.ActionGreet, tracker)
    assert len(slots["menu"]) == 10
    assert "नेपाली" in messages[-1]["text"]


def test_report_about_a_minor_is_sent_with_the_minor_flag(tmp_path, monkeypatch, domain,
                                                          partner_registry):
    from bot.reports.db import Report, session_scope

    database = f"sqlite:///{tmp_path / 'reports.db'}"
    monkeypatch.setenv("BOT_DATABASE_URL", database)
    slots = {"language": "en", "requested_slot": "report_minor", "menu": ["yes", "no"]}
    tracker = make_tracker("1", "choose_option", slots=slots)
    tracker.events.append({"event": "slot", "name": "report_minor", "value": "1"})
    _messages, validated = run_action(actions.ValidateReportForm, tracker, domain)
    assert validated["report_minor"] is True

    slots = {"language": "en", "report_category": "excessive_hours", "report_destination": "QA",
             "report_city": "-", "report_employer": "-", "report_when": "-",
             "report_minor": True, "report_account": "I work 18 hours a day and I am 16.",
             "report_consulate": False, "report_contact": "-", "report_consent": True}
    messages, cleared = run_action(actions.ActionSubmitReport,
                                   make_tracker("1", "choose_option", slots=slots))
    assert "Your receipt code is" in _texts(messages)
    assert all(cleared[slot] is None for slot in slots if slot.startswith("report_"))
    with session_scope(database) as session:
        assert session.query(Report).one().severity == "minor"


def test_database_down_keeps_the_answers_and_asks_for_consent_again(tmp_path, monkeypatch,
                                                                   partner_registry):
    monkeypatch.setenv("BOT_DATABASE_URL", f"sqlite:///{tmp_path / 'missing' / 'reports.db'}")
    slots = {"language": "fr", "report_category": "withheld_wages", "report_destination": "QA",
             "report_account": "no salary since June", "report_consent": True}
    tracker = make_tracker("1", "choose_option", slots=slots)
    dispatcher_messages, events = _run_events(actions.ActionSubmitReport, tracker)
    assert "n'a pas pu être enregistré" in _texts(dispatcher_messages)
    assert {"event": "slot", "name": "report_consent", "value": None,
            "timestamp": None} in events
    assert events[-1]["event"] == "followup" and events[-1]["name"] == "report_form"
    assert not any(e["event"] == "slot" and e["name"] == "report_account" for e in events)

    tracker = make_tracker("my report", "check_report_status",
                           slots={"language": "en", "receipt_code": "K7QM-3X9P-2D0A"})
    messages, cleared = run_action(actions.ActionCheckStatus, tracker)
    assert "cannot look up reports just now" in _texts(messages)
    assert cleared["receipt_code"] is None


def _run_events(action_class, tracker):
    import asyncio

    from rasa_sdk.executor import CollectingDispatcher

    dispatcher = CollectingDispatcher()
    return dispatcher.messages, asyncio.run(action_class().run(dispatcher, tracker, {}))


def test_an_account_that_reads_as_danger_gets_emergency_contacts_first(domain):
    account = "they lock me in the room and he beats me, please help me now"
    slots = {"language": "en", "requested_slot": "report_account", "destination": "SA"}
    tracker = make_tracker(account, "emergency", slots=slots)
    tracker.events.append({"event": "slot", "name": "report_account", "value": account})
    messages, validated = run_action(actions.ValidateReportForm, tracker, domain)
    assert validated["report_account"] == account
    assert messages[0]["text"].startswith("If you are in danger now")

    calm = "my salary was not paid for four months"
    tracker = make_tracker(calm, "ask_wages", slots=slots)
    tracker.events.append({"event": "slot", "name": "report_account", "value": calm})
    messages, validated = run_action(actions.ValidateReportForm, tracker, domain)
    assert validated["report_account"] == calm and messages == []


def test_report_questions_adapt_to_the_answers():
    from bot.report_dialogue import required_slots
    from bot.reports import REPORT_SLOTS

    plain = required_slots(list(REPORT_SLOTS), {})
    assert "report_origin" not in plain and "report_fix" not in plain
    assert "report_origin" in required_slots(list(REPORT_SLOTS), {"report_consulate": True})
    fixing = required_slots(list(REPORT_SLOTS), {"report_consent": "fix"})
    assert fixing[-2:] == ["report_fix", "report_consent"]


def test_choosing_an_answer_to_change_clears_it_and_the_consent(domain):
    slots = {"language": "en", "requested_slot": "report_fix", "report_consent": "fix",
             "report_category": "other", "report_destination": "QA", "report_city": "Al Khor",
             "report_employer": "-", "report_when": "-", "report_minor": False,
             "report_account": "no salary since May", "report_consulate": False,
             "report_contact": "-", "menu": ["fix:report_category", "fix:report_city"]}
    tracker = make_tracker("2", "choose_option", slots=slots)
    tracker.events.append({"event": "slot", "name": "report_fix", "value": "2"})
    _messages, events = run_action(actions.ValidateReportForm, tracker, domain)
    assert events["report_city"] is None and events["report_consent"] is None
    assert events["requested_slot"] == "report_city"  # asked again, then consent again


def test_countries_said_earlier_are_not_asked_again_in_the_report(domain):
    slots = {"language": "en", "requested_slot": "report_category", "origin": "NP",
             "destination": "QA", "menu": ["category:withheld_wages", "category:other"]}
    tracker = make_tracker("1", "choose_option", slots=slots)
    tracker.events.append({"event": "slot", "name": "report_category", "value": "1"})
    _messages, validated = run_action(actions.ValidateReportForm, tracker, domain)
    assert validated["report_category"] == "withheld_wages"
    assert validated["report_destination"] == "QA" and validated["report_origin"] == "NP"


def test_a_failing_action_logs_only_the_error_class_and_apologises_in_the_language(caplog):
    # A slot holding what no handler expects (here a number where a menu list belongs)
    # makes the handler fail. rasa-sdk would answer 500 with the whole tracker, which
    # the Rasa server logs: the action must catch it, log the class, keep every slot.
    slots = {"language": "fr", "menu": 5, "report_account": "Zorblax locked me in"}
    with caplog.at_level("DEBUG"):
        messages, new_slots = run_action(actions.ActionChooseOption,
                                         make_tracker("2", "choose_option", slots=slots))
    assert [m["text"] for m in messages] == [translator("fr").gettext(
        "Sorry, something went wrong on our side. Your earlier answers are kept: please "
        "send your message again.")]
    assert new_slots == {}
    assert "action_choose_option failed: TypeError" in caplog.text
    assert "Zorblax" not in caplog.text and "menu" not in caplog.text


def test_a_typed_payload_with_a_number_for_the_choice_is_read_as_no_choice():
    tracker = make_tracker('/choose_option{"choice": 5}', "choose_option",
                           slots={"language": "en", "menu": ["language:fr"]},
                           entities=[{"entity": "choice", "value": 5}])
    messages, _slots = run_action(actions.ActionChooseOption, tracker)
    assert messages[0]["text"] == "Please reply with a number from 1 to 1."


def test_a_message_of_thousands_of_digits_is_not_a_menu_number():
    tracker = make_tracker("7" * 4301, "choose_option",
                           slots={"language": "en", "menu": ["language:fr", "language:es"]})
    messages, slots = run_action(actions.ActionChooseOption, tracker)
    assert messages[0]["text"] == "Please reply with a number from 1 to 2."
    assert "language" not in slots


def test_answers_a_form_already_holds_pass_again_silently(domain):
    """When a report could not be stored, the form starts again, and Rasa validates the
    answers it holds: canonical values, not menu numbers. They must pass unchanged."""
    held = {"report_category": "confinement", "report_destination": "QA",
            "report_minor": False, "report_account": "they lock me in the room at night",
            "report_consulate": False, "report_city": "skip"}
    tracker = make_tracker("1", "choose_option", slots={"language": "en", **held})
    tracker.events.extend({"event": "slot", "name": name, "value": value}
                          for name, value in held.items())
    messages, validated = run_action(actions.ValidateReportForm, tracker, domain)
    assert messages == []
    # Every answer kept as it was; the form goes on to the first one it lacks.
    assert validated == {**held, "requested_slot": "report_employer"}


def test_the_emergency_numbers_in_a_report_are_the_reports_country_only(domain):
    account = "they lock me in the room and he beats me, please help me now"
    slots = {"language": "en", "requested_slot": "report_account", "report_destination": "QA"}
    tracker = make_tracker(account, "emergency", slots=slots)
    tracker.events.append({"event": "slot", "name": "report_account", "value": account})
    messages, _validated = run_action(actions.ValidateReportForm, tracker, domain)
    texts = [message["text"] for message in messages]
    assert texts[0].startswith("If you are in danger now")
    assert any("Qatar" in text for text in texts[1:])
    assert not any("UAE" in text or "Bahrain" in text or "Saudi" in text for text in texts)


def test_a_message_of_invisible_characters_is_no_yes_or_no(domain):
    slots = {"language": "en", "requested_slot": "report_minor", "menu": ["yes", "no"]}
    tracker = make_tracker("\u202e\u200b\ufeff", "deny", slots=slots)
    tracker.events.append({"event": "slot", "name": "report_minor", "value": "\u202e\u200b\ufeff"})
    messages, validated = run_action(actions.ValidateReportForm, tracker, domain)
    assert validated["report_minor"] is None
    assert messages[0]["text"] == "Please reply with a number from 1 to 2."


def test_a_close_call_from_the_nlu_asks_which_is_meant():
    tracker = make_tracker("my agent threatens me since I reported him", "nlu_fallback",
                           language=_lang("en"))
    tracker.latest_message["close_call"] = ["report_abuse", "check_report_status"]
    messages, slots = run_action(actions.ActionFallback, tracker)
    assert slots["menu"] == ["report:start", "status:start"]
    assert _texts(messages).startswith("Which do you mean?")


@pytest.mark.parametrize("close_call", [["report_abuse"], "report_abuse", [1, 2], None])
def test_a_malformed_close_call_is_an_ordinary_not_understood(close_call):
    tracker = make_tracker("zzz qqq", "nlu_fallback", language=_lang("en"))
    tracker.latest_message["close_call"] = close_call
    messages, _slots = run_action(actions.ActionFallback, tracker)
    assert _texts(messages).startswith("Sorry, I did not understand.")
