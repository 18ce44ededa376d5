"""The reports database on SQLite: what is deleted is gone from the file, not just hidden."""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
from datetime import date
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from bot.reports.db import Reply, Report, connect, session_scope
from bot.settings import MIGRATIONS_DIR
from tests.support.sqlite import upstream_sqlite

CANARY = b"CANARY-" * 50
DAY = date(2026, 11, 22)


def _report() -> Report:
    return Report(id="r" * 32, lookup="K7QM", code_hash="argon2", partner_id="helpline",
                  categories="confinement", severity="", status="received",
                  sealed_body=b"sealed", reporter_public_key="k" * 64,
                  reporter_locked_key=b"locked", reporter_salt=b"salt", created_on=DAY,
                  expires_on=DAY)


def _files(database: Path) -> dict[str, bytes]:
    """The database file and any journal or write-ahead log beside it, by name."""
    return {path.name: path.read_bytes() for path in database.parent.iterdir()
            if path.name.startswith(database.name)}


def test_a_fresh_database_zeroes_deletions_and_vacuums_fully(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'reports.db'}"
    with upstream_sqlite(), connect(url)() as session:
        assert session.execute(text("PRAGMA secure_delete")).scalar() == 1
        assert session.execute(text("PRAGMA auto_vacuum")).scalar() == 1  # FULL
        assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_a_deleted_reply_leaves_no_byte_in_the_file(tmp_path: Path):
    database = tmp_path / "reports.db"
    url = f"sqlite:///{database}"
    with upstream_sqlite():
        with session_scope(url) as session:
            session.add(_report())
            session.add(Reply(report_id="r" * 32, sealed_text=CANARY, created_on=DAY))
        assert CANARY in _files(database)["reports.db"]  # the search below can find it
        with session_scope(url) as session:
            session.query(Reply).delete()
    files = _files(database)
    assert sorted(files) == ["reports.db"]
    assert b"CANARY" not in files["reports.db"]


def _insert_and_delete_canary_without_secure_delete(database: Path) -> None:
    with sqlite3.connect(database) as plain:
        plain.execute("PRAGMA secure_delete=OFF")
        plain.execute("INSERT INTO replies (id, report_id, sealed_text, created_on) "
                      "VALUES ('1', 'r', ?, '2026-11-22')", (CANARY,))
        plain.commit()
        plain.execute("DELETE FROM replies")


def test_without_secure_delete_the_same_reply_would_stay_in_the_file(tmp_path: Path):
    """The control: with secure_delete off, a deleted row's bytes stay in a free page."""
    database = tmp_path / "reports.db"
    connect(f"sqlite:///{database}")
    _insert_and_delete_canary_without_secure_delete(database)
    assert CANARY in database.read_bytes()


def test_migration_0003_vacuums_away_what_earlier_deletes_left(tmp_path: Path):
    """A database made before 0003 keeps deleted rows in free pages; 0003 rewrites it."""
    database = tmp_path / "reports.db"
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", f"sqlite:///{database}")
    command.upgrade(config, "0002")
    _insert_and_delete_canary_without_secure_delete(database)
    assert CANARY in database.read_bytes()
    command.upgrade(config, "0003")
    assert b"CANARY" not in database.read_bytes()
    with sqlite3.connect(database) as plain:
        assert plain.execute("PRAGMA auto_vacuum").fetchone() == (1,)
        assert plain.execute("SELECT version_num FROM alembic_version").fetchone() == ("0003",)


def test_migration_0004_hmacs_old_lookups_and_renumbers_rows_at_random(tmp_path: Path,
                                                                       secrets_dir: Path):
    """A database from before 0004 kept the code's first group in clear and numbered
    outbox rows in order; after 0004 neither can be read from the file."""
    database = tmp_path / "reports.db"
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", f"sqlite:///{database}")
    command.upgrade(config, "0003")
    with sqlite3.connect(database) as plain:
        plain.execute("INSERT INTO reports (id, lookup, code_hash, partner_id, destination, "
                      "categories, severity, status, sealed_body, reporter_public_key, "
                      "reporter_locked_key, reporter_salt, created_on, expires_on) VALUES "
                      "('r1', 'K7QM', 'h', 'p', 'QA', 'other', '', 'received', x'00', 'k', "
                      "x'00', x'00', '2026-11-22', '2027-05-21')")
        plain.execute("INSERT INTO outbox (id, report_id, partner_id, kind, attempts, "
                      "next_attempt_at) VALUES (1, 'r1', 'p', 'report', 0, 0)")
    command.upgrade(config, "0004")
    with sqlite3.connect(database) as plain:
        (lookup,), = plain.execute("SELECT lookup FROM reports").fetchall()
        (outbox_id,), = plain.execute("SELECT id FROM outbox").fetchall()
        assert plain.execute("SELECT version_num FROM alembic_version").fetchone() == ("0004",)
    secret = (secrets_dir / "receipt-lookup.key").read_bytes()
    assert lookup == hmac.new(secret, b"K7QM", hashlib.sha256).hexdigest()
    assert len(outbox_id) == 32 and outbox_id != "1"
