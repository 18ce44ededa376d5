"""Rasa custom actions. Each one builds a :class:`Turn`, runs a handler, renders.

The logic lives in :mod:`bot.dialogue` and :mod:`bot.report_dialogue`; this module
only adapts rasa-sdk's tracker and dispatcher to it, so that it stays small and the
logic is tested without a running action server. Handlers run in a worker thread:
some reach the database or hash a receipt code (Argon2), which must not stall the
action server's event loop and every other conversation with it.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from datetime import date
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from bot import dialogue, indicators, languages, report_dialogue
from bot.content import ContentStore
from bot.content.loader import content_dir
from bot.i18n import translator
from bot.render import Capabilities, render

log = logging.getLogger(__name__)

CONTENT = ContentStore(content_dir())


def turn_from_tracker(tracker: Tracker) -> dialogue.Turn:
    message = tracker.latest_message or {}
    metadata = message.get("metadata") or {}
    entities = {entity.get("entity"): entity.get("value")
                for entity in message.get("entities") or []}
    choice = entities.get("choice")
    close_call = message.get("close_call")
    return dialogue.Turn(
        intent=(message.get("intent") or {}).get("name"),
        text=message.get("text") or "",
        slots=tracker.current_slot_values(),
        identification=message.get("language"),
        language_hint=metadata.get("language_hint"),
        capabilities=Capabilities.from_metadata(metadata),
        origin_hint=metadata.get("origin_hint") if isinstance(metadata.get("origin_hint"), str)
        else None,
        choice=choice if isinstance(choice, str) else None,  # a payload's, typed or not
        conversation_id=tracker.sender_id,
        close_call=tuple(close_call) if isinstance(close_call, list) and len(close_call) == 2
        and all(isinstance(name, str) for name in close_call) else None,
    )


class DialogueAction(Action, ABC):
    """An action whose behaviour is one handler of :mod:`bot.dialogue`."""

    @abstractmethod
    def name(self) -> str: ...

    @abstractmethod
    def handler(self) -> dialogue.Handler: ...

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        try:
            turn = turn_from_tracker(tracker)
            outcome = await asyncio.to_thread(dialogue.run, self.handler(), turn,
                                              CONTENT.current())
        except Exception as exc:  # noqa: BLE001 - see _failed
            return _failed(self.name(), exc, dispatcher, tracker)
        _dispatch(dispatcher, outcome, turn.capabilities)
        if outcome.question_topic:
            _count_question(outcome, tracker)
        events = [SlotSet(slot, value) for slot, value in outcome.slots.items()]
        if outcome.followup:
            events.append(FollowupAction(outcome.followup))
        return events


def _count_question(outcome: dialogue.Outcome, tracker: Tracker) -> None:
    """Add the question to the aggregate counters (:mod:`bot.indicators`) in a worker
    thread, without waiting: the answer does not wait for a count."""
    task = asyncio.get_running_loop().run_in_executor(
        None, indicators.record_question, outcome.question_topic, outcome.language,
        tracker.get_latest_input_channel(), date.today())
    _PENDING_COUNTS.add(task)
    task.add_done_callback(_PENDING_COUNTS.discard)


_PENDING_COUNTS: set[asyncio.Future] = set()  # held until done, so none is collected early


def _failed(where: str, exc: Exception, dispatcher: CollectingDispatcher, tracker: Tracker
            ) -> list[dict[str, Any]]:
    """A failure never speaks: rasa-sdk would answer 500 with the request (the whole
    tracker, report answers included), which the Rasa server logs. Log the error's
    class only, change no slot (a report's answers stay as they were, sealed), and
    tell the user in their language."""
    log.error("%s failed: %s", where, type(exc).__name__)
    language = tracker.slots.get(dialogue.LANGUAGE)
    if language not in languages.CODES:
        language = languages.DEFAULT_LANGUAGE
    dispatcher.utter_message(text=translator(language).gettext(dialogue.SOMETHING_FAILED))
    return []


def _dispatch(dispatcher: CollectingDispatcher, outcome: dialogue.Outcome,
              capabilities: Capabilities) -> None:
    language_translator = translator(outcome.language)
    for reply in outcome.replies:
        dispatcher.utter_message(**render(reply, capabilities, language_translator))


class ValidateReportForm(FormValidationAction):
    """Checks each answer of the report form (see bot.report_dialogue.validate)."""

    def name(self) -> str:
        return "validate_report_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: dict[str, Any]) -> list[str]:
        return report_dialogue.required_slots(domain_slots, tracker.current_slot_values())

    async def _validate(self, slot: str, value: Any, dispatcher: CollectingDispatcher,
                        tracker: Tracker) -> dict[str, Any]:
        try:
            turn = turn_from_tracker(tracker)
            conversation = dialogue.Conversation(turn, CONTENT.current())
            values = await asyncio.to_thread(report_dialogue.validate, slot, value,
                                             conversation)
        except Exception as exc:  # noqa: BLE001 - see _failed
            _failed(f"validate {slot}", exc, dispatcher, tracker)
            return {slot: None}  # asked again; the other answers are kept
        _dispatch(dispatcher, conversation.outcome, turn.capabilities)
        return {**conversation.outcome.slots, **values}

    async def validate_report_category(self, value: Any, dispatcher: CollectingDispatcher,
                                       tracker: Tracker, domain: dict[str, Any]
                                       ) -> dict[str, Any]:
        return await self._validate("report_category", value, dispatcher, tracker)

    async def validate_report_destination(self, value: Any, dispatcher: CollectingDispatcher,
                                          tracker: Tracker, domain: dict[str, Any]
                                          ) -> dict[str, Any]:
        return await self._validate("report_destination", value, dispatcher, tracker)

    async def validate_report_city(self, value: Any, dispatcher: CollectingDispatcher,
                                   tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        return await self._validate("report_city", value, dispatcher, tracker)

    async def validate_report_employer(self, value: Any, dispatcher: CollectingDispatcher,
                                       tracker: Tracker, domain: dict[str, Any]
                                       ) -> dict[str, Any]:
        return await self._validate("report_employer", value, dispatcher, tracker)

    async def validate_report_when(self, value: Any, dispatcher: CollectingDispatcher,
                                   tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        return await self._validate("report_when", value, dispatcher, tracker)

    async def validate_report_minor(self, value: Any, dispatcher: CollectingDispatcher,
                                    tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        return await self._validate("report_minor", value, dispatcher, tracker)

    async def validate_report_account(self, value: Any, dispatcher: CollectingDispatcher,
                                      tracker: Tracker, domain: dict[str, Any]
                                      ) -> dict[str, Any]:
        return await self._validate("report_account", value, dispatcher, tracker)

    async def validate_report_consulate(self, value: Any, dispatcher: CollectingDispatcher,
                                        tracker: Tracker, domain: dict[str, Any]
                                        ) -> dict[str, Any]:
        return await self._validate("report_consulate", value, dispatcher, tracker)

    async def validate_report_origin(self, value: Any, dispatcher: CollectingDispatcher,
                                     tracker: Tracker, domain: dict[str, Any]
                                     ) -> dict[str, Any]:
        return await self._validate("report_origin", value, dispatcher, tracker)

    async def validate_report_contact(self, value: Any, dispatcher: CollectingDispatcher,
                                      tracker: Tracker, domain: dict[str, Any]
                                      ) -> dict[str, Any]:
        return await self._validate("report_contact", value, dispatcher, tracker)

    async def validate_report_fix(self, value: Any, dispatcher: CollectingDispatcher,
                                  tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        return await self._validate("report_fix", value, dispatcher, tracker)

    async def validate_report_consent(self, value: Any, dispatcher: CollectingDispatcher,
                                      tracker: Tracker, domain: dict[str, Any]
                                      ) -> dict[str, Any]:
        return await self._validate("report_consent", value, dispatcher, tracker)


class ActionGreet(DialogueAction):
    def name(self) -> str:
        return "action_greet"

    def handler(self) -> dialogue.Handler:
        return dialogue.greet


class ActionHelp(DialogueAction):
    def name(self) -> str:
        return "action_help"

    def handler(self) -> dialogue.Handler:
        return dialogue.show_help


class ActionChangeLanguage(DialogueAction):
    def name(self) -> str:
        return "action_change_language"

    def handler(self) -> dialogue.Handler:
        return dialogue.change_language


class ActionAnswerTopic(DialogueAction):
    def name(self) -> str:
        return "action_answer_topic"

    def handler(self) -> dialogue.Handler:
        return dialogue.answer_topic


class ActionInform(DialogueAction):
    def name(self) -> str:
        return "action_inform"

    def handler(self) -> dialogue.Handler:
        return dialogue.inform


class ActionChooseOption(DialogueAction):
    def name(self) -> str:
        return "action_choose_option"

    def handler(self) -> dialogue.Handler:
        return dialogue.choose_option


class ActionEmergency(DialogueAction):
    def name(self) -> str:
        return "action_emergency"

    def handler(self) -> dialogue.Handler:
        return dialogue.emergency


class ActionFallback(DialogueAction):
    def name(self) -> str:
        return "action_fallback"

    def handler(self) -> dialogue.Handler:
        return dialogue.fallback


class ActionGoodbye(DialogueAction):
    def name(self) -> str:
        return "action_goodbye"

    def handler(self) -> dialogue.Handler:
        return dialogue.goodbye


class ActionThanks(DialogueAction):
    def name(self) -> str:
        return "action_thanks"

    def handler(self) -> dialogue.Handler:
        return dialogue.thanks


class ActionAcknowledge(DialogueAction):
    def name(self) -> str:
        return "action_acknowledge"

    def handler(self) -> dialogue.Handler:
        return dialogue.acknowledge


class ActionSubmitReport(DialogueAction):
    def name(self) -> str:
        return "action_submit_report"

    def handler(self) -> dialogue.Handler:
        return report_dialogue.submit_report


class ActionCancelReport(DialogueAction):
    def name(self) -> str:
        return "action_cancel_report"

    def handler(self) -> dialogue.Handler:
        return report_dialogue.cancel_report


class ActionAskReceiptCode(DialogueAction):
    def name(self) -> str:
        return "action_ask_receipt_code"

    def handler(self) -> dialogue.Handler:
        return report_dialogue.ask_receipt_code


class ActionCheckStatus(DialogueAction):
    def name(self) -> str:
        return "action_check_status"

    def handler(self) -> dialogue.Handler:
        return report_dialogue.check_status


class ActionForget(DialogueAction):
    def name(self) -> str:
        return "action_forget"

    def handler(self) -> dialogue.Handler:
        return report_dialogue.forget


class ActionAskReportCategory(DialogueAction):
    def name(self) -> str:
        return "action_ask_report_category"

    def handler(self) -> dialogue.Handler:
        return report_dialogue.ask("report_category")


class ActionAskReportDestination(DialogueAction):
    def name(self) -> str:
        return "action_ask_report_destination"

    def handler(self) -> dialogue.Handler:
        return report_dialogue.ask("report_destination")


class ActionAskReportCity(DialogueAction):
    def name(self) -> str:
        return "action_ask_report_city"

    def handler(self) -> dialogue.Handler:
        return report_dialogue.ask("report_city")


class ActionAskReportEmployer(DialogueAction):
    def name(self) -> str:
        return "action_ask_report_employer"

    def handler(self) -> dialogue.Handler:
        return report_dialogue.ask("report_employer")


class ActionAskReportWhen(DialogueAction):
    def name(self) -> str:
        return "action_ask_report_when"

    def handler(self) -> dialogue.Handler:
        return report_dialogue.ask("report_when")


class ActionAskReportMinor(DialogueAction):
    def name(self) -> str:
        return "action_ask_report_minor"

    def handler(self) -> dialogue.Handler:
        return report_dialogue.ask("report_minor")


class ActionAskReportAccount(DialogueAction):
    def name(self) -> str:
        return "action_ask_report_account"

    def handler(self) -> dialogue.Handler:
        return report_dialogue.ask("report_account")


class ActionAskReportConsulate(DialogueAction):
    def name(self) -> str:
        return "action_ask_report_consulate"

    def handler(self) -> dialogue.Handler:
        return report_dialogue.ask("report_consulate")


class ActionAskReportOrigin(DialogueAction):
    def name(self) -> str:
        return "action_ask_report_origin"

    def handler(self) -> dialogue.Handler:
        return report_dialogue.ask("report_origin")


class ActionAskReportContact(DialogueAction):
    def name(self) -> str:
        return "action_ask_report_contact"

    def handler(self) -> dialogue.Handler:
        return report_dialogue.ask("report_contact")


class ActionAskReportFix(DialogueAction):
    def name(self) -> str:
        return "action_ask_report_fix"

    def handler(self) -> dialogue.Handler:
        return report_dialogue.ask("report_fix")


class ActionAskReportConsent(DialogueAction):
    def name(self) -> str:
        return "action_ask_report_consent"

    def handler(self) -> dialogue.Handler:
        return report_dialogue.ask("report_consent")
