"""Alembic environment: runs on the connection specway hands over (see Database.migrate)."""

from __future__ import annotations

from alembic import context

from specway.storage.base import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `specway db upgrade`")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
