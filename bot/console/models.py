"""The console's tables (migration 0006), on the reports database's metadata."""

from __future__ import annotations

from sqlalchemy import Column, Date, ForeignKey, Integer, LargeBinary, String, Text

from bot.reports.db import Base, new_id


class ConsoleUser(Base):
    """A staff account. ``wrapped_key`` is the organisation's private key, encrypted
    with a key derived from the password; admins have none."""

    __tablename__ = "console_users"

    id = Column(String(32), primary_key=True, default=new_id)
    email = Column(String(254), nullable=False, unique=True)
    role = Column(String(20), nullable=False)
    organisation = Column(String(100))  # a partner's id (caseworker) or a consulate's
    password_hash = Column(Text, nullable=False)  # Argon2id
    key_salt = Column(LargeBinary, nullable=False)
    wrapped_key = Column(LargeBinary)
    sealed_totp = Column(LargeBinary)  # the TOTP secret, wrapped like the key
    created_on = Column(Date, nullable=False)


class ConsoleCase(Base):
    """A report's status in the console; deleted with the report."""

    __tablename__ = "console_cases"

    report_id = Column(String(32), ForeignKey("reports.id", ondelete="CASCADE"),
                       primary_key=True)
    status = Column(String(20), nullable=False)
    changed_on = Column(Date, nullable=False)


class ConsoleNote(Base):
    """An internal note, or the partner's copy of a reply sent to the reporter: sealed to
    the partner's key, so only its staff read it; deleted with the report."""

    __tablename__ = "console_notes"

    id = Column(String(32), primary_key=True, default=new_id)
    report_id = Column(String(32), ForeignKey("reports.id", ondelete="CASCADE"),
                       nullable=False)
    kind = Column(String(10), nullable=False)  # "note" or "reply"
    author = Column(String(32), nullable=False)  # a console user's id
    sealed_text = Column(LargeBinary, nullable=False)
    created_on = Column(Date, nullable=False)


class AuditEntry(Base):
    """Who did what, when: never report content. Chained by SHA-256 (bot.console.audit)."""

    __tablename__ = "console_audit"

    seq = Column(Integer, primary_key=True, autoincrement=True)
    at = Column(Integer, nullable=False)  # unix seconds
    actor = Column(String(32), nullable=False)  # a user id, or "" for nobody logged in
    actor_email = Column(String(254), nullable=False)
    action = Column(String(40), nullable=False)
    target = Column(String(64), nullable=False)
    detail = Column(String(200), nullable=False)
    prev_hash = Column(String(64), nullable=False, unique=True)
    hash = Column(String(64), nullable=False)
