"""Alembic environment shared by every owner's migrations: the core, each plugin, the project.

specway runs it on the connection it holds (inside the migration lock), with the owner's own
version table (see :mod:`specway.storage.migrate`); Alembic's command line is not the way in.
Autogenerate (``specway db revision --autogenerate``) passes the project's metadata and the
filter that keeps the comparison to the project's own tables.
"""

from __future__ import annotations

from alembic import context

from specway.errors import ConfigError

attributes = context.config.attributes
connection = attributes.get("connection")
if connection is None:
    raise ConfigError("run migrations through `specway db upgrade`, not Alembic's command line")
context.configure(
    connection=connection,
    version_table=attributes["version_table"],
    target_metadata=attributes.get("target_metadata"),
    include_object=attributes.get("include_object"),
    render_item=attributes.get("render_item"),
    render_as_batch=True,
)
with context.begin_transaction():
    context.run_migrations()
