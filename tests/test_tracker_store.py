"""The tracker store: no entity, and conversations idle for too long deleted whole."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from types import SimpleNamespace

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import text

from bot.storage import tracker_store
from bot.storage.tracker_store import EXPIRY_INTERVAL_SECONDS, RedactingSQLTrackerStore
from tests.conftest import ROOT
from tests.support.sqlite import upstream_sqlite

DAY = 86400
NOW = 1_800_000_000.0


@pytest.fixture
def domain() -> Domain:
    return Domain.from_file(ROOT / "domain.yml")


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The store's clock, 1970 until a test moves it: the hourly check that runs on
    the first save finds nothing idle, whatever the date of the run."""
    now = [0.0]
    monkeypatch.setattr(tracker_store, "time", SimpleNamespace(time=lambda: now[0]))
    return now


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, domain: Domain, clock):
    monkeypatch.setenv("BOT_SECRETS_DIR", str(tmp_path / "secrets"))
    monkeypatch.delenv("BOT_TRACKER_IDLE_DAYS", raising=False)
    tracker_store._slot_box.cache_clear()
    yield RedactingSQLTrackerStore(domain, db=str(tmp_path / "tracker.db"))
    tracker_store._slot_box.cache_clear()


def _rows(tmp_path: Path, query: str) -> list[tuple]:
    with sqlite3.connect(tmp_path / "tracker.db") as connection:
        return connection.execute(query).fetchall()


def _conversation(store: RedactingSQLTrackerStore, domain: Domain, sender: str,
                  last_message_at: float) -> None:
    """A conversation with a sealed answer, whose last event is at ``last_message_at``."""
    tracker = DialogueStateTracker.from_events(sender, [
        ActionExecuted("action_listen", timestamp=last_message_at - 60),
        UserUttered("/choose_option", intent={"name": "choose_option", "confidence": 1.0},
                    entities=[{"entity": "choice", "value": "category:sexual_abuse"}],
                    timestamp=last_message_at - 30),
        SlotSet("report_category", "sexual_abuse", timestamp=last_message_at),
    ], domain.slots)
    asyncio.run(store.save(tracker))


def test_no_entity_is_stored_not_even_a_menu_choice(tmp_path, store, domain):
    _conversation(store, domain, "someone", NOW)
    (data,), = _rows(tmp_path, "SELECT data FROM events WHERE type_name = 'user'")
    stored = json.loads(data)
    assert stored["parse_data"] == {"intent": {"name": "choose_option", "confidence": 1.0},
                                    "entities": [], "text": None, "message_id": None,
                                    "metadata": {}}
    assert "sexual_abuse" not in "".join(row[0] for row in _rows(tmp_path,
                                                                 "SELECT data FROM events"))
    restored = asyncio.run(store.retrieve("someone"))
    assert restored.latest_message.entities == []
    assert restored.latest_message.intent == {"name": "choose_option", "confidence": 1.0}
    assert restored.get_slot("report_category") == "sexual_abuse"  # sealed, not lost


def test_a_receipt_code_is_never_written_not_even_sealed(tmp_path, store, domain):
    tracker = DialogueStateTracker.from_events("reporter", [
        ActionExecuted("action_listen", timestamp=NOW - 2),
        UserUttered("K7QM-3X9P-2D0A", intent={"name": "check_report_status"},
                    timestamp=NOW - 1),
        SlotSet("receipt_code", "K7QM-3X9P-2D0A", timestamp=NOW),
    ], domain.slots)
    asyncio.run(store.save(tracker))
    stored = [json.loads(data) for (data,) in _rows(
        tmp_path, "SELECT data FROM events WHERE type_name = 'slot'")]
    assert [(event["name"], event["value"]) for event in stored] == [("receipt_code", None)]
    assert b"K7QM" not in (tmp_path / "tracker.db").read_bytes()


