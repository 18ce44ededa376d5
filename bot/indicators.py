"""Aggregate indicators, counted as the bot works: reports and questions, with no ids.

NGOs take these figures to governments: reports by category, corridor and month, and
questions asked by topic, language and channel. Each event adds one to a counter row
``(month, dimension, value)``, and nothing else is written: no conversation, no
report id, no day. The dimensions are counted apart, never crossed (there is a count
of Nepali questions and a count of questions about passports, but no count of Nepali
questions about passports), so that the counters cannot be joined into a profile of
one person. Counts under :data:`bot.console.dashboard.SUPPRESS_BELOW` are suppressed
where they are shown, not here: the totals must stay exact.

Counters outlive the reports they counted: a report is deleted when its retention
ends, its counts stay.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import date

from sqlalchemy import Column, Integer, String, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.reports.db import Base, session_scope

log = logging.getLogger(__name__)

REPORT_DIMENSIONS = ("category", "corridor", "month")
QUESTION_DIMENSIONS = ("topic", "language", "channel")
UNKNOWN = "unknown"
# Rasa's input channel names we count under their own name; any other is "other", so
# that a custom channel's name (which could say who runs it) never becomes a value.
CHANNELS = {"telegram": "telegram", "sms": "sms", "web": "web", "rest": "rest",
            "cmdline": "terminal"}


class IndicatorCount(Base):
    """How many reports or questions had ``value`` in ``dimension`` during ``month``."""

    __tablename__ = "indicator_counts"

    month = Column(String(7), primary_key=True)  # "2026-11"
    dimension = Column(String(30), primary_key=True)  # "report_category", "question_topic", ...
    value = Column(String(60), primary_key=True)
    count = Column(Integer, nullable=False, default=0)


def corridor(origin: str | None, destination: str | None) -> str:
    """A corridor as counted: ``"NP-QA"``, with ``unknown`` for a country not given."""
    return f"{origin or UNKNOWN}-{destination or UNKNOWN}"


def count_report(session: Session, categories: list[str], origin: str | None,
                 destination: str | None, on: date) -> None:
    """One report more: once for each of its categories, its corridor, and its month.
    Runs in the caller's transaction, so a report and its count are stored together."""
    month = on.strftime("%Y-%m")
    for category in sorted(set(categories)):
        _increment(session, month, "report_category", category)
    _increment(session, month, "report_corridor", corridor(origin, destination))
    _increment(session, month, "report_month", month)


def count_question(session: Session, topic: str, language: str, channel: str | None,
                   on: date) -> None:
    """One question answered: once for its topic, its language and its channel."""
    month = on.strftime("%Y-%m")
    _increment(session, month, "question_topic", topic)
    _increment(session, month, "question_language", language)
    _increment(session, month, "question_channel", CHANNELS.get(channel or "", "other"))


def record_question(topic: str, language: str, channel: str | None, on: date,
                    url: str | None = None) -> None:
    """:func:`count_question` in its own transaction, for the action server. A count
    that cannot be written is lost, logged by its class only: it never stops an answer."""
    try:
        with session_scope(url) as session:
            count_question(session, topic, language, channel, on)
    except Exception as exc:  # noqa: BLE001 - a lost count is not worth a failed turn
        log.warning("question count not written: %s", type(exc).__name__)


def totals(session: Session, dimension: str) -> Counter[str]:
    """Each value's count in ``dimension`` ("report_category", "question_language", ...),
    over every month."""
    tally: Counter[str] = Counter()
    for value, count in session.execute(select(IndicatorCount.value, IndicatorCount.count)
                                        .where(IndicatorCount.dimension == dimension)):
        tally[value] += count
    return tally


def _increment(session: Session, month: str, dimension: str, value: str) -> None:
    """Add one to a counter, creating it at one: a single upsert, so that two servers
    counting at once both count (SQLite and PostgreSQL share the syntax)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(IndicatorCount).values(
        month=month, dimension=dimension, value=value[:60], count=1)
    session.execute(statement.on_conflict_do_update(
        index_elements=["month", "dimension", "value"],
        set_={"count": IndicatorCount.count + 1}))
