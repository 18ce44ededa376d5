"""The guided abuse report, its follow-up with a receipt code, and "forget me".

The report is a Rasa form (``report_form`` in domain.yml): each question is asked
by a handler here, each answer validated here. Answers live in slots that the
tracker store never writes to disk (see ``bot.storage.tracker_store``), and are
sealed to the partner the moment the report is sent.
"""

from __future__ import annotations

import logging
import unicodedata
from collections import Counter
from collections.abc import Mapping
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot import dialogue
from bot.countries import country_name, find_countries, fold
from bot.i18n import N_, translator
from bot.render import Choice
from bot.reports import REPORT_SLOTS, service
from bot.reports.db import session_scope
from bot.reports.idempotency import SubmissionInProgress, submit_once
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
# On SMS every question, with its menu, fits one page of 3 segments (UCS-2: about 200
# characters): short labels, the commonest first.
SMS_CATEGORY_LABELS = {
    "withheld_wages": N_("Wages not paid"),
    "passport_kept": N_("Passport kept"),
    "debt_or_illegal_fees": N_("Illegal fees/debt"),
    "excessive_hours": N_("Too many hours"),
    "contract_substitution": N_("Contract swapped"),
    "violence_or_threats": N_("Violence"),
    "confinement": N_("Locked in"),
    "sexual_abuse": N_("Sexual abuse"),
    "other": N_("Other"),
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
SMS_FIX_LABELS = {
    "report_category": N_("What happened"),
    "report_destination": N_("Country"),
    "report_city": N_("City"),
    "report_employer": N_("Employer"),
    "report_when": N_("When"),
    "report_minor": N_("Under 18"),
    "report_account": N_("Your account"),
    "report_consulate": N_("Consulate"),
    "report_origin": N_("Your country"),
    "report_contact": N_("Contact"),
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
# The consulate question when the worker's country is known: it is named, not asked.
CONSULATE_OF = N_("Should a short summary, without your account, also go to the consulate "
                  "of {country}?")
SMS_QUESTIONS = {
    "report_category": N_("What happened?"),
    "report_destination": N_("In which country did this happen? You can also write its name."),
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
        sms = _on_sms(conversation)
        question = _(SMS_QUESTIONS[slot] if sms and slot in SMS_QUESTIONS else QUESTIONS[slot])
        if slot == "report_category":
            labels = SMS_CATEGORY_LABELS if sms else CATEGORY_LABELS
            conversation.say(question, [Choice(f"category:{key}", _(labels[key]))
                                        for key in (labels if sms else CATEGORIES)])
        elif slot in ("report_destination", "report_origin"):
            conversation.say(question, _country_menu(conversation, slot.removeprefix("report_"),
                                                     sms))
        elif slot == "report_fix":
            labels = SMS_FIX_LABELS if sms else FIX_LABELS
            answered = [name for name in labels if conversation.turn.slots.get(name)
                        is not None]
            conversation.say(question, [Choice(f"{FIX}:{name}", _(labels[name]))
                                        for name in answered])
        elif slot == "report_consent":
            conversation.say(question, [Choice("yes", _("Yes")), Choice("no", _("No")),
                                        Choice(FIX, _("Change an answer"))])
        elif slot in YES_NO_SLOTS:
            origin = _known_origin(conversation) if slot == "report_consulate" else None
            if origin:
                question = _(CONSULATE_OF).format(
                    country=country_name(origin, conversation.outcome.language))
            conversation.say(question, [Choice("yes", _("Yes")), Choice("no", _("No"))])
        else:
            conversation.say(question)
    return handler


def _country_menu(conversation: dialogue.Conversation, role: str, sms: bool) -> list[Choice]:
    """Every country with this role; on SMS only the likeliest few, then "another country"
    (any other can be written), the destinations ordered by the worker's country even when
    only their phone number tells it."""
    if not sms:
        return conversation.country_menu(role)
    origin = _known_origin(conversation) if role == "destination" else None
    return conversation.country_menu(role, likely_first=True, other=origin)


def _on_sms(conversation: dialogue.Conversation) -> bool:
    """Every message costs the worker money: short questions, menus and answers."""
    return bool(conversation.turn.capabilities.segment_budget)


def _known_origin(conversation: dialogue.Conversation) -> str | None:
    """The worker's country, if the report or the conversation already knows it: their
    answer, the ``origin`` slot, or the country of their phone number."""
    answered = conversation.turn.slots.get("report_origin")
    if answered:
        return None if answered == SKIP else str(answered)
    for code in (conversation.slots.get("origin"), conversation.turn.origin_hint):
        country = conversation.content.countries.get(code or "")
        if country is not None and "origin" in country.roles:
            return country.code
    return None


def validate(slot: str, value: Any, conversation: dialogue.Conversation) -> dict[str, Any]:
    """Slot values to set: the cleaned answer, or None (and a reason) to ask again."""
    _ = conversation._
    if _already_valid(slot, value, conversation):
        # An answer the form already holds, in the form this function gave it: Rasa
        # validates them again when the form starts again (after a report could not be
        # stored). It was checked when it was given.
        return {slot: value}
    text = str(value or "").strip()
    menu = conversation.turn.slots.get(dialogue.MENU) or []
    choice = conversation.turn.choice or _menu_choice(text, menu) \
        or _label_choice(text, menu, conversation.outcome.language)
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
        # A yes or no said in words; a message with no letter or digit at all (only
        # invisible characters, say) is no answer, whatever the classifier guessed.
        said = any(char.isalnum() for char in text)
        intent = conversation.turn.intent if said else None
        if choice in ("yes", "no") or intent in ("affirm", "deny"):
            answer = choice == "yes" or (choice is None and intent == "affirm")
            origin = _known_origin(conversation) if slot == "report_consulate" else None
            if answer and origin and not conversation.turn.slots.get("report_origin"):
                return {slot: True, "report_origin": origin}  # named in the question
            return {slot: answer}
        conversation.say(_("Please reply with a number from 1 to {count}.").format(count=2))
        return {slot: None}
    if slot in OPTIONAL_SLOTS:
        return {slot: SKIP if dialogue._read_number(text) == 0 and len(text) <= 3 else text}
    if slot == "report_account":
        if len(text) < MIN_ACCOUNT_CHARS:
            conversation.say(_("Please write a few words about what happened."))
            return {slot: None}
        if conversation.turn.intent == "emergency":
            # The account reads as danger now: help first.
            dialogue.emergency(conversation, conversation.turn.slots.get("report_destination"))
        return {slot: text}
    return {slot: text or None}


def _already_valid(slot: str, value: Any, conversation: dialogue.Conversation) -> bool:
    """Whether ``value`` is what :func:`validate` makes of an answer to ``slot`` (a
    category id, a country code, a yes or no), rather than something a person typed."""
    if slot == "report_category":
        return value in CATEGORIES
    if slot in ("report_destination", "report_origin"):
        return isinstance(value, str) and (value in conversation.content.countries
                                           or (slot == "report_origin" and value == SKIP))
    if slot == "report_consent" and value == FIX:
        return True
    return slot in YES_NO_SLOTS and isinstance(value, bool)


def _menu_choice(text: str, menu: list[str]) -> str | None:
    number = dialogue._read_number(text)
    if number is not None and 1 <= number <= len(menu) and len(text) <= 12:
        return menu[number - 1]
    return None


def _label_choice(text: str, menu: list[str], language: str) -> str | None:
    """The menu choice a typed answer names: its label, whole, or the words of one label
    (in the user's language or in English) more than of any other ("passport",
    "पासपोर्ट", "salary not paid"). Words in several labels ("or", "not") do not count;
    a word of 4 letters or more matches its longer forms ("पासपोर्टको", "passports")."""
    labels = {payload: _choice_labels(payload) for payload in menu}
    labels = {payload: found for payload, found in labels.items() if found}
    if not labels or not text.strip():
        return None
    t = translator(language)
    words: dict[str, set[str]] = {}
    for payload, msgids in labels.items():
        shown = {t.gettext(msgid) for msgid in msgids} | set(msgids)
        if any(_words(text) == _words(label) for label in shown):
            return payload
        words[payload] = {word for label in shown for word in _words(label) if len(word) >= 3}
    in_labels = Counter(word for found in words.values() for word in found)
    typed = [word for word in _words(text) if len(word) >= 3]
    scores = {payload: sum(1 for word in typed
                           if any(in_labels[label] == 1 and _same_word(word, label)
                                  for label in found))
              for payload, found in words.items()}
    best = max(scores.values())
    winners = [payload for payload, score in scores.items() if score == best]
    return winners[0] if best and len(winners) == 1 else None


def _choice_labels(payload: str) -> list[str]:
    """The labels (msgids) a menu choice of the report is shown with, on any channel."""
    kind, _sep, value = payload.partition(":")
    if kind == "category" and value in CATEGORY_LABELS:
        return [CATEGORY_LABELS[value], SMS_CATEGORY_LABELS[value]]
    if kind == FIX and value in FIX_LABELS:
        return [FIX_LABELS[value], SMS_FIX_LABELS[value]]
    return {"yes": [N_("Yes")], "no": [N_("No")], FIX: [N_("Change an answer")]}.get(payload, [])


def _words(text: str) -> list[str]:
    """Lowercased words, in any script (letters with their vowel signs and marks)."""
    return "".join(char if unicodedata.category(char)[0] in "LMN" else " "
                   for char in fold(text)).split()


def _without_article(word: str) -> str:
    """Arabic writes "the" as a prefix: "الجواز" is "جواز" (passport) too."""
    return word[2:] if word.startswith("ال") and len(word) > 4 else word


def _same_word(typed: str, label: str) -> bool:
    typed, label = (_without_article(word) for word in (typed, label))
    if typed == label:
        return True
    shorter, longer = sorted((typed, label), key=len)
    return len(shorter) >= 4 and longer.startswith(shorter)


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
        # Only to find the consulate, and only with the worker's consent to it.
        nationality=_optional(slots.get("report_origin")) if slots.get("report_consulate")
        else None,
        minor=bool(slots.get("report_minor")),
        language=conversation.outcome.language)
    sms = _on_sms(conversation)
    if draft.in_danger() and not sms:
        dialogue.emergency(conversation, draft.destination)
    try:
        recipients = registry()

        def store() -> service.Submission | None:
            with session_scope() as session:
                return service.submit(session, draft, recipients.partners,
                                      conversation.today, retention_days(),
                                      recipients.consulates,
                                      origin=_reporter_origin(slots))
        # A retried turn (on this server or another) gets the first one's receipt.
        submission = submit_once(conversation.turn.conversation_id, draft,
                                 recipients.partners + recipients.consulates, store)
    except (PartnerRegistryError, SQLAlchemyError, SubmissionInProgress) as exc:
        # No registry has passed the check, or the database is down: the report is
        # held in the (sealed) form answers and sent nowhere until it can be stored.
        log.error("report not stored, asking again: %s", type(exc).__name__)
        conversation.say(_("Sorry, your report could not be saved just now. Nothing is lost: "
                           "your answers are kept. Try again in a few minutes."))
        conversation.outcome.slots["report_consent"] = None
        conversation.outcome.followup = "report_form"
        return
    if submission is None:
        if draft.in_danger() and sms:
            dialogue.emergency(conversation, draft.destination)
        destination = draft.destination
        name = country_name(destination, conversation.outcome.language) if destination else ""
        conversation.say(_("No partner organisation takes reports for {country} yet, so "
                           "nothing was stored. These can help you:").format(country=name))
        for fact in conversation.redress_facts():
            conversation.say_fact(fact)
    elif sms:
        _say_receipt_on_sms(conversation, draft, submission)
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


def _say_receipt_on_sms(conversation: dialogue.Conversation, draft: service.ReportDraft,
                        submission: service.Submission) -> None:
    """The receipt code first, at the start of the first page (pages still waiting for
    MORE are dropped by the next message, and the code is shown only once), then what
    happened to the report, in short; the emergency contacts, if needed, after them."""
    _ = conversation._
    conversation.say(_("{code}: your receipt code, shown only once. Save it, as a contact "
                       "name for example.").format(code=submission.code))
    conversation.say(_("Report sent to {partner}.").format(partner=submission.partner.name))
    if submission.consulate:
        conversation.say(_("Summary sent to {consulate}.").format(
            consulate=submission.consulate.name))
    elif draft.consent_consulate:
        conversation.say(_("No consulate takes summaries yet."))
    conversation.say(_("Send us the code to see the answer."))
    if draft.in_danger():
        dialogue.emergency(conversation, draft.destination)


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


def _reporter_origin(slots: Mapping[str, Any]) -> str | None:
    """The worker's country for the corridor count: the one given in the form, else the
    one the conversation knows; a country code or nothing."""
    for value in (slots.get("report_origin"), slots.get("origin")):
        if isinstance(value, str) and len(value) == 2 and value.isalpha() and value.isupper():
            return value
    return None


def _optional(value: Any) -> str | None:
    return None if value in (None, SKIP, "") else str(value)


def _clear(conversation: dialogue.Conversation, slots: dict[str, Any]) -> None:
    conversation.outcome.slots.update(slots)

