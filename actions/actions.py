"""Rasa custom actions. Each one builds a :class:`Turn`, runs a handler, renders.

The logic lives in :mod:`bot.dialogue`; this module only adapts rasa-sdk's
tracker and dispatcher to it, so that it stays small and the logic is tested
without a running action server.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from bot import dialogue, report_dialogue
from bot.content import ContentStore
from bot.content.loader import content_dir
from bot.i18n import translator
from bot.render import render

CONTENT = ContentStore(content_dir())


def turn_from_tracker(tracker: Tracker) -> dialogue.Turn:
    message = tracker.latest_message or {}
    metadata = message.get("metadata") or {}
    entities = {entity.get("entity"): entity.get("value")
                for entity in message.get("entities") or []}
    return dialogue.Turn(
        intent=(message.get("intent") or {}).get("name"),
        text=message.get("text") or "",
        slots=tracker.current_slot_values(),
        identification=message.get("language"),
        language_hint=metadata.get("language_hint"),
        channel=tracker.get_latest_input_channel(),
        choice=entities.get("choice"),
        conversation_id=tracker.sender_id,
    )


class DialogueAction(Action, ABC):
    """An action whose behaviour is one handler of :mod:`bot.dialogue`."""

    handler: dialogue.Handler

    @abstractmethod
    def name(self) -> str: ...

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        turn = turn_from_tracker(tracker)
        outcome = dialogue.run(type(self).handler, turn, CONTENT.current())
        _dispatch(dispatcher, outcome, turn.channel)
        events = [SlotSet(slot, value) for slot, value in outcome.slots.items()]
        if outcome.followup:
            events.append(FollowupAction(outcome.followup))
        return events


def _dispatch(dispatcher: CollectingDispatcher, outcome: dialogue.Outcome, channel: str | None
              ) -> None:
    language_translator = translator(outcome.language)
    for reply in outcome.replies:
        dispatcher.utter_message(**render(reply, channel, language_translator))


class ValidateReportForm(FormValidationAction):
    """Checks each answer of the report form (see bot.report_dialogue.validate)."""

    def name(self) -> str:
        return "validate_report_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: dict[str, Any]) -> list[str]:
        return report_dialogue.required_slots(domain_slots, tracker.current_slot_values())

    def _validate(self, slot: str, value: Any, dispatcher: CollectingDispatcher,
                  tracker: Tracker) -> dict[str, Any]:
        turn = turn_from_tracker(tracker)
        conversation = dialogue.Conversation(turn, CONTENT.current())
        values = report_dialogue.validate(slot, value, conversation)
        _dispatch(dispatcher, conversation.outcome, turn.channel)
        return {**conversation.outcome.slots, **values}


def _validator(slot: str):
    def validate_slot(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                      domain: dict[str, Any]) -> dict[str, Any]:
        return self._validate(slot, value, dispatcher, tracker)
    return validate_slot


for _slot in report_dialogue.REPORT_SLOTS:
    setattr(ValidateReportForm, f"validate_{_slot}", _validator(_slot))


def _action(name: str, handler: dialogue.Handler) -> type[DialogueAction]:
    return type(name, (DialogueAction,), {"name": lambda self: name,
                                          "handler": staticmethod(handler)})


ActionGreet = _action("action_greet", dialogue.greet)
ActionHelp = _action("action_help", dialogue.show_help)
ActionChangeLanguage = _action("action_change_language", dialogue.change_language)
ActionAnswerTopic = _action("action_answer_topic", dialogue.answer_topic)
ActionInform = _action("action_inform", dialogue.inform)
ActionChooseOption = _action("action_choose_option", dialogue.choose_option)
ActionEmergency = _action("action_emergency", dialogue.emergency)
ActionFallback = _action("action_fallback", dialogue.fallback)
ActionGoodbye = _action("action_goodbye", dialogue.goodbye)
ActionThanks = _action("action_thanks", dialogue.thanks)
ActionAcknowledge = _action("action_acknowledge", dialogue.acknowledge)
ActionSubmitReport = _action("action_submit_report", report_dialogue.submit_report)
ActionCancelReport = _action("action_cancel_report", report_dialogue.cancel_report)
ActionAskReceiptCode = _action("action_ask_receipt_code", report_dialogue.ask_receipt_code)
ActionCheckStatus = _action("action_check_status", report_dialogue.check_status)
ActionForget = _action("action_forget", report_dialogue.forget)
ASK_ACTIONS = [_action(f"action_ask_{slot}", report_dialogue.ask(slot))
               for slot in report_dialogue.REPORT_SLOTS]
