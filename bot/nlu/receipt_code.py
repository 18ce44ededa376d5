"""A Rasa NLU component that recognises receipt codes, whatever the classifier guessed.

A receipt code (``K7QM-3X9P-2D0A``) is random letters and digits, so the intent
classifier reads it as anything: "affirm", "deny", even "stop", which would end
the follow-up. Its shape is unmistakable, though: a message holding one is a
follow-up (``check_report_status``) and carries the code as the ``receipt_code``
entity. Identifying the language of a code is meaningless, so when the message is
little more than the code, the language guess is dropped: the conversation keeps
its language.
"""

from __future__ import annotations

import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.reports.crypto import looks_like_code, normalise_code

INTENT_NAME = "check_report_status"
ENTITY = "receipt_code"
# Three groups of four, separated as people copy them, or twelve characters in a row.
# (Lookaheads, so that overlapping candidates are all seen.)
_GROUPED = re.compile(r"(?=(?<![0-9A-Za-z])([0-9A-Za-z]{4}[-\s.]{1,2}[0-9A-Za-z]{4}[-\s.]{1,2}"
                      r"[0-9A-Za-z]{4})(?![0-9A-Za-z]))")
_RUN = re.compile(r"(?=(?<![0-9A-Za-z])([0-9A-Za-z]{12})(?![0-9A-Za-z]))")


def find_code(text: str) -> tuple[str, int, int] | None:
    """(canonical code, start, end) of the first receipt code in ``text``, if any."""
    for pattern in (_GROUPED, _RUN):
        for match in pattern.finditer(text):
            typed = match.group(1)
            code = normalise_code(typed) if looks_like_code(typed) else None
            if code:  # not words ("my code K7QM") nor a phone number
                return code, match.start(1), match.start(1) + len(typed)
    return None


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class ReceiptCodeRecogniser(GraphComponent):
    """Sets ``check_report_status`` and the ``receipt_code`` entity on messages with a code."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage,
               resource: Resource, execution_context: ExecutionContext
               ) -> ReceiptCodeRecogniser:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            found = find_code(text)
            if found is None:
                continue
            code, start, end = found
            message.set(INTENT, {"name": INTENT_NAME, "confidence": 1.0}, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [{"name": INTENT_NAME, "confidence": 1.0}],
                        add_to_output=True)
            entities = [entity for entity in message.get(ENTITIES) or []
                        if entity.get("entity") != ENTITY]
            entities.append({"entity": ENTITY, "value": code, "start": start, "end": end,
                             "extractor": type(self).__name__})
            message.set(ENTITIES, entities, add_to_output=True)
            language = message.get("language")
            rest = text[:start] + text[end:]
            if isinstance(language, dict) and sum(char.isalpha() for char in rest) < 3:
                message.set("language", {**language, "language": None, "confident": False},
                            add_to_output=True)
        return messages
