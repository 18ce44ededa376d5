"""No identifier and no message text at rest: pseudonyms, redaction, and an audit."""

from __future__ import annotations

import stat
import uuid
from pathlib import Path

import pytest
from rasa.shared.core.events import BotUttered, SlotSet, UserUttered

from bot.privacy import Pseudonymiser, load_or_create_key
from bot.servers import MODEL, running_bot
from bot.storage import tracker_store
from bot.storage.tracker_store import redact
from tests.test_rest_e2e import send, texts


def test_pseudonyms_are_stable_keyed_and_per_channel(tmp_path: Path):
    key = load_or_create_key(tmp_path / "secrets" / "pseudonym.key")
    first = Pseudonymiser(key)
    assert first.pseudonym("sms", "+9779812345678") == first.pseudonym("sms", "+9779812345678")
    assert first.pseudonym("sms", "+9779812345678") != first.pseudonym("telegram",
                                                                       "+9779812345678")
    other = Pseudonymiser(load_or_create_key(tmp_path / "other.key"))
    assert other.pseudonym("sms", "+9779812345678") != first.pseudonym("sms", "+9779812345678")
    assert "9812345678" not in first.pseudonym("sms", "+9779812345678")


def test_key_is_created_once_and_readable_only_by_its_owner(tmp_path: Path):
    path = tmp_path / "secrets" / "pseudonym.key"
    key = load_or_create_key(path)
    assert load_or_create_key(path) == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_damaged_key_is_refused_rather_than_replaced(tmp_path: Path):
    path = tmp_path / "pseudonym.key"
    path.write_bytes(b"short")
    with pytest.raises(ValueError, match="restore it from backup"):
        load_or_create_key(path)


def test_redacted_user_event_keeps_intent_but_no_text_or_metadata():
    event = UserUttered("my phone is +97798123", intent={"name": "inform", "confidence": 0.9},
                        parse_data={"text": "my phone is +97798123",
                                    "intent": {"name": "inform"}, "entities": [],
                                    "language": {"language": "en", "confident": True}},
                        input_channel="rest", metadata={"language_hint": "en"})
    stored = redact(event).as_dict()
    assert "+97798123" not in str(stored)
    assert stored["parse_data"]["intent"]["name"] == "inform"
    assert stored["input_channel"] == "rest"


def test_redacted_bot_event_and_sealed_personal_slots(tmp_path, monkeypatch):
    monkeypatch.setenv("BOT_SECRETS_DIR", str(tmp_path))
    tracker_store._slot_box.cache_clear()
    assert redact(BotUttered("your code is ABCD-1234")).as_dict()["text"] is None
    stored = redact(SlotSet("report_account", "my madam hits me")).as_dict()["value"]
    assert "madam" not in str(stored)
    assert tracker_store.unseal_slot(stored) == "my madam hits me"
    assert redact(SlotSet("language", "ne")).as_dict()["value"] == "ne"
    tracker_store._slot_box.cache_clear()


def test_sealed_answers_outlive_one_cleared_answer_and_go_with_the_last(tmp_path, monkeypatch):
    import asyncio
    import sqlite3

    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted
    from rasa.shared.core.trackers import DialogueStateTracker

    from tests.conftest import ROOT

    monkeypatch.setenv("BOT_SECRETS_DIR", str(tmp_path / "secrets"))
    tracker_store._slot_box.cache_clear()
    domain = Domain.from_file(ROOT / "domain.yml")
    store = tracker_store.RedactingSQLTrackerStore(domain, db=str(tmp_path / "tracker.db"))

    def turn(tracker, *slots):
        tracker.update(ActionExecuted("action_listen"))
        tracker.update(UserUttered("...", intent={"name": "inform", "confidence": 1.0}))
        for name, value in slots:
            tracker.update(SlotSet(name, value))
        asyncio.run(store.save(tracker))
        return asyncio.run(store.retrieve("someone"))

    tracker = DialogueStateTracker.from_events("someone", [], domain.slots)
    tracker = turn(tracker, ("report_category", "confinement"), ("report_city", "Al Khor"))
    tracker = turn(tracker, ("report_city", None))  # to be asked again
    assert tracker.get_slot("report_category") == "confinement"
    tracker = turn(tracker, ("report_category", None))  # sent or cancelled: all cleared
    rows = sqlite3.connect(tmp_path / "tracker.db").execute(
        "select count(*) from events where type_name = 'slot' and data like '%sealed%'"
    ).fetchone()[0]
    assert rows == 0
    tracker_store._slot_box.cache_clear()


@pytest.mark.model
def test_anonymity_audit_of_every_file_the_servers_write(tmp_path: Path):
    """Talk to the bot as a phone number, then search every store and log for it."""
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train`")
    phone = "+9779812345678"
    marker = f"Bhaktapur{uuid.uuid4().hex[:6]}"
    sentences = [
        "hello",
        "3",
        f"I am from Nepal, my name is Sita {marker}, how much can the agency charge me?",
        f"my employer in Doha keeps my passport {marker}",
    ]
    with running_bot(tmp_path) as url:
        replies_seen = []
        for sentence in sentences:
            status, replies = send(url, phone, sentence)
            assert status == 200
            replies_seen.append(texts(replies))
    # The conversation kept its state without storing text: Nepali was chosen by number.
    assert "नेपाली" in replies_seen[1]
    needles = [phone, phone.lstrip("+"), "9812345678", marker, "Sita"]
    audited = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert any(path.name == "tracker.db" for path in audited)
    for path in audited:
        data = path.read_bytes()
        for needle in needles:
            assert needle.encode() not in data, f"{needle!r} found in {path.name}"
