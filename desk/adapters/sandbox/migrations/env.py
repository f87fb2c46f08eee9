"""Alembic's environment for the desk's database: the connection comes from the caller
(``desk.adapters.sandbox.migrations.upgrade``), never from a file of settings."""

from __future__ import annotations

from alembic import context

from desk.adapters.sandbox.migrations import METADATA

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=METADATA,
    render_as_batch=True,  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
