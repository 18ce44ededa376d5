"""Reports, replies, outbox and code attempts.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reports",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("lookup", sa.String(8), nullable=False, unique=True),
        sa.Column("code_hash", sa.Text(), nullable=False),
        sa.Column("partner_id", sa.String(100), nullable=False),
        sa.Column("destination", sa.String(2)),
        sa.Column("categories", sa.String(300), nullable=False),
        sa.Column("severity", sa.String(300), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("sealed_body", sa.LargeBinary(), nullable=False),
        sa.Column("reporter_public_key", sa.String(64), nullable=False),
        sa.Column("reporter_locked_key", sa.LargeBinary(), nullable=False),
        sa.Column("reporter_salt", sa.LargeBinary(), nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
    )
    op.create_table(
        "replies",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("report_id", sa.String(32),
                  sa.ForeignKey("reports.id", ondelete="CASCADE"), nullable=False),
        sa.Column("sealed_text", sa.LargeBinary(), nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("report_id", sa.String(32),
                  sa.ForeignKey("reports.id", ondelete="CASCADE"), nullable=False),
        sa.Column("partner_id", sa.String(100), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(200)),
        sa.Column("delivered_on", sa.Date()),
    )
    op.create_table(
        "code_attempts",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("window_start", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    for table in ("code_attempts", "outbox", "replies", "reports"):
        op.drop_table(table)
