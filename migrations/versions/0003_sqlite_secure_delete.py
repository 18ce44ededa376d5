"""SQLite: deleted reports leave nothing in the file (auto_vacuum=FULL, then VACUUM).

Revision ID: 0003
Revises: 0002

On SQLite, :mod:`bot.reports.db` turns ``secure_delete`` on for every connection:
a deleted row is overwritten with zeros. ``auto_vacuum=FULL`` also gives the freed
pages back to the file system at each commit, so the file does not keep empty pages
from reports long gone. An existing database takes the setting only through a
``VACUUM``, which rewrites the file (and overwrites what earlier deletes left in free
pages). ``VACUUM`` cannot run in a transaction, hence the autocommit block; it needs
the database to itself, so run the upgrade while no other process has it open.
What SQLite cannot erase: a ``-wal`` file holds old pages until a checkpoint, and the
file system or an SSD may keep old blocks of any file.

On PostgreSQL this revision does nothing, and no setting erases a deleted row at
once: DELETE only marks the tuple dead; it stays in the table's files until VACUUM
(autovacuum) frees its space, and its bytes until new rows overwrite them (VACUUM
FULL writes a new copy of the table and unlinks the old files, without overwriting
them). The WAL keeps the row until its segments are recycled, and archived WAL, base
backups, dumps and replicas keep it for as long as they are kept. Report bodies and
replies are sealed, so what lingers is ciphertext and routing fields; backup
retention and disk encryption bound the rest.
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.get_context().autocommit_block():
        op.execute("PRAGMA auto_vacuum=FULL")
        op.execute("VACUUM")


def downgrade() -> None:
    """Nothing to undo: no schema changed, and revision 0002 runs as well with it."""
