"""No identifier and no message text at rest: pseudonyms, redaction, and an audit."""

from __future__ import annotations

import multiprocessing
import os
import stat
import uuid
from pathlib import Path

import pytest
from rasa.shared.core.events import BotUttered, SlotSet, UserUttered

from bot.cli import main as cli
from bot.privacy import DEPLOYMENT_KEYS, KeyFileError, Pseudonymiser, load_or_create_key
from bot.servers import MODEL, running_bot
from bot.storage import tracker_store
from bot.storage.tracker_store import redact
from tests.support.rest import send, texts


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
    path.chmod(0o600)
    with pytest.raises(KeyFileError, match="restore it from backup"):
        load_or_create_key(path)
    assert path.read_bytes() == b"short"


def _race(path: str, barrier, results) -> None:
    barrier.wait()
    try:
        results.put(load_or_create_key(Path(path)))
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which fails
        results.put(repr(exc))


def test_two_processes_racing_to_create_a_key_get_the_same_one(tmp_path: Path):
    """Eight processes start at once on a missing key: one key, whole, for all of them."""
    context = multiprocessing.get_context("fork")
    for attempt in range(10):
        path = tmp_path / f"secrets-{attempt}" / "pseudonym.key"
        barrier, results = context.Barrier(8), context.Queue()
        workers = [context.Process(target=_race, args=(str(path), barrier, results))
                   for _ in range(8)]
        for worker in workers:
            worker.start()
        keys = [results.get(timeout=60) for _ in workers]
        for worker in workers:
            worker.join(timeout=60)
        assert [worker.exitcode for worker in workers] == [0] * 8
        assert keys == [path.read_bytes()] * 8
        assert len(keys[0]) == 32
        assert sorted(p.name for p in path.parent.iterdir()) == ["pseudonym.key"]
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_key_others_can_read_is_refused_with_the_fix_and_without_the_key(tmp_path: Path):
    path = tmp_path / "pseudonym.key"
    key = load_or_create_key(path)
    path.chmod(0o644)
    with pytest.raises(KeyFileError) as refused:
        load_or_create_key(path)
    assert str(refused.value) == (f"{path} can be read or changed by other users (mode 644); "
                                  f"run `chmod 600 {path}`")
    assert key.hex() not in str(refused.value)
    path.chmod(0o600)
    assert load_or_create_key(path) == key


def test_a_secrets_directory_others_can_write_to_is_refused(tmp_path: Path):
    directory = tmp_path / "secrets"
    load_or_create_key(directory / "pseudonym.key")
    directory.chmod(0o777)
    with pytest.raises(KeyFileError) as refused:
        load_or_create_key(directory / "pseudonym.key")
    assert str(refused.value) == (f"{directory} can be written by other users, who could "
                                  f"replace the keys in it (mode 777); "
                                  f"run `chmod 700 {directory}`")


def test_production_never_creates_a_missing_key(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("BOT_ENV", "production")
    path = tmp_path / "secrets" / "slots.key"
    with pytest.raises(KeyFileError) as refused:
        load_or_create_key(path)
    assert str(refused.value) == (
        f"{path} is missing. Create the keys of a new deployment once with "
        f"`BOT_SECRETS_DIR={path.parent} python -m bot keys init`; restore a lost one "
        "from backup (a new key would split every conversation in two)")
    assert not path.parent.exists()


def test_keys_init_creates_every_key_once_readable_by_its_owner(tmp_path: Path, monkeypatch,
                                                               capsys):
    directory = tmp_path / "secrets"
    monkeypatch.setenv("BOT_SECRETS_DIR", str(directory))
    monkeypatch.setenv("BOT_ENV", "production")
    assert cli(["keys", "init"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        *(f"created {directory / name}" for name in DEPLOYMENT_KEYS),
        "Back these files up: a lost key cannot be made again."]
    assert sorted(os.listdir(directory)) == sorted(DEPLOYMENT_KEYS) == [
        "pseudonym.key", "receipt-lookup.key", "slots.key", "webhook-signing.key"]
    keys = {name: (directory / name).read_bytes() for name in DEPLOYMENT_KEYS}
    assert {stat.S_IMODE((directory / name).stat().st_mode) for name in keys} == {0o600}
    assert {len(key) for key in keys.values()} == {32}
    assert len(set(keys.values())) == 4
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    # Production reads what init made; a second init keeps every key.
    assert load_or_create_key(directory / "slots.key") == keys["slots.key"]
    assert cli(["keys", "init"]) == 0
    assert capsys.readouterr().out.splitlines()[:4] == [
        f"kept {directory / name}" for name in DEPLOYMENT_KEYS]
    assert {name: (directory / name).read_bytes() for name in DEPLOYMENT_KEYS} == keys


def test_keys_init_refuses_a_key_others_can_read(tmp_path: Path, monkeypatch, capsys):
    directory = tmp_path / "secrets"
    monkeypatch.setenv("BOT_SECRETS_DIR", str(directory))
    load_or_create_key(directory / "pseudonym.key")
    (directory / "pseudonym.key").chmod(0o640)
    assert cli(["keys", "init"]) == 1
    assert capsys.readouterr().err == (
        f"error: {directory / 'pseudonym.key'} can be read or changed by other users "
        f"(mode 640); run `chmod 600 {directory / 'pseudonym.key'}`\n")


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
