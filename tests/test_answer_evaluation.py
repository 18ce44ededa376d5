"""bot.answer_evaluation: how an item passes, and how the simulated worker answers."""

from __future__ import annotations

from bot.answer_evaluation import Item, country_answer, passes, run_item

ITEM = Item(id="t1", language="ne", text="कतार जाँदैछु, कति तिर्नुपर्छ?", origin="NP",
            destination="QA", expect_any=("10,000", "१०,०००"), expect_none=("16008",))


def test_an_item_passes_with_one_expected_string_and_no_forbidden_one():
    assert passes(ITEM, "... रु १०,००० ...") is True
    assert passes(ITEM, "... 10,000 ... 16008") is False
    assert passes(ITEM, "... 20,000 ...") is False


def test_the_worker_answers_a_country_question_with_the_countrys_name_in_their_language():
    from bot.i18n import translator

    asked = translator("ne").gettext("Which country are you from?") + "\n1. नेपाल"
    assert country_answer(ITEM, asked) == "नेपाल"
    assert country_answer(ITEM, "नेपालको नियम अनुसार ...") is None
    unknown = Item("t2", "en", "hi", None, None, ("x",), ())
    assert country_answer(unknown, "Which country are you from?\n1. Nepal") == "Another country"


def test_a_conversation_goes_on_until_the_bot_stops_asking_for_a_country():
    from bot.i18n import translator

    question = translator("ne").gettext("In which country do you work, or plan to work?")
    replies = iter([[{"text": question}], [{"text": "रु १०,००० ..."}]])
    sent: list[str] = []

    def send(sender: str, text: str) -> list[dict]:
        sent.append(text)
        return next(replies)

    result = run_item(ITEM, send)
    assert sent == [ITEM.text, "कतार"]
    assert (result.passed, result.turns, result.first_reply_chars) == (True, 2, len(question))
