"""The reports database (SQLAlchemy; SQLite by default, PostgreSQL in production).

No column holds a channel id, a pseudonym, or anything readable about the report:
bodies and replies are sealed, the receipt code is an HMAC and an Argon2 hash, ids
are random (rows are not numbered in the order reports came), and dates are kept to
the day so that a report cannot be matched to a conversation by time.
The schema is managed by Alembic (``migrations/``); :func:`connect` upgrades it.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from functools import cache
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    Column,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    create_engine,
    event,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeMeta, Session, registry, relationship, sessionmaker

from bot.settings import MIGRATIONS_DIR, settings

_registry = registry()


class Base(metaclass=DeclarativeMeta):
    """The declarative base of every table, written out (SQLAlchemy 1.4's documented form)
    so that type checkers see a class."""

    __abstract__ = True
    registry = _registry
    metadata = _registry.metadata
    __init__ = _registry.constructor


REPORT_DELIVERY = "report"


def new_id() -> str:
    """A random row id: it tells nothing about when or in which order a row came."""
    return secrets.token_hex(16)

SUMMARY_DELIVERY = "consulate_summary"


class Report(Base):
    __tablename__ = "reports"

    id = Column(String(32), primary_key=True, default=new_id)
    lookup = Column(String(64), unique=True, nullable=False)  # HMAC of the code's first group
    code_hash = Column(Text, nullable=False)  # Argon2id of the whole code
    partner_id = Column(String(100), nullable=False)
    destination = Column(String(2))
    categories = Column(String(300), nullable=False)
    severity = Column(String(300), nullable=False, default="")
    status = Column(String(20), nullable=False, default="received")
    sealed_body = Column(LargeBinary, nullable=False)  # sealed to the partner
    reporter_public_key = Column(String(64), nullable=False)
    reporter_locked_key = Column(LargeBinary, nullable=False)
    reporter_salt = Column(LargeBinary, nullable=False)
    created_on = Column(Date, nullable=False)
    expires_on = Column(Date, nullable=False)
    replies = relationship("Reply", cascade="all, delete-orphan", passive_deletes=True)
    outbox = relationship("OutboxItem", cascade="all, delete-orphan", passive_deletes=True)


class Reply(Base):
    __tablename__ = "replies"

    id = Column(String(32), primary_key=True, default=new_id)
    report_id = Column(String(32), ForeignKey("reports.id", ondelete="CASCADE"), nullable=False)
    sealed_text = Column(LargeBinary, nullable=False)  # sealed to the reporter's key
    created_on = Column(Date, nullable=False)


class OutboxItem(Base):
    """One delivery: the report to its partner, or a summary to a consulate."""

    __tablename__ = "outbox"

    id = Column(String(32), primary_key=True, default=new_id)
    report_id = Column(String(32), ForeignKey("reports.id", ondelete="CASCADE"), nullable=False)
    partner_id = Column(String(100), nullable=False)
    kind = Column(String(20), nullable=False, default=REPORT_DELIVERY)
    sealed_payload = Column(LargeBinary)  # a summary, sealed to the consulate; gone once sent
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(Integer, nullable=False, default=0)  # unix seconds
    last_error = Column(String(200))
    delivered_on = Column(Date)


class ReplyNonce(Base):
    """Partner replies seen lately (:data:`bot.reports.service.REPLY_MAX_AGE_SECONDS`),
    so that a copy of a signed reply cannot be stored twice."""

    __tablename__ = "reply_nonces"

    key = Column(String(64), primary_key=True)  # SHA-256 of the partner id and the nonce
    seen_at = Column(Integer, nullable=False)  # unix seconds; the row goes after 10 minutes


class CodeAttempt(Base):
    """Failed receipt-code attempts in a window, per conversation, per report and in all,
    for rate limiting; deleted when the window ends."""

    __tablename__ = "code_attempts"

    key = Column(String(64), primary_key=True)  # HMAC of the scope, with a deployment key
    window_start = Column(Integer, nullable=False)
    failures = Column(Integer, nullable=False, default=0)


def database_url() -> str:
    """``BOT_DATABASE_URL``, or SQLite in the repository (read at each call)."""
    return settings().database_url


def upgrade(url: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, "head")


def _configure_sqlite(engine: Engine) -> None:
    """On SQLite: foreign keys, for cascading deletes, and ``secure_delete``, so that a
    deleted row is overwritten with zeros instead of lingering in a free page (with
    ``auto_vacuum=FULL``, set by migration 0003, the file then shrinks)."""
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _on_connect(connection: Any, _record: Any) -> None:
            connection.execute("PRAGMA foreign_keys=ON")
            connection.execute("PRAGMA secure_delete=ON")


def connect(url: str | None = None) -> sessionmaker:
    """Sessions on ``url`` (default: ``BOT_DATABASE_URL``), migrated once per process."""
    return _connect(url or database_url())


@cache
def _connect(url: str) -> sessionmaker:
    upgrade(url)
    engine = create_engine(url, future=True)
    _configure_sqlite(engine)
    return sessionmaker(engine, future=True, expire_on_commit=False)


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    session: Session = connect(url)()
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


def today() -> date:
    return date.today()
