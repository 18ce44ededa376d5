"""Shared fixtures: the real content, copies of it to break, and Rasa trackers."""

from __future__ import annotations

import asyncio
import inspect
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.content import load_content
from bot.content.loader import CONTENT_DIR

ROOT = Path(__file__).resolve().parent.parent


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
    """A tracker whose latest user message is ``text``, understood as ``intent``."""
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.9},
              "entities": entities or [], "language": language, "metadata": metadata or {}}
    events = [{"event": "user", "text": text, "parse_data": latest, "input_channel": channel,
               "metadata": metadata or {}}]
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
