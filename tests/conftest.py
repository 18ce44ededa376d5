"""Shared fixtures: the real content, copies of it to break, Rasa trackers, and a
fresh pseudonym key."""

from __future__ import annotations

import asyncio
import inspect
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.content import load_content
from bot.content.loader import CONTENT_DIR
from bot.privacy import default_pseudonymiser

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def secrets_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh pseudonym key in a temporary ``BOT_SECRETS_DIR``."""
    monkeypatch.setenv("BOT_SECRETS_DIR", str(tmp_path))
    default_pseudonymiser.cache_clear()
    yield tmp_path
    default_pseudonymiser.cache_clear()


@pytest.fixture(scope="session")
def content():
    loaded, errors = load_content()
    assert not errors, "\n".join(map(str, errors))
    return loaded


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """A private copy of content/ that a test may edit or break."""
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target)
    return target


def make_tracker(text: str, intent: str, slots: dict[str, Any] | None = None,
                 language: dict | None = None, channel: str = "rest",
                 entities: list[dict] | None = None, metadata: dict | None = None) -> Tracker:
    """A tracker whose latest user message is ``text``, understood as ``intent``, sent on
    ``channel`` with the capabilities that channel declares."""
    from bot.render import CAPABILITIES_KEY, CHAT, PLAIN_TEXT, SMS

    capabilities = {"telegram": CHAT, "web": CHAT, "sms": SMS}.get(channel, PLAIN_TEXT)
    metadata = {CAPABILITIES_KEY: capabilities.to_metadata(), **(metadata or {})}
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.9},
              "entities": entities or [], "language": language, "metadata": metadata}
    events = [{"event": "user", "text": text, "parse_data": latest, "input_channel": channel,
               "metadata": metadata}]
    return Tracker("test-user", slots or {}, latest, events, False, None, {}, "action_listen")


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


def run_action(action_class, tracker: Tracker,
               domain: dict | None = None) -> tuple[list[dict], dict[str, Any]]:
    """Run a real action (form validators are async); return its messages and slots set."""
    dispatcher = CollectingDispatcher()
    events = action_class().run(dispatcher, tracker, domain or {})
    if inspect.isawaitable(events):
        events = asyncio.run(events)
    slots = {event["name"]: event["value"] for event in events if event["event"] == "slot"}
    return dispatcher.messages, slots


@pytest.fixture
def partner_registry(tmp_path, monkeypatch):
    """One partner, covering Qatar, registered through BOT_PARTNERS_FILE: the registry's
    path and the partner's encryption keys (to open what it receives)."""
    from bot.reports import crypto

    encryption, signing = crypto.new_partner_keys()
    registry = tmp_path / "partners.yml"
    registry.write_text(
        "partners:\n  - {id: helpline, name: Gulf Workers Helpline, kind: ngo,\n"
        "     countries: [QA], categories: ['*'], languages: [en],\n"
        f"     public_key: {encryption.public_key}, verify_key: {signing.public_key},\n"
        "     webhook_url: 'https://helpline.example.org'}\n", encoding="utf-8")
    monkeypatch.setenv("BOT_PARTNERS_FILE", str(registry))
    return registry, encryption