def test_event_timestamps_are_kept_as_rasa_needs_them(tmp_path, store, domain):
    _conversation(store, domain, "someone", NOW)
    assert _rows(tmp_path, "SELECT timestamp FROM events ORDER BY id") == [
        (NOW - 60,), (NOW - 30,), (NOW,)]


def test_conversations_idle_for_30_days_are_deleted_with_their_sealed_answers(
        tmp_path, store, domain):
    _conversation(store, domain, "idle", NOW - 30 * DAY - 1)
    _conversation(store, domain, "just-in-time", NOW - 30 * DAY + 1)
    _conversation(store, domain, "recent", NOW - DAY)
    assert store.delete_idle(NOW) == 1
    assert _rows(tmp_path, "SELECT sender_id, count(*) FROM events GROUP BY sender_id "
                           "ORDER BY sender_id") == [("just-in-time", 3), ("recent", 3)]
    assert asyncio.run(store.retrieve("idle")) is None
    assert store.delete_idle(NOW) == 0


def test_the_idle_days_come_from_the_environment(tmp_path, store, domain, monkeypatch):
    monkeypatch.setenv("BOT_TRACKER_IDLE_DAYS", "7")
    seven_days = RedactingSQLTrackerStore(domain, db=str(tmp_path / "tracker.db"))
    _conversation(store, domain, "eight-days", NOW - 8 * DAY)
    _conversation(store, domain, "six-days", NOW - 6 * DAY)
    assert seven_days.delete_idle(NOW) == 1
    assert _rows(tmp_path, "SELECT DISTINCT sender_id FROM events") == [("six-days",)]


@pytest.mark.parametrize("setting", ["0", "-3", "thirty", "1.5"])
def test_a_wrong_idle_setting_fails_when_the_store_starts(tmp_path, domain, monkeypatch,
                                                          setting):
    monkeypatch.setenv("BOT_TRACKER_IDLE_DAYS", setting)
    with pytest.raises(ValueError, match="BOT_TRACKER_IDLE_DAYS must be a whole number of "
                                         "days, at least 1"):
        RedactingSQLTrackerStore(domain, db=str(tmp_path / "tracker.db"))


def test_save_deletes_idle_conversations_at_most_once_an_hour(tmp_path, store, domain, clock):
    clock[0] = NOW
    _conversation(store, domain, "old", NOW - 40 * DAY)  # the first save checks: it goes
    assert _rows(tmp_path, "SELECT DISTINCT sender_id FROM events") == []
    _conversation(store, domain, "old", NOW - 40 * DAY)
    clock[0] = NOW + EXPIRY_INTERVAL_SECONDS - 1
    _conversation(store, domain, "new", clock[0])  # within the hour: no check
    assert _rows(tmp_path, "SELECT DISTINCT sender_id FROM events ORDER BY sender_id") == [
        ("new",), ("old",)]
    clock[0] = NOW + EXPIRY_INTERVAL_SECONDS
    _conversation(store, domain, "newer", clock[0])  # an hour on: checked again
    assert _rows(tmp_path, "SELECT DISTINCT sender_id FROM events ORDER BY sender_id") == [
        ("new",), ("newer",)]


def test_forgetting_zeroes_the_conversation_in_the_sqlite_file(tmp_path, store, domain):
    sender = "pseudonym-4f1c9a7e2b"
    with upstream_sqlite():
        _conversation(store, domain, sender, NOW)
        with store.session_scope() as session:
            assert session.execute(text("PRAGMA secure_delete")).scalar() == 1
        assert sender.encode() in (tmp_path / "tracker.db").read_bytes()
        tracker = asyncio.run(store.retrieve(sender))
        tracker.update(UserUttered("forget me", intent={"name": "forget", "confidence": 0.9}))
        tracker.update(SlotSet("forget", True))
        asyncio.run(store.save(tracker))
    assert sender.encode() not in (tmp_path / "tracker.db").read_bytes()
