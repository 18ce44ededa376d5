"""A SQL tracker store that never writes what anyone typed or was told.

Rasa's ``SQLTrackerStore`` stores every event as JSON, user text included. This
one stores the same events with the text and the channel metadata removed:
dialogue needs neither after the turn, and the current turn's text still
reaches the actions from memory.

No entity is stored either: a menu choice such as ``category:sexual_abuse`` says
as much as the text. The current turn's entities reach the actions from memory,
and nothing reads a past turn's (the rules of the RulePolicy name no entity).

The answers of a report in progress (:data:`REDACTED_SLOTS`) must survive from
one turn to the next, so they are stored sealed with a key kept in ``secrets/``,
and deleted from the store as soon as the report is sent or cancelled. "Forget
me" deletes every event of the conversation, and a conversation idle for
``BOT_TRACKER_IDLE_DAYS`` (30) is deleted whole. On SQLite, ``secure_delete``
overwrites what is deleted.

Event timestamps are kept as they are, not cut to the day: Rasa needs them. The
store finds the latest session by ``timestamp >= `` its ``SessionStarted`` (and
counts those rows to know which events are new), and the processor starts a new
session when the last user message is older than ``session_expiration_time``
(60 minutes in domain.yml). Reports are dated to the day, and idle trackers go.

The database work of :meth:`~RedactingSQLTrackerStore.save` and ``retrieve`` runs in
the store's own worker threads, not on the server's event loop: Rasa's
``SQLTrackerStore`` queries and commits (an fsync on SQLite) inside its coroutines,
which stalls every other conversation meanwhile. Each conversation's turns still
come one at a time (Rasa's lock store), and on SQLite the writes are serialised by a
lock, as SQLite would do anyway (two writers could otherwise fail with "database is
locked" instead of waiting).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any

import sqlalchemy as sa
from nacl.secret import SecretBox
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import BotUttered, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from bot.privacy import load_or_create_key, secrets_dir
from bot.reports import REPORT_SLOTS
from bot.reports.crypto import b64, unb64
from bot.settings import settings

REDACTED_SLOTS: frozenset[str] = frozenset(REPORT_SLOTS)
# Needed only within the turn it is typed in (the status check runs at once), so it is
# never written, not even sealed: a stored code would link a report to its conversation.
UNSTORED_SLOTS: frozenset[str] = frozenset({"receipt_code"})
# Set by the forget action: the conversation's stored events are all deleted.
FORGET_SLOT = "forget"
_KEPT_PARSE_KEYS = ("intent",)
_SEALED = "sealed"
EXPIRY_INTERVAL_SECONDS = 3600
DATABASE_THREADS = 4

log = logging.getLogger(__name__)


def idle_days() -> int:
    """``BOT_TRACKER_IDLE_DAYS``: after how many days without a message a conversation goes."""
    return settings().tracker_idle_days


@cache
def _slot_box() -> SecretBox:
    return SecretBox(load_or_create_key(secrets_dir() / "slots.key"))


def redact(event: Event) -> Event:
    """A copy of ``event`` fit to store: no text, entities or metadata; personal slots
    sealed."""
    if isinstance(event, UserUttered):
        parse_data: dict[str, Any] = {key: event.parse_data.get(key)
                                      for key in _KEPT_PARSE_KEYS if key in event.parse_data}
        language = (event.parse_data.get("language") or {}).get("language")
        if language:
            parse_data["language"] = {"language": language}
        parse_data["entities"] = []
        return UserUttered(text=None, intent=event.intent, entities=[],
                           parse_data=parse_data, timestamp=event.timestamp,
                           input_channel=event.input_channel)
    if isinstance(event, BotUttered):
        return BotUttered(text=None, data={}, metadata={}, timestamp=event.timestamp)
    if isinstance(event, SlotSet) and event.key in UNSTORED_SLOTS:
        return SlotSet(event.key, None, timestamp=event.timestamp)
    if isinstance(event, SlotSet) and event.key in REDACTED_SLOTS and event.value is not None:
        sealed = _slot_box().encrypt(json.dumps(event.value).encode("utf-8"))
        return SlotSet(event.key, {_SEALED: b64(bytes(sealed))}, timestamp=event.timestamp)
    return event


def unseal_slot(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {_SEALED}:
        return json.loads(_slot_box().decrypt(unb64(value[_SEALED])))
    return value


class RedactingSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` (SQLite by default, PostgreSQL in production) that redacts."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            # File databases are not pooled (NullPool): every session connects anew.
            sa.event.listen(self.engine, "connect", _secure_delete)
        self._idle_days = idle_days()  # a wrong setting fails at start, not an hour later
        self._next_expiry = 0.0
        self._threads = ThreadPoolExecutor(DATABASE_THREADS, thread_name_prefix="tracker-store")
        # SQLite has one writer at a time; PostgreSQL's writers need no lock of ours.
        self._write_lock: threading.Lock | _NoLock = (
            threading.Lock() if self.engine.dialect.name == "sqlite" else _NoLock())

    async def _in_thread(self, function: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._threads, function, *args)

    async def save(self, tracker: DialogueStateTracker) -> None:
        if _this_turn_sets(tracker, lambda e: e.key == FORGET_SLOT and bool(e.value)):
            await self._in_thread(self._locked_delete, tracker.sender_id, lambda row: True)
            return
        await self.stream_events(tracker)  # as SQLTrackerStore.save: the event broker first
        await self._in_thread(self._save_events, tracker)

    def _locked_delete(self, sender_id: str, which: Any) -> None:
        with self._write_lock:
            self._delete(sender_id, which)

    def _save_events(self, tracker: DialogueStateTracker) -> None:
        with self._write_lock:
            self._insert_new_events(tracker)
            if _this_turn_sets(tracker, lambda e: e.key in REPORT_SLOTS and e.value is None) \
                    and all(tracker.get_slot(slot) is None for slot in REPORT_SLOTS):
                # The report was sent or cancelled (an answer cleared to be asked again
                # leaves the others in place): its sealed answers go too.
                self._delete(tracker.sender_id, _is_sealed_slot_row)
            self._expire_hourly()

    def _insert_new_events(self, tracker: DialogueStateTracker) -> None:
        """As the body of ``SQLTrackerStore.save`` (Rasa 3.6): the events not yet stored,
        redacted by :meth:`_additional_events`, in one transaction."""
        with self.session_scope() as session:
            for event in self._additional_events(session, tracker):
                data = event.as_dict()
                session.add(self.SQLEvent(
                    sender_id=tracker.sender_id,
                    type_name=event.type_name,
                    timestamp=data.get("timestamp"),
                    intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                    action_name=data.get("name"),
                    data=json.dumps(data),
                ))
            session.commit()

    def _expire_hourly(self) -> None:
        """Delete idle conversations at most once an hour, from :meth:`save`.

        Only the Rasa server holds this store, and it saves at every message, so no
        scheduler or cron job is needed; the cost is that a bot nobody writes to keeps
        its idle conversations until the next message comes. It runs after this
        tracker's own events are stored, so this conversation is never the idle one.
        Another conversation, loaded but not yet saved when its old events go, is
        stored again whole by its save, as a new one would be.
        """
        now = time.time()
        if now >= self._next_expiry:
            self._next_expiry = now + EXPIRY_INTERVAL_SECONDS
            self.delete_idle(now)

    def delete_idle(self, now: float) -> int:
        """Delete every event, sealed answers included, of each conversation whose latest
        event is more than :func:`idle_days` before ``now`` (unix seconds); return how
        many conversations went."""
        cutoff = now - self._idle_days * 86400
        with self.session_scope() as session:
            idle = (session.query(self.SQLEvent.sender_id)
                    .group_by(self.SQLEvent.sender_id)
                    .having(sa.func.max(self.SQLEvent.timestamp) < cutoff)
                    .subquery())
            conversations = session.query(sa.func.count()).select_from(idle).scalar()
            session.query(self.SQLEvent).filter(
                self.SQLEvent.sender_id.in_(sa.select(idle.c.sender_id))
            ).delete(synchronize_session=False)
            session.commit()
        if conversations:
            log.info("deleted %d conversations idle for more than %d days",
                     conversations, self._idle_days)
        return conversations

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool
                        ) -> DialogueStateTracker | None:
        return await self._in_thread(self._retrieve_now, sender_id,
                                     fetch_events_from_all_sessions)

    def _retrieve_now(self, sender_id: str, fetch_events_from_all_sessions: bool
                      ) -> DialogueStateTracker | None:
        # As SQLTrackerStore._retrieve, with sealed slot values opened in the events.
        with self.session_scope() as session:
            rows = self._event_query(session, sender_id,
                                     fetch_events_from_all_sessions=fetch_events_from_all_sessions
                                     ).all()
            events = [_unsealed_event(json.loads(row.data)) for row in rows]
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator:
        return (redact(event) for event in super()._additional_events(session, tracker))

    def _delete(self, sender_id: str, which: Any) -> None:
        with self.session_scope() as session:
            rows = session.query(self.SQLEvent).filter(self.SQLEvent.sender_id == sender_id)
            for row in rows.all():
                if which(row):
                    session.delete(row)
            session.commit()


class _NoLock:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *_exc: object) -> None:
        return None


def _secure_delete(connection: Any, _record: Any) -> None:
    """SQLite overwrites deleted rows with zeros: "forget me" and expiry leave no
    pseudonym or sealed answer in a free page."""
    connection.execute("PRAGMA secure_delete=ON")


def _is_sealed_slot_row(row: Any) -> bool:
    if row.type_name != SlotSet.type_name:
        return False
    data = json.loads(row.data)
    return data.get("name") in REDACTED_SLOTS and data.get("value") is not None


def _this_turn_sets(tracker: DialogueStateTracker, matches: Any) -> bool:
    """Whether an event since the last user message sets a slot as ``matches`` says."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, SlotSet) and matches(event):
            return True
    return False


def _unsealed_event(data: dict[str, Any]) -> dict[str, Any]:
    if data.get("event") == SlotSet.type_name and data.get("name") in REDACTED_SLOTS:
        data["value"] = unseal_slot(data.get("value"))
    return data
