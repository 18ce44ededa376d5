"""Shared fixtures: the real content, copies of it to break, Rasa trackers, a fresh
pseudonym key, and a throw-away PostgreSQL database."""

from __future__ import annotations

import asyncio
import inspect
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError

from bot.content import load_content
from bot.content.loader import CONTENT_DIR
from bot.privacy import default_pseudonymiser

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_SERVER = os.environ.get("BOT_TEST_POSTGRES_URL",
                                 "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session", autouse=True)
def application_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The default application database for the whole run: a throw-away SQLite file, so
    that what actions write as they answer (aggregate counts) never lands in the
    repository's ``reports.db``. A test that needs its own sets ``BOT_DATABASE_URL``."""
    url = f"sqlite:///{tmp_path_factory.mktemp('database') / 'reports.db'}"
    previous = os.environ.get("BOT_DATABASE_URL")
    os.environ.setdefault("BOT_DATABASE_URL", url)
    yield os.environ["BOT_DATABASE_URL"]
    if previous is None:
        os.environ.pop("BOT_DATABASE_URL", None)


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
def partner_registry(tmp_path, monkeypatch, secrets_dir):
    """One vetted partner, covering Qatar, registered through BOT_PARTNERS_FILE and
    BOT_TRUST_FILE: the registry's path and the partner's encryption keys (to open what
    it receives)."""
    from bot.reports import crypto
    from tests.support.registry import make_maintainer, write_registry

    encryption, signing = crypto.new_partner_keys()
    maintainer = make_maintainer(tmp_path)
    registry = write_registry(tmp_path / "partners.yml", maintainer, partners=[{
        "id": "helpline", "name": "Gulf Workers Helpline", "kind": "ngo",
        "countries": ["QA"], "categories": ["*"], "languages": ["en"],
        "public_key": encryption.public_key, "verify_key": signing.public_key,
        "webhook_url": "https://helpline.example.org"}])
    monkeypatch.setenv("BOT_PARTNERS_FILE", str(registry))
    monkeypatch.setenv("BOT_TRUST_FILE", str(maintainer.trust_file))
    return registry, encryption


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[URL]:
    """A throw-away database on the server at ``BOT_TEST_POSTGRES_URL`` (default: the
    local one with trust authentication), dropped after the module. Without a server
    the test is skipped, unless ``BOT_TEST_POSTGRES=required`` (set by ``.ci/run``)."""
    admin = create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT", future=True)
    name = f"bot_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        if os.environ.get("BOT_TEST_POSTGRES") == "required":
            pytest.fail(f"PostgreSQL is required but not reachable: {type(exc).__name__}")
        pytest.skip("no PostgreSQL server (set BOT_TEST_POSTGRES_URL)")
    url = make_url(POSTGRES_SERVER).set(database=name)
    yield url
    create_engine(url, future=True).dispose()
    with admin.connect() as connection:
        connection.execute(text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
            {"name": name})
        connection.execute(text(f'DROP DATABASE "{name}"'))
    admin.dispose()
