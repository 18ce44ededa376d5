"""bot.dialogue: answers composed for the channel, hints, "more" and "sources", language.

Pure: each test runs one handler on one turn over a small fixed content (the real content
where a test loads it).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot import dialogue
from bot.content.loader import load_content
from bot.i18n import translator
from bot.render import CHAT, MORE, PLAIN_TEXT, SMS, SOURCES, render

CONTENT_DIR = Path(__file__).parent / "support" / "answer_content"
TODAY = date(2026, 12, 2)
SURE = {"confident": True, "script": "Latin", "unsupported": None}


@pytest.fixture(scope="module")
def content():
    loaded, errors = load_content(CONTENT_DIR)
    assert errors == []
    return loaded


def turn(text: str, intent: str | None, slots: dict | None = None, **extra) -> dialogue.Turn:
    return dialogue.Turn(intent=intent, text=text, slots={"language": "en", **(slots or {})},
                         **extra)


def texts(outcome: dialogue.Outcome, capabilities=PLAIN_TEXT) -> list[str]:
    t = translator(outcome.language)
    return [render(reply, capabilities, t)["text"] for reply in outcome.replies]


def test_the_specific_fact_comes_first_then_whom_to_call_then_the_keywords(content):
    outcome = dialogue.run(dialogue.answer_topic, turn(
        "my salary was not paid in qatar. where do i call?", "ask_wages",
        {"origin": "NP"}), content, TODAY)
    assert outcome.slots["shown_facts"] == ["qa_ministry_line", "np_hotline"]
    assert texts(outcome) == [
        "You can complain to Qatar's Ministry of Labour on 16008. (Qatar MoL, not yet "
        "checked)\nNepal's Foreign Employment Board helpline is 1141. (FEB Nepal, not yet "
        "checked)",
        "Reply SOURCES for the sources.",
        "To report this anonymously, write REPORT.",
    ]


def test_on_chat_the_facts_share_one_message_and_the_next_steps_are_buttons(content):
    outcome = dialogue.run(dialogue.answer_topic, turn(
        "tell me about salaries", "ask_wages", {"destination": "QA"},
        capabilities=CHAT), content, TODAY)
    assert outcome.slots["shown_facts"] == ["qa_minimum_wage", "qa_wage_protection"]
    assert [len(reply.more) for reply in outcome.replies[:1]] == [1]
    assert [choice.payload for choice in outcome.replies[-1].choices] == [SOURCES]


def test_on_sms_each_fact_is_its_own_message_so_pages_hold_whole_facts(content):
    outcome = dialogue.run(dialogue.answer_topic, turn(
        "tell me about salaries", "ask_wages", {"destination": "QA"}, capabilities=SMS),
        content, TODAY)
    assert texts(outcome, SMS)[:2] == [
        "The minimum wage in Qatar is QAR 1,000 a month. (Qatar Minimum Wage Law, not yet "
        "checked)",
        "Companies in Qatar must pay wages into a bank account. (Qatar WPS law, not yet "
        "checked)",
    ]


def test_what_does_not_fit_waits_for_more_and_sources_lists_what_was_shown(content):
    small = type(CHAT)(buttons=True, max_chars=60)
    first = dialogue.run(dialogue.answer_topic, turn(
        "tell me about salaries", "ask_wages", {"destination": "QA"}, capabilities=small),
        content, TODAY)
    assert first.slots["shown_facts"] == ["qa_minimum_wage"]
    assert first.slots["more_facts"] == ["qa_wage_protection"]
    assert [choice.payload for choice in first.replies[-1].choices] == [MORE, SOURCES]
    slots = {"destination": "QA", **first.slots}
    more = dialogue.run(dialogue.choose_option, turn("", "choose_option", slots, choice=MORE,
                                                     capabilities=small), content, TODAY)
    assert more.slots["shown_facts"] == ["qa_wage_protection"]
    assert more.slots["more_facts"] is None
    sources = dialogue.run(dialogue.fallback, turn("sources", "nlu_fallback",
                                                   {**slots, **more.slots}), content, TODAY)
    assert texts(sources) == ["Sources:\n- Qatar Law No. 1 of 2015"]


def test_a_phone_numbers_country_is_used_at_once_and_shown_for_correction(content):
    outcome = dialogue.run(dialogue.answer_topic, turn(
        "how much can the agency charge for qatar?", "ask_recruitment_fees",
        origin_hint="NP"), content, TODAY)
    assert (outcome.slots["origin"], outcome.slots["origin_hinted"]) == ("NP", True)
    assert outcome.slots["shown_facts"] == ["np_qa_fee_cap", "np_fee_cap", "qa_no_fees"]
    assert "(From Nepal? Reply 0 to change.)" in texts(outcome)
    corrected = dialogue.run(dialogue.choose_option, turn(
        "0", "choose_option", {**outcome.slots, "destination": "QA"}), content, TODAY)
    assert (corrected.slots["origin"], corrected.slots["origin_hinted"]) == (None, None)
    assert texts(corrected)[0].startswith("Which country are you from?\n1. Nepal\n")


def test_without_the_country_the_bot_asks_with_a_short_menu_and_remembers_the_question(
        content):
    outcome = dialogue.run(dialogue.answer_topic, turn(
        "what is the minimum wage", "ask_wages", {"origin": "NP"}), content, TODAY)
    assert outcome.slots["pending_topic"] == "wages"
    assert outcome.slots["pending_questions"] == ["minimum_wage"]
    assert outcome.slots["menu"] == ["destination:QA", "destination:other"]
    answered = dialogue.run(dialogue.choose_option, turn(
        "1", "choose_option", {"origin": "NP", **outcome.slots}), content, TODAY)
    assert answered.slots["shown_facts"] == ["qa_minimum_wage"]


def test_for_what_the_origin_decides_the_bot_asks_the_origin_even_knowing_the_destination(
        content):
    outcome = dialogue.run(dialogue.answer_topic, turn(
        "what placement fee can they take for qatar?", "ask_recruitment_fees"), content, TODAY)
    assert outcome.slots["shown_facts"] == ["qa_no_fees"]  # what it can say, in one fact
    assert outcome.slots["menu"] == ["origin:NP", "origin:PH", "origin:other"]
    assert texts(outcome)[-1].startswith("Which country are you from?")


def test_when_the_origin_decides_and_knows_nothing_the_bot_says_so_first(content):
    outcome = dialogue.run(dialogue.answer_topic, turn(
        "what placement fee can they take?", "ask_recruitment_fees",
        {"origin": "PH", "destination": "QA"}), content, TODAY)
    assert texts(outcome)[0] == "I do not have verified information on this for Philippines."
    assert outcome.slots["shown_facts"] == ["qa_no_fees"]


def test_a_country_without_facts_gets_not_known_and_only_its_own_help(content):
    outcome = dialogue.run(dialogue.answer_topic, turn(
        "minimum wage?", "ask_wages", {"origin": "NP", "destination": "other"}),
        content, TODAY)
    assert texts(outcome)[0] == "I do not have verified information on this for Nepal."
    assert outcome.slots["shown_facts"] == ["std_minimum_wage_cover", "np_hotline"]


@pytest.mark.parametrize("text", ["ok", "yes", "2", "Qatar", "संयुक्त अरब इमिराट्स"])
def test_a_short_message_never_switches_the_language(content, text):
    # After a Nepali question the bot asked for the country; whatever the identifier
    # makes of the answer, the conversation stays in Nepali.
    identification = {"language": "hi", "confident": True, "script": "Devanagari",
                      "unsupported": None}
    slots = {"language": "ne", "menu": ["destination:QA", "destination:other"]}
    outcome = dialogue.run(dialogue.acknowledge, turn(text, "inform", slots,
                                                      identification=identification),
                           content, TODAY)
    assert outcome.language == "ne" and "language" not in outcome.slots


def test_a_clear_sentence_in_another_language_switches_it(content):
    identification = {"language": "es", **{k: v for k, v in SURE.items()}}
    outcome = dialogue.run(dialogue.acknowledge, turn(
        "necesito ayuda con mi contrato", "ask_contract", {"language": "ne"},
        identification=identification), content, TODAY)
    assert outcome.language == "es"


@pytest.mark.parametrize("text", ["hi", "hello", "ok"])
def test_an_unsure_latin_guess_is_english(content, text):
    identification = {"language": "hi", "confident": False, "script": "Latin",
                      "unsupported": None}
    outcome = dialogue.run(dialogue.greet, dialogue.Turn(
        intent="greet", text=text, slots={}, identification=identification), content, TODAY)
    assert outcome.language == "en"


def test_two_close_readings_get_which_do_you_mean_and_the_choice_starts_its_form(content):
    asked = dialogue.run(dialogue.fallback, turn(
        "I reported my agent last month and now he threatens me", "nlu_fallback",
        close_call=("report_abuse", "check_report_status")), content, TODAY)
    assert asked.slots["menu"] == [dialogue.REPORT, dialogue.STATUS]
    assert texts(asked) == ["Which do you mean?\n1. Report abuse anonymously\n"
                            "2. Follow up a report I made\nReply with a number."]
    follow_up = dialogue.run(dialogue.choose_option, turn("2", "choose_option", asked.slots),
                             content, TODAY)
    assert (follow_up.followup, follow_up.replies) == ("status_form", [])
    report = dialogue.run(dialogue.choose_option, turn("1", "choose_option", asked.slots),
                          content, TODAY)
    assert (report.followup, report.replies) == ("report_form", [])


def test_a_close_call_whose_words_name_the_question_is_answered_not_asked(content):
    outcome = dialogue.run(dialogue.fallback, turn(
        "what is the minimum wage in qatar for a housemaid", "nlu_fallback",
        close_call=("ask_wages", "ask_domestic_worker_rights")), content, TODAY)
    assert (outcome.slots["destination"], outcome.slots["shown_facts"]) == (
        "QA", ["qa_minimum_wage"])
    assert "Which do you mean?" not in texts(outcome)[0]


def test_the_topic_chosen_answers_the_question_that_was_asked(content):
    asked = dialogue.run(dialogue.fallback, turn(
        "in qatar, what about my madam and my money", "nlu_fallback",
        close_call=("ask_wages", "ask_domestic_worker_rights")), content, TODAY)
    assert asked.slots["menu"] == ["topic:wages", "topic:domestic_workers"]
    assert (asked.slots["destination"], asked.slots.get("pending_questions")) == ("QA", None)
    answered = dialogue.run(dialogue.choose_option, turn("1", "choose_option", asked.slots),
                            content, TODAY)
    assert answered.slots["shown_facts"] == ["qa_minimum_wage", "qa_wage_protection"]


def test_a_close_call_the_bot_cannot_offer_is_an_ordinary_not_understood(content):
    outcome = dialogue.run(dialogue.fallback, turn(
        "zzz", "nlu_fallback", close_call=("ask_wages", "ask_family")), content, TODAY)
    assert outcome.slots["menu"] == ["topic:domestic_workers", "topic:recruitment_fees",
                                     "topic:redress", "topic:wages", "menu:language"]
    assert texts(outcome)[0].startswith("Sorry, I did not understand.")


# -- countries without a content file --------------------------------------------------


def test_an_unknown_destination_gets_nothing_verified_and_the_origins_own_hotline(content):
    outcome = dialogue.run(dialogue.answer_topic, turn(
        "I am from Nepal and I work in Japan. my salary was not paid. where do i call?",
        "ask_wages"), content, TODAY)
    assert (outcome.slots["origin"], outcome.slots["destination"]) == ("NP", "JP")
    assert outcome.slots["shown_facts"] == ["np_hotline"]
    assert texts(outcome) == [
        "I have nothing verified for Japan.",
        "Nepal's Foreign Employment Board helpline is 1141. (FEB Nepal, not yet checked)",
        "Reply SOURCES for the sources.",
        "To report this anonymously, write REPORT.",
    ]


def test_an_unknown_destination_and_no_fact_of_the_origin_still_refer_to_the_origin(content):
    outcome = dialogue.run(dialogue.answer_topic, turn(
        "I am from Nepal and I work in Japan. what is the minimum wage?", "ask_wages"),
        content, TODAY)
    assert outcome.slots["shown_facts"] == ["std_minimum_wage_cover", "np_hotline"]
    assert texts(outcome)[:2] == ["I have nothing verified for Japan.",
                                  "I do not have verified information on this for Nepal."]
    assert texts(outcome)[3:] == [
        "These can help you:",
        "Nepal's Foreign Employment Board helpline is 1141. (FEB Nepal, not yet checked)"]


def test_an_unknown_origin_gets_nothing_verified_then_the_destinations_answer(content):
    outcome = dialogue.run(dialogue.answer_topic, turn(
        "I am from Ghana and I work in Qatar. my salary was not paid. where do i call?",
        "ask_wages"), content, TODAY)
    assert outcome.slots["shown_facts"] == ["qa_ministry_line"]
    assert texts(outcome) == [
        "I have nothing verified for Ghana.",
        "You can complain to Qatar's Ministry of Labour on 16008. (Qatar MoL, not yet checked)",
        "Your country's embassy or consulate can help too.",
        "Reply SOURCES for the sources.",
        "To report this anonymously, write REPORT.",
    ]


def test_two_unknown_countries_get_the_charters_help_and_no_countrys_number(content):
    outcome = dialogue.run(dialogue.answer_topic, turn(
        "I am from Ghana and I work in Japan. what is the minimum wage?", "ask_wages"),
        content, TODAY)
    assert outcome.slots["shown_facts"] == ["std_minimum_wage_cover", "std_complain"]
    assert texts(outcome) == [
        "I have nothing verified for Ghana and Japan.",
        "Countries that ratified ILO Convention 189 must cover domestic workers by the "
        "minimum wage. (ILO C189 Art. 11, not yet checked)",
        "These can help you:",
        "You can complain to the labour authorities of the country where you work. (ILO "
        "Convention 189, not yet checked)",
    ]


def test_an_unknown_country_named_alone_is_said_in_the_users_language_with_help(content):
    outcome = dialogue.run(dialogue.inform, turn("Soy de Perú", "inform", {"language": "es"}),
                           content, TODAY)
    assert (outcome.slots["origin"], outcome.slots["shown_facts"]) == ("PE", ["std_complain"])
    assert texts(outcome)[:3] == ["Gracias. Usaré esto para tus preguntas: Perú.",
                                  "No tengo información verificada sobre Perú.",
                                  "Aquí te pueden ayudar:"]


def test_an_unknown_country_answers_the_country_menu_it_was_asked_in(content):
    asked = {"pending_topic": "wages", "destination": "QA",
             "menu": ["origin:NP", "origin:PH", "origin:other"]}
    outcome = dialogue.run(dialogue.inform, turn("Ghana", "inform", asked), content, TODAY)
    assert outcome.slots["origin"] == "GH"
    assert outcome.slots["shown_facts"] == ["qa_minimum_wage", "qa_wage_protection",
                                            "qa_ministry_line"]
    assert texts(outcome)[0] == "I have nothing verified for Ghana."


def test_an_emergency_in_an_unknown_country_names_no_other_countrys_number():
    real, errors = load_content()
    assert errors == []
    outcome = dialogue.run(dialogue.emergency, turn("help me I am in danger in Japan",
                                                    "emergency"), real, TODAY)
    assert [reply.text for reply in outcome.replies[:2]] == [
        "If you are in danger now, call the emergency number of the country you are in.",
        "I have nothing verified for Japan."]
    # Then the international standards only: no destination's emergency number.
    assert [reply.source.title for reply in outcome.replies[2:]] == [
        fact.source.short_title for fact in real.topics["emergency"].facts]
