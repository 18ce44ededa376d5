"""A Rasa NLU component that tags each message with the language it is written in.

It learns from the training data itself: every intent block in ``data/nlu/<code>.yml``
carries ``metadata: {language: <code>}``. The result is an output property,
``language``, so it reaches the tracker in the user event's parse data, where the
actions decide whether to switch the conversation's language.
"""

from __future__ import annotations

import json
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import METADATA, METADATA_INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.langid import NgramModel, identify

LANGUAGE = "language"
_MODEL_FILE = "language_model.json"  # n-gram counts and marker words


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=True
)
class LanguageIdentifier(GraphComponent):
    """Adds ``language`` (see :class:`bot.langid.Identification`) to every message."""

    def __init__(self, model_storage: ModelStorage, resource: Resource,
                 model: NgramModel | None = None) -> None:
        self._model_storage = model_storage
        self._resource = resource
        self._model = model

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage,
               resource: Resource, execution_context: ExecutionContext) -> LanguageIdentifier:
        return cls(model_storage, resource)

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> LanguageIdentifier:
        try:
            with model_storage.read_from(resource) as directory:
                saved = json.loads((directory / _MODEL_FILE).read_text(encoding="utf-8"))
        except (ValueError, OSError):
            return cls(model_storage, resource)
        return cls(model_storage, resource, NgramModel(saved["counts"], saved["markers"]))

    def train(self, training_data: TrainingData) -> Resource:
        examples = []
        for message in training_data.intent_examples:
            intent_metadata = (message.get(METADATA) or {}).get(METADATA_INTENT) or {}
            language = intent_metadata.get(LANGUAGE)
            if language and message.get(TEXT):
                examples.append((message.get(TEXT), language))
        self._model = NgramModel.train(examples)
        with self._model_storage.write_to(self._resource) as directory:
            saved = {"counts": self._model.counts, "markers": self._model.markers}
            (directory / _MODEL_FILE).write_text(json.dumps(saved), encoding="utf-8")
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            message.set(LANGUAGE, identify(text, self._model).as_dict(), add_to_output=True)
        return messages
