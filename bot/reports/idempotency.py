"""A report submitted twice is stored once: a retried turn, on this server or another.

A client that gets no answer sends the same turn again, and the load balancer may give
it to another server; a server killed after storing a report but before saving the
conversation leaves the form's answers in place, so the retry submits them again. Each
submission is therefore claimed first, in the shared state (:mod:`bot.storage.shared_state`,
Redis when several servers run), under a keyed hash of the conversation's pseudonym and
the draft (:func:`submission_key`): nothing in the key can be read back, and the same
answers in another conversation are another report.

The first claim submits (a claim lapses after :data:`CLAIM_TTL` seconds if its server
died before storing anything). A second one, while the first is still storing, waits;
once it is stored, it is answered with the same receipt (the same code, so the reporter
who did not get the first answer can still follow the report). The receipt is kept
sealed (the tracker store's key) for :data:`SUBMISSION_TTL` seconds only, then nothing
of it is left. With Redis down, each server only knows its own submissions.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import asdict
from functools import cache
from pathlib import Path

from nacl.secret import SecretBox

from bot.privacy import load_or_create_key, receipt_lookup_key, secrets_dir
from bot.reports.crypto import b64, unb64
from bot.reports.partners import Partner
from bot.reports.service import ReportDraft, Submission
from bot.storage.shared_state import MemoryState, SharedState, shared_state

SUBMISSION_TTL = 600.0  # seconds a receipt is kept for a retry; retries come in seconds
# A claim whose server died before it stored anything lapses after this: far longer
# than storing a report takes, short enough for the reporter's next try.
CLAIM_TTL = 30.0
WAIT_SECONDS = 15.0  # how long a retry waits for the first submission to be stored
_PENDING = "pending"


class SubmissionInProgress(Exception):
    """The same report is being stored by another request that has not finished."""


def submission_key(conversation_id: str, draft: ReportDraft) -> str:
    """The keyed hash of one conversation's draft: the same for a retried turn."""
    message = json.dumps([conversation_id, asdict(draft)], sort_keys=True,
                         ensure_ascii=False).encode("utf-8")
    return hmac.new(receipt_lookup_key(), b"submission\0" + message, hashlib.sha256).hexdigest()


@cache
def _box_for(directory: Path) -> SecretBox:
    return SecretBox(load_or_create_key(directory / "slots.key"))


def _box() -> SecretBox:
    return _box_for(secrets_dir())


def _seal(submission: Submission) -> str:
    receipt = {"code": submission.code, "report_id": submission.report_id,
               "partner": submission.partner.id,
               "consulate": submission.consulate.id if submission.consulate else None}
    return b64(bytes(_box().encrypt(json.dumps(receipt).encode("utf-8"))))


def _unseal(sealed: str, recipients: list[Partner]) -> Submission | None:
    receipt = json.loads(_box().decrypt(unb64(sealed)))
    by_id = {partner.id: partner for partner in recipients}
    partner = by_id.get(receipt["partner"])
    if partner is None:
        return None
    return Submission(code=receipt["code"], report_id=receipt["report_id"], partner=partner,
                      consulate=by_id.get(receipt["consulate"] or ""))


def submit_once(conversation_id: str, draft: ReportDraft, recipients: list[Partner],
                submit: Callable[[], Submission | None], state: SharedState | None = None,
                wait: float = WAIT_SECONDS) -> Submission | None:
    """``submit()`` unless this conversation's same draft was submitted in the last
    :data:`SUBMISSION_TTL` seconds: then that submission's receipt. ``recipients`` (the
    registry's partners and consulates) rebuild it. :class:`SubmissionInProgress` if
    the first is still being stored after ``wait`` seconds."""
    state = state or _process_state()
    key = f"report-submission:{submission_key(conversation_id, draft)}"
    if state.add_once(key, CLAIM_TTL, _PENDING):
        try:
            submission = submit()
        except BaseException:
            state.delete(key)  # nothing stored: a retry must try again
            raise
        if submission is None:  # nothing stored (no partner yet): nothing to remember
            state.delete(key)
        else:
            state.put(key, _seal(submission), SUBMISSION_TTL)
        return submission
    deadline = time.monotonic() + wait
    while True:
        value = state.get(key)
        if value is None:  # the first stored nothing, failed, or its receipt has gone
            return submit_once(conversation_id, draft, recipients, submit, state, 0)
        if value != _PENDING:
            return _unseal(value, recipients)
        if time.monotonic() >= deadline:
            raise SubmissionInProgress
        time.sleep(0.1)


_MEMORY = MemoryState()


def _process_state() -> SharedState:
    """Redis when configured, else this process's one memory (one server)."""
    state = shared_state()
    return _MEMORY if isinstance(state, MemoryState) else state
