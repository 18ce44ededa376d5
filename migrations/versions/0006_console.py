"""The review console: staff accounts, case statuses and the hash-chained audit log.

Revision ID: 0006
Revises: 0005

- ``console_users``: an Argon2id password hash, and the partner's or consulate's private
  key wrapped (SecretBox) with a key derived from the password (Argon2id): no column
  opens a report without a staff member's password.
- ``console_cases``: a report's status in the console (new, acknowledged, referred,
  closed), deleted with the report.
- ``console_notes``: a caseworker's internal notes, and a copy of each reply sent,
  sealed to the partner's key like the report, deleted with it.
- ``console_audit``: who did what and when, never report content; each entry holds
  the SHA-256 of the previous one, and no two entries may follow the same one.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_users",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("email", sa.String(254), nullable=False, unique=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("organisation", sa.String(100)),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("key_salt", sa.LargeBinary(), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary()),
        sa.Column("sealed_totp", sa.LargeBinary()),
        sa.Column("created_on", sa.Date(), nullable=False),
    )
    op.create_table(
        "console_cases",
        sa.Column("report_id", sa.String(32),
                  sa.ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("changed_on", sa.Date(), nullable=False),
    )
    op.create_table(
        "console_notes",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("report_id", sa.String(32),
                  sa.ForeignKey("reports.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("author", sa.String(32), nullable=False),
        sa.Column("sealed_text", sa.LargeBinary(), nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
    )
    op.create_table(
        "console_audit",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(32), nullable=False),
        sa.Column("actor_email", sa.String(254), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("target", sa.String(64), nullable=False),
        sa.Column("detail", sa.String(200), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("hash", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("console_audit")
    op.drop_table("console_notes")
    op.drop_table("console_cases")
    op.drop_table("console_users")
