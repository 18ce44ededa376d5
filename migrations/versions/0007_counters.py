"""Aggregate counters for the dashboard: reports and questions, with no ids.

Revision ID: 0007
Revises: 0006

``indicator_counts`` holds ``(month, dimension, value, count)`` and nothing else (see
bot/indicators.py). The reports already stored are counted once here, by category,
destination (their origin was never kept in clear: ``unknown-QA``) and month.
"""

from collections import Counter

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    counts = op.create_table(
        "indicator_counts",
        sa.Column("month", sa.String(7), primary_key=True),
        sa.Column("dimension", sa.String(30), primary_key=True),
        sa.Column("value", sa.String(60), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
    )
    tally: Counter = Counter()
    reports = op.get_bind().execute(sa.text(
        "SELECT categories, destination, created_on FROM reports"))
    for categories, destination, created_on in reports:
        month = str(created_on)[:7]  # a date, or its ISO text on SQLite
        for category in sorted(set(filter(None, categories.split(",")))):
            tally[(month, "report_category", category)] += 1
        tally[(month, "report_corridor", f"unknown-{destination or 'unknown'}")] += 1
        tally[(month, "report_month", month)] += 1
    if tally:
        op.bulk_insert(counts, [{"month": month, "dimension": dimension, "value": value,
                                 "count": count}
                                for (month, dimension, value), count in sorted(tally.items())])


def downgrade() -> None:
    op.drop_table("indicator_counts")
