"""bot.nlu.close_call: two close question intents become a question, not a guess."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.close_call import CloseCallDetector, close_pair


def _ranking(*pairs: tuple[str, float]) -> list[dict]:
    return [{"name": name, "confidence": confidence} for name, confidence in pairs]


@pytest.mark.parametrize(("ranking", "expected"), [
    (_ranking(("report_abuse", 0.45), ("check_report_status", 0.35)),
     ["report_abuse", "check_report_status"]),  # 0.78 of the first: ask
    (_ranking(("ask_wages", 0.40), ("ask_contract", 0.28)), ["ask_wages", "ask_contract"]),
    (_ranking(("ask_wages", 0.40), ("ask_contract", 0.27)), None),  # 0.675: the guess stands
    (_ranking(("emergency", 0.40), ("ask_redress", 0.39)), None),  # an emergency is never held up
    (_ranking(("ask_redress", 0.40), ("emergency", 0.39)), None),
    (_ranking(("greet", 0.30), ("affirm", 0.29)), None),  # not questions
    (_ranking(("ask_wages", 0.90),), None),
    ([], None),
])
def test_only_two_close_question_intents_make_a_pair(ranking, expected):
    assert close_pair(ranking) == expected


def _process(intent: dict, ranking: list[dict]) -> Message:
    message = Message(data={"text": "x", "intent": intent, "intent_ranking": ranking})
    [processed] = CloseCallDetector(0.7, ("ask_*", "report_abuse", "check_report_status")
                                    ).process([message])
    return processed


def test_a_close_call_is_marked_not_understood_and_keeps_the_ranking():
    ranking = _ranking(("ask_wages", 0.41), ("ask_contract", 0.39), ("ask_job_loss", 0.1))
    message = _process({"name": "ask_wages", "confidence": 0.41}, ranking)
    assert message.get("intent") == {"name": "nlu_fallback", "confidence": 0.41}
    assert message.get("close_call") == ["ask_wages", "ask_contract"]
    assert message.get("intent_ranking") == ranking
    assert message.as_dict(only_output_properties=True)["close_call"] == [
        "ask_wages", "ask_contract"]


def test_what_an_earlier_component_decided_is_left_alone():
    # A receipt code (one intent at 1.0) or Rasa's own fallback at the top of the ranking.
    ranking = _ranking(("nlu_fallback", 0.12), ("ask_wages", 0.11), ("ask_contract", 0.10))
    message = _process({"name": "nlu_fallback", "confidence": 0.12}, ranking)
    assert (message.get("intent"), message.get("close_call")) == (
        {"name": "nlu_fallback", "confidence": 0.12}, None)
