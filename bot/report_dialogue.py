"""The guided abuse report, its follow-up with a receipt code, and "forget me".

The report is a Rasa form (``report_form`` in domain.yml): each question is asked
by a handler here, each answer validated here. Answers live in slots that the
tracker store never writes to disk (see ``bot.storage.tracker_store``), and are
sealed to the partner the moment the report is sent.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot import dialogue
from bot.countries import country_name, find_countries
from bot.i18n import N_
from bot.render import Choice
from bot.reports import REPORT_SLOTS, service
from bot.reports.db import session_scope
from bot.reports.partners import CATEGORIES, PartnerRegistryError
from bot.reports.runtime import registry, retention_days

log = logging.getLogger(__name__)

CATEGORY_LABELS = {
    "withheld_wages": N_("Wages not paid or held back"),
    "passport_kept": N_("Passport or documents kept"),
    "confinement": N_("Locked in, not allowed out"),
    "violence_or_threats": N_("Violence or threats"),
    "sexual_abuse": N_("Sexual abuse"),
    "debt_or_illegal_fees": N_("Debt or illegal fees"),
    "contract_substitution": N_("Contract changed or swapped"),
    "excessive_hours": N_("Too many working hours"),
    "other": N_("Something else"),
}
YES_NO_SLOTS = ("report_minor", "report_consulate", "report_consent")
FIX = "fix"  # the consent question's third choice: change an answer first
FIX_LABELS = {
    "report_category": N_("What happened"),
    "report_destination": N_("Country"),
    "report_city": N_("City or area"),
    "report_employer": N_("Employer or recruiter"),
    "report_when": N_("When"),
    "report_minor": N_("Under 18"),
    "report_account": N_("Your account"),
    "report_consulate": N_("Summary to the consulate"),
    "report_origin": N_("Your country"),
    "report_contact": N_("How to contact you"),
}
OPTIONAL_SLOTS = ("report_city", "report_employer", "report_when", "report_contact")
SKIP = "-"
MIN_ACCOUNT_CHARS = 10
QUESTIONS = {
    "report_category": N_("What happened? Choose the closest one. You can stop at any time by "
                          "writing \"stop\"."),
    "report_destination": N_("In which country did this happen?"),
    "report_city": N_("In which city or area? Reply 0 to skip."),
    "report_employer": N_("Who is the employer or recruiter? Reply 0 to skip."),
    "report_when": N_("When did it happen, or since when? Reply 0 to skip."),
    "report_minor": N_("Was the person this happened to under 18 years old?"),
    "report_account": N_("Tell us what happened, in your own words. Do not write your name "
                         "or phone number."),
    "report_consulate": N_("Should a short summary, without your account, also go to the "
                           "consulate of your country?"),
    "report_origin": N_("Which country are you from?"),
    "report_contact": N_("If the organisation may contact you, write a safe way to reach you. "
                         "Reply 0 to stay anonymous."),
    "report_fix": N_("Which answer do you want to change?"),
    "report_consent": N_("Send this report to a partner organisation that helps workers? It "
                         "is never shared with immigration or police."),
}


def required_slots(domain_slots: list[str], slots: dict[str, Any]) -> list[str]:
    """The form's questions: the nationality only when it is needed for the consulate,
    and "which answer?" only when the reporter asked to change one."""
    skipped = set()
    if not slots.get("report_consulate"):
        skipped.add("report_origin")
    if slots.get("report_consent") != FIX:
        skipped.add("report_fix")
    return [slot for slot in domain_slots if slot not in skipped]


def ask(slot: str) -> dialogue.Handler:
    def handler(conversation: dialogue.Conversation) -> None:
        _ = conversation._
        question = _(QUESTIONS[slot])
        if slot == "report_category":
            conversation.say(question, [Choice(f"category:{key}", _(CATEGORY_LABELS[key]))
                                        for key in CATEGORIES])
        elif slot == "report_destination":
            conversation.say(question, conversation.country_menu("destination"))
        elif slot == "report_origin":
            conversation.say(question, conversation.country_menu("origin"))
        elif slot == "report_fix":
            answered = [name for name in FIX_LABELS if conversation.turn.slots.get(name)
                        is not None]
            conversation.say(question, [Choice(f"{FIX}:{name}", _(FIX_LABELS[name]))
                                        for name in answered])
        elif slot == "report_consent":
            conversation.say(question, [Choice("yes", _("Yes")), Choice("no", _("No")),
                                        Choice(FIX, _("Change an answer"))])
        elif slot in YES_NO_SLOTS:
            conversation.say(question, [Choice("yes", _("Yes")), Choice("no", _("No"))])
        else:
            conversation.say(question)
    return handler


def validate(slot: str, value: Any, conversation: dialogue.Conversation) -> dict[str, Any]:
    """Slot values to set: the cleaned answer, or None (and a reason) to ask again."""
    _ = conversation._
    text = str(value or "").strip()
    menu = conversation.turn.slots.get(dialogue.MENU) or []
    choice = conversation.turn.choice or _menu_choice(text, menu)
    if slot == "report_category":
        if choice and choice.startswith("category:"):
            # What the conversation already told us is not asked again.
            known = {answer: conversation.slots.get(said)
                     for said, answer in (("destination", "report_destination"),
                                          ("origin", "report_origin"))
                     if conversation.slots.get(said) and not conversation.slots.get(answer)}
            return {slot: choice.split(":", 1)[1], **known}
        conversation.say(_("Please reply with a number from 1 to {count}.").format(
            count=len(CATEGORIES)))
        return {slot: None}
    if slot == "report_destination":
        if choice and choice.startswith("destination:"):
            return {slot: choice.split(":", 1)[1]}
        found = find_countries(text, conversation.content)
        if found:
            return {slot: found[-1]}
        conversation.say(_("Sorry, I did not recognise the country."))
        return {slot: None}
    if slot == "report_origin":
        if choice and choice.startswith("origin:"):
            code = choice.split(":", 1)[1]
            return {slot: SKIP if code == dialogue.OTHER_COUNTRY else code}
        found = find_countries(text, conversation.content)
        if found:
            return {slot: found[0]}
        conversation.say(_("Sorry, I did not recognise the country."))
        return {slot: None}
    if slot == "report_fix":
        target = choice.split(":", 1)[1] if choice and choice.startswith(f"{FIX}:") else None
        if target in FIX_LABELS:
            # Clearing the answer makes the form ask it again, then ask for consent again.
            return {slot: None, target: None, "report_consent": None}
        conversation.say(_("Please reply with a number from 1 to {count}.").format(
            count=len(menu)))
        return {slot: None}
    if slot == "report_consent" and choice == FIX:
        return {slot: FIX}
    if slot in YES_NO_SLOTS:
        intent = conversation.turn.intent
        if choice in ("yes", "no") or intent in ("affirm", "deny"):
            return {slot: choice == "yes" or (choice is None and intent == "affirm")}
        conversation.say(_("Please reply with a number from 1 to {count}.").format(count=2))
        return {slot: None}
    if slot in OPTIONAL_SLOTS:
        return {slot: SKIP if dialogue._read_number(text) == 0 and len(text) <= 3 else text}
    if slot == "report_account":
        if len(text) < MIN_ACCOUNT_CHARS:
            conversation.say(_("Please write a few words about what happened."))
            return {slot: None}
        if conversation.turn.intent == "emergency":
            dialogue.emergency(conversation)  # the account reads as danger now: help first
        return {slot: text}
    return {slot: text or None}


def _menu_choice(text: str, menu: list[str]) -> str | None:
    number = dialogue._read_number(text)
    if number is not None and 1 <= number <= len(menu) and len(text) <= 12:
        return menu[number - 1]
    return None


def submit_report(conversation: dialogue.Conversation) -> None:
    _ = conversation._
    slots = conversation.turn.slots
    cleared = {slot: None for slot in REPORT_SLOTS}
    if slots.get("report_consent") is not True:
        conversation.say(_("Your report was not sent, and your answers were deleted."))
        _clear(conversation, cleared)
        return
    draft = service.ReportDraft(
        categories=[slots.get("report_category") or "other"],
        destination=slots.get("report_destination"),
        account=slots.get("report_account") or "",
        city=_optional(slots.get("report_city")),
        employer=_optional(slots.get("report_employer")),
        when=_optional(slots.get("report_when")),
        contact=_optional(slots.get("report_contact")),
        consent_consulate=bool(slots.get("report_consulate")),
        nationality=_optional(slots.get("report_origin")),
        minor=bool(slots.get("report_minor")),
        language=conversation.outcome.language)
    if draft.in_danger():
        dialogue.emergency(conversation)
    try:
        registered, consulates = registry()
        with session_scope() as session:
            submission = service.submit(session, draft, registered, conversation.today,
                                        retention_days(), consulates)
    except PartnerRegistryError:
        submission = None
    except SQLAlchemyError as exc:
        log.error("report not stored, asking again: %s", type(exc).__name__)
        conversation.say(_("Sorry, your report could not be saved just now. Nothing is lost: "
                           "your answers are kept. Try again in a few minutes."))
        conversation.outcome.slots["report_consent"] = None
        conversation.outcome.followup = "report_form"
        return
    if submission is None:
        destination = draft.destination
        name = country_name(destination, conversation.outcome.language) if destination else ""
        conversation.say(_("No partner organisation takes reports for {country} yet, so "
                           "nothing was stored. These can help you:").format(country=name))
        for fact in conversation.redress_facts():
            conversation.say_fact(fact)
    else:
        conversation.say(_("Your report was sent to {partner}.").format(
            partner=submission.partner.name))
        if submission.consulate:
            conversation.say(_("A short summary, without your account, goes to {consulate}.")
                             .format(consulate=submission.consulate.name))
        elif draft.consent_consulate:
            conversation.say(_("No consulate of your country takes summaries through us yet, "
                               "so only the organisation gets your report."))
        conversation.say(_("Your receipt code is {code}. Write it down or save it as a "
                           "contact name. It is shown only once. With it you can check for "
                           "an answer: write \"my report\".").format(code=submission.code))
    _clear(conversation, cleared)


def cancel_report(conversation: dialogue.Conversation) -> None:
    conversation.say(conversation._("Your report was not sent, and your answers were "
                                    "deleted."))
    _clear(conversation, {slot: None for slot in REPORT_SLOTS})


def ask_receipt_code(conversation: dialogue.Conversation) -> None:
    conversation.say(conversation._("Please type your receipt code (like K7QM-3X9P-2D0A)."))


def check_status(conversation: dialogue.Conversation) -> None:
    _ = conversation._
    typed = str(conversation.turn.slots.get("receipt_code") or "")
    _clear(conversation, {"receipt_code": None})
    try:
        with session_scope() as session:
            result = service.check_status(session, typed, conversation.turn.conversation_id)
    except SQLAlchemyError as exc:
        log.error("report status not available: %s", type(exc).__name__)
        conversation.say(_("Sorry, I cannot look up reports just now. Please try again "
                           "later."))
        return
    if result.rate_limited:
        conversation.say(_("Too many wrong codes. Please try again in one hour."))
    elif not result.found:
        conversation.say(_("I found no report with this code. Check the code and try again."))
    else:
        status = {"received": N_("Your report was received and is waiting to be delivered."),
                  "delivered": N_("Your report was delivered to the partner organisation."),
                  "answered": N_("The partner organisation has answered:")}
        conversation.say(_(status.get(result.status or "", status["received"])))
        for reply in result.replies:
            conversation.say(reply)


def forget(conversation: dialogue.Conversation) -> None:
    conversation.say(conversation._("Your conversation has been erased. If you write again, "
                                    "we start from the beginning."))
    conversation.outcome.slots = {"forget": True}


def _optional(value: Any) -> str | None:
    return None if value in (None, SKIP, "") else str(value)


def _clear(conversation: dialogue.Conversation, slots: dict[str, Any]) -> None:
    conversation.outcome.slots.update(slots)

