"""Nothing stored links a report to its conversation: HMAC-ed lookups, random ids.

Revision ID: 0004
Revises: 0003

- ``reports.lookup`` held the receipt code's first group in clear; it now holds
  HMAC-SHA256 of it with the deployment's ``receipt-lookup.key`` (in
  ``BOT_SECRETS_DIR``), so a copy of the database alone cannot find a report from a
  guessed group. Existing lookups are converted.
- ``replies.id`` and ``outbox.id`` were numbered in order; they become random, like
  ``reports.id``, and existing rows get new random ids.
- ``code_attempts`` keys were an unkeyed hash of the conversation; the old rows are
  dropped (they only counted recent failures).
"""

import hashlib
import hmac
import secrets

import sqlalchemy as sa
from alembic import op

from bot.privacy import receipt_lookup_key

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("reports") as batch:
        batch.alter_column("lookup", type_=sa.String(64), existing_type=sa.String(8),
                           existing_nullable=False)
    rows = bind.execute(sa.text("SELECT id, lookup FROM reports")).fetchall()
    if rows:
        secret = receipt_lookup_key()
        for report_id, lookup in rows:
            digest = hmac.new(secret, lookup.encode("ascii"), hashlib.sha256).hexdigest()
            bind.execute(sa.text("UPDATE reports SET lookup = :lookup WHERE id = :id"),
                         {"lookup": digest, "id": report_id})
    for table in ("replies", "outbox"):
        with op.batch_alter_table(table) as batch:
            batch.alter_column("id", type_=sa.String(32), existing_type=sa.Integer(),
                               existing_nullable=False)
        for (old_id,) in bind.execute(sa.text(f"SELECT id FROM {table}")).fetchall():  # noqa: S608
            bind.execute(sa.text(f"UPDATE {table} SET id = :new WHERE id = :old"),  # noqa: S608
                         {"new": secrets.token_hex(16), "old": old_id})
    op.execute("DELETE FROM code_attempts")


def downgrade() -> None:
    """Not possible: the clear lookups and the old numbering are gone, on purpose."""
    raise NotImplementedError("revision 0004 cannot be undone: it erased linkable data")
