"""A Rasa NLU component that lets only a clear "stop" stop anything.

"stop" cancels a report in progress and deletes its answers. The classifier gives
some intent to every message, and a place name it has never seen ("Al Khor", the
city a reporter was asked for) can come out as "stop" with a confidence barely
above the fallback threshold. Real stops ("stop", "cancel", "रोक्नुहोस्", "توقف")
come with a confidence of 0.5 or more. Below :data:`MIN_CONFIDENCE`, a "stop" is
taken as not understood (``nlu_fallback``): in a form it is then an answer like any
other, and outside one the bot says it did not understand.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY
from rasa.shared.nlu.training_data.message import Message

STOP = "stop"
NOT_UNDERSTOOD = "nlu_fallback"
MIN_CONFIDENCE = 0.4


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class CautiousStop(GraphComponent):
    """Turns an unsure ``stop`` into ``nlu_fallback``."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"min_confidence": MIN_CONFIDENCE}

    def __init__(self, min_confidence: float) -> None:
        self.min_confidence = min_confidence

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage,
               resource: Resource, execution_context: ExecutionContext) -> CautiousStop:
        return cls(float(config["min_confidence"]))

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            intent = message.get(INTENT) or {}
            confidence = intent.get(PREDICTED_CONFIDENCE_KEY) or 0.0
            if intent.get(INTENT_NAME_KEY) == STOP and confidence < self.min_confidence:
                message.set(INTENT, {INTENT_NAME_KEY: NOT_UNDERSTOOD,
                                     PREDICTED_CONFIDENCE_KEY: confidence}, add_to_output=True)
        return messages
