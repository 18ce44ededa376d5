"""A Rasa NLU component that asks, rather than guesses, when two readings are close.

"I reported my agent last month and now he threatens me" can be a new report or a
question about the old one; "my contract says 1,500 but they pay 1,000" can be
about wages or about the contract. When the classifier's two best intents are both
questions the bot answers (:data:`QUESTION_INTENTS`) and the second is nearly as
likely as the first (its probability at least :data:`MIN_RATIO` of the first's),
the message is marked ``nlu_fallback`` (Rasa's own way of saying "not sure") with
the two intents as ``close_call``. The fallback action then asks one short
question with the two as choices. The ranking is kept, so evaluation still sees
the classifier's guess.

:data:`MIN_RATIO` was chosen on the hard development set (663 messages). With the
TF-IDF SVM of 2026-12-02 (:mod:`bot.nlu.tfidf_svm`), at 0.7 14 messages (2 %) get the
question, and the right intent is one of the two choices in all 14 (in one of them the
first guess was wrong); at 0.5, 43 would be asked, one of them without the right choice.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
)
from rasa.shared.nlu.training_data.message import Message

CLOSE_CALL = "close_call"  # the message attribute: [likeliest intent, the other]
NOT_UNDERSTOOD = "nlu_fallback"
MIN_RATIO = 0.7
# Only between questions: an emergency, a greeting or a "yes" is never held up.
QUESTION_INTENTS = ("ask_*", "report_abuse", "check_report_status")


def close_pair(ranking: list[dict[str, Any]], min_ratio: float = MIN_RATIO,
               intents: tuple[str, ...] = QUESTION_INTENTS) -> list[str] | None:
    """The two intents to choose between, likeliest first, or None when one is clear."""
    if len(ranking) < 2:
        return None
    first, second = ranking[0], ranking[1]
    names = [first.get(INTENT_NAME_KEY) or "", second.get(INTENT_NAME_KEY) or ""]
    if not all(any(fnmatchcase(name, pattern) for pattern in intents) for name in names):
        return None
    top = float(first.get(PREDICTED_CONFIDENCE_KEY) or 0.0)
    runner_up = float(second.get(PREDICTED_CONFIDENCE_KEY) or 0.0)
    if top <= 0.0 or runner_up / top < min_ratio:
        return None
    return names


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class CloseCallDetector(GraphComponent):
    """Turns a message whose two best question intents are close into ``nlu_fallback``."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"min_ratio": MIN_RATIO, "intents": list(QUESTION_INTENTS)}

    def __init__(self, min_ratio: float, intents: tuple[str, ...]) -> None:
        self.min_ratio = min_ratio
        self.intents = intents

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage,
               resource: Resource, execution_context: ExecutionContext) -> CloseCallDetector:
        return cls(float(config["min_ratio"]), tuple(config["intents"]))

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            intent = message.get(INTENT) or {}
            ranking = message.get(INTENT_RANKING_KEY) or []
            # Only the classifier's own reading: not a fallback, a cautious "stop" or a
            # receipt code, which earlier components decided.
            if not ranking or intent.get(INTENT_NAME_KEY) != ranking[0].get(INTENT_NAME_KEY):
                continue
            pair = close_pair(ranking, self.min_ratio, self.intents)
            if pair is None:
                continue
            message.set(INTENT, {INTENT_NAME_KEY: NOT_UNDERSTOOD,
                                 PREDICTED_CONFIDENCE_KEY: intent.get(PREDICTED_CONFIDENCE_KEY)},
                        add_to_output=True)
            message.set(CLOSE_CALL, pair, add_to_output=True)
        return messages
