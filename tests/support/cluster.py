"""What the cluster tests need: PostgreSQL, Redis and HAProxy present (or a skip), a
throw-away database pair, the slots a conversation has in the tracker store."""

from __future__ import annotations

import json
import os
import shutil
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError

from bot.cluster import HAPROXY

POSTGRES_SERVER = os.environ.get("BOT_TEST_POSTGRES_URL",
                                 "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")


def _missing(what: str) -> None:
    if os.environ.get("BOT_TEST_CLUSTER") == "required":
        pytest.fail(f"{what} is required (BOT_TEST_CLUSTER=required) but missing")
    pytest.skip(f"{what} is missing (set BOT_TEST_CLUSTER=required to fail instead)")


def require_redis(url: str = REDIS_URL) -> str:
    """``url`` if a Redis answers there; else a skip (a failure when required)."""
    try:
        redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2).ping()
    except (redis.RedisError, OSError) as exc:
        _missing(f"Redis at {url} ({type(exc).__name__})")
    return url


def require_haproxy() -> None:
    if not os.path.exists(HAPROXY) and shutil.which("haproxy") is None:
        _missing("HAProxy (apt-get install haproxy)")


@contextmanager
def throwaway_databases() -> Iterator[URL]:
    """A fresh database (and its ``_tracker`` sibling, made by the cluster), both dropped
    on exit; a skip without PostgreSQL (a failure when required)."""
    admin = create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT", future=True)
    name = f"bot_cluster_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        _missing(f"PostgreSQL ({type(exc).__name__})")
    try:
        yield make_url(POSTGRES_SERVER).set(database=name)
    finally:
        with admin.connect() as connection:
            for database in (name, f"{name}_tracker"):
                connection.execute(text("SELECT pg_terminate_backend(pid) FROM "
                                        "pg_stat_activity WHERE datname = :name"),
                                   {"name": database})
                connection.execute(text(f'DROP DATABASE IF EXISTS "{database}"'))
        admin.dispose()


def query(url: URL | str, sql: str, **params: Any) -> list[tuple]:
    engine = create_engine(url, future=True)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql), params)]
    finally:
        engine.dispose()


def stored_slots(tracker_url: URL, sender_id: str) -> dict[str, Any]:
    """The conversation's slots as the tracker store holds them: each one's last value."""
    slots: dict[str, Any] = {}
    for (data,) in query(tracker_url, "SELECT data FROM events WHERE sender_id = :sender "
                                      "AND type_name = 'slot' ORDER BY id", sender=sender_id):
        event = json.loads(data)
        slots[event["name"]] = event["value"]
    return slots


def post_json(url: str, body: dict, headers: dict[str, str] | None = None,
              timeout: float = 120) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(),  # noqa: S310
                                     headers={"Content-Type": "application/json",
                                              **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, None


def deliver_in_another_process(ready, start, results) -> None:
    """One outbox run in its own process (``multiprocessing``, spawn): puts "ready" on
    ``ready`` once connected, runs when ``start`` (an Event) is set, so that two of them
    run at once, and puts its delivery count on ``results``."""
    from bot.reports.db import session_scope, today
    from bot.reports.outbox import deliver_due
    from bot.reports.runtime import registry, signing_key

    recipients = registry()
    key = signing_key()
    with session_scope() as session:
        session.execute(text("SELECT 1"))  # connected and migrated before the start
    ready.put("ready")
    start.wait(60)
    with session_scope() as session:
        results.put(deliver_due(session, recipients.partners + recipients.consulates, key,
                                today()))
