"""Replies seen lately, by nonce: a replayed partner reply is refused.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("reply_nonces",
                    sa.Column("key", sa.String(64), primary_key=True),
                    sa.Column("seen_at", sa.Integer(), nullable=False))


def downgrade() -> None:
    op.drop_table("reply_nonces")
