"""Aggregate counters (bot/indicators.py): what is counted, and that nothing else is."""

from __future__ import annotations

import logging
from datetime import date

from sqlalchemy import create_engine, inspect, select, text

from actions import actions
from bot import indicators
from bot.indicators import IndicatorCount
from bot.reports.db import session_scope, upgrade
from tests.conftest import make_tracker, run_action

NOVEMBER = date(2026, 11, 14)


def _rows(url: str) -> list[tuple[str, str, str, int]]:
    with session_scope(url) as session:
        return [tuple(row) for row in session.execute(select(
            IndicatorCount.month, IndicatorCount.dimension, IndicatorCount.value,
            IndicatorCount.count).order_by(IndicatorCount.dimension, IndicatorCount.value,
                                        IndicatorCount.month))]


def test_a_report_counts_once_per_category_and_once_for_its_corridor_and_month(tmp_path):
    url = f"sqlite:///{tmp_path / 'reports.db'}"
    with session_scope(url) as session:
        indicators.count_report(session, ["withheld_wages", "passport_kept", "withheld_wages"],
                                "NP", "QA", NOVEMBER)
        indicators.count_report(session, ["withheld_wages"], None, "QA", date(2026, 12, 1))
    assert _rows(url) == [
        ("2026-11", "report_category", "passport_kept", 1),
        ("2026-11", "report_category", "withheld_wages", 1),
        ("2026-12", "report_category", "withheld_wages", 1),
        ("2026-11", "report_corridor", "NP-QA", 1),
        ("2026-12", "report_corridor", "unknown-QA", 1),
        ("2026-11", "report_month", "2026-11", 1),
        ("2026-12", "report_month", "2026-12", 1)]


def test_questions_count_by_topic_language_and_channel_apart_never_crossed(tmp_path):
    url = f"sqlite:///{tmp_path / 'reports.db'}"
    with session_scope(url) as session:
        indicators.count_question(session, "wages", "ne", "sms", NOVEMBER)
        indicators.count_question(session, "wages", "en", "telegram", NOVEMBER)
        indicators.count_question(session, "passport", "ne", "my-ngo-custom-channel", NOVEMBER)
        indicators.count_question(session, "passport", "tl", "cmdline", NOVEMBER)
    assert _rows(url) == [
        ("2026-11", "question_channel", "other", 1),
        ("2026-11", "question_channel", "sms", 1),
        ("2026-11", "question_channel", "telegram", 1),
        ("2026-11", "question_channel", "terminal", 1),
        ("2026-11", "question_language", "en", 1),
        ("2026-11", "question_language", "ne", 2),
        ("2026-11", "question_language", "tl", 1),
        ("2026-11", "question_topic", "passport", 2),
        ("2026-11", "question_topic", "wages", 2)]
    with session_scope(url) as session:
        assert indicators.totals(session, "question_language") == {"ne": 2, "en": 1, "tl": 1}


def test_the_counter_table_has_no_column_but_month_dimension_value_and_count(tmp_path):
    url = f"sqlite:///{tmp_path / 'reports.db'}"
    upgrade(url)
    columns = [column["name"] for column in
               inspect(create_engine(url)).get_columns("indicator_counts")]
    assert columns == ["month", "dimension", "value", "count"]


def test_the_migration_counts_the_reports_already_stored(tmp_path):
    from alembic import command
    from alembic.config import Config

    from bot.settings import MIGRATIONS_DIR

    url = f"sqlite:///{tmp_path / 'reports.db'}"
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, "0006")
    engine = create_engine(url, future=True)
    with engine.begin() as connection:
        for number, (categories, destination, day) in enumerate([
                ("passport_kept,withheld_wages", "QA", "2026-10-30"),
                ("withheld_wages", "QA", "2026-11-02"), ("confinement", None, "2026-11-20")]):
            connection.execute(text(
                "INSERT INTO reports (id, lookup, code_hash, partner_id, destination, "
                "categories, severity, status, sealed_body, reporter_public_key, "
                "reporter_locked_key, reporter_salt, created_on, expires_on) VALUES "
                "(:id, :id, 'h', 'p', :destination, :categories, '', 'received', x'00', 'k', "
                "x'00', x'00', :day, '2027-06-01')"),
                {"id": f"r{number}", "destination": destination, "categories": categories,
                 "day": day})
    command.upgrade(config, "0007")
    assert _rows(url) == [
        ("2026-11", "report_category", "confinement", 1),
        ("2026-10", "report_category", "passport_kept", 1),
        ("2026-10", "report_category", "withheld_wages", 1),
        ("2026-11", "report_category", "withheld_wages", 1),
        ("2026-10", "report_corridor", "unknown-QA", 1),
        ("2026-11", "report_corridor", "unknown-QA", 1),
        ("2026-11", "report_corridor", "unknown-unknown", 1),
        ("2026-10", "report_month", "2026-10", 1),
        ("2026-11", "report_month", "2026-11", 2)]


def test_a_count_that_cannot_be_written_is_logged_by_its_class_only(tmp_path, caplog):
    url = f"sqlite:///{tmp_path / 'missing-directory' / 'reports.db'}"
    with caplog.at_level(logging.WARNING, logger="bot.indicators"):
        indicators.record_question("wages", "ne", "sms", NOVEMBER, url=url)
    assert [record.getMessage() for record in caplog.records] == [
        "question count not written: OperationalError"]


def test_an_answered_question_is_counted_once_and_a_greeting_not_at_all(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'reports.db'}"
    monkeypatch.setenv("BOT_DATABASE_URL", url)
    confident = {"language": "ne", "confident": True, "script": "Devanagari",
                 "unsupported": None}
    run_action(actions.ActionAnswerTopic, make_tracker(
        "मेरो तलब आएको छैन", "ask_wages", language=confident, channel="sms"))
    run_action(actions.ActionGreet, make_tracker("नमस्ते", "greet", language=confident,
                                                 channel="sms"))
    month = date.today().strftime("%Y-%m")
    assert _rows(url) == [(month, "question_channel", "sms", 1),
                          (month, "question_language", "ne", 1),
                          (month, "question_topic", "wages", 1)]
