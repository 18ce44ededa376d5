"""bot.nlu.cautious_stop: only a clear "stop" stops a report."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.cautious_stop import CautiousStop


def _intent_after(name: str, confidence: float) -> dict:
    message = Message(data={"text": "x", "intent": {"name": name, "confidence": confidence}})
    [processed] = CautiousStop(0.4).process([message])
    return processed.get("intent")


@pytest.mark.parametrize(("name", "confidence", "expected"), [
    ("stop", 0.12, {"name": "nlu_fallback", "confidence": 0.12}),  # "Al Khor"
    ("stop", 0.39, {"name": "nlu_fallback", "confidence": 0.39}),
    ("stop", 0.56, {"name": "stop", "confidence": 0.56}),  # "توقف"
    ("ask_wages", 0.12, {"name": "ask_wages", "confidence": 0.12}),  # others untouched
])
def test_an_unsure_stop_is_not_understood_and_a_clear_one_stays(name, confidence, expected):
    assert _intent_after(name, confidence) == expected
