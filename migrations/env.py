"""Alembic environment for the reports database (see bot/reports/db.py)."""

from alembic import context
from sqlalchemy import create_engine

from bot.reports.db import Base

url = context.config.get_main_option("sqlalchemy.url")
connectable = create_engine(url, future=True)
with connectable.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()
