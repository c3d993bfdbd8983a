"""Adopt a database made when every table shared one Alembic history.

specway 0.1.0 up to the per-owner migrations (issue 27; the last such commit is ``8891328``) kept
the revisions of the core, the plugins and the reference API in one tree rooted at ``0001``
(``projects``), every other revision branching off it, and ``alembic_version`` held that tree's
heads: ``0002`` (auth), ``0003`` (webhooks), ``0004`` (audit), ``0005`` (reference API),
``0006`` (reference API's deployments *and* project_metrics' tables), ``0007_sandbox`` (auth),
``0008_projects_page_index`` (reference API).

Now each owner records its revision in its own version table (:mod:`specway.storage.migrate`).
:func:`adopt` moves the framework's former ids out of ``alembic_version`` into the owners' tables
before anything is migrated, so such a database upgrades without recreating (or losing) a table:
the reference API's ids (``0001``, ``0005``, ``0006``, ``0008_projects_page_index``) stay where
they are, since they are the ids of its own migrations now. It runs once: the core's version
table exists after the first per-owner migration, and the adoption never runs where it does.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.engine import Connection

logger = logging.getLogger("specway.storage.migrate")

MARKER = "specway_version_core"  # present once a database has been migrated per owner
SHARED = "alembic_version"  # the single tree's version table, now the project's
ROOT = "0001"  # the single tree's root, the reference API's first revision
# Former id -> (owner, its revision there). Each owner's entries are in its history's order,
# so the last one present is that owner's head.
FORMER: dict[str, tuple[str, str]] = {
    "0002": ("auth", "0002"),
    "0007_sandbox": ("auth", "0007_sandbox"),
    "0003": ("webhooks", "0003"),
    "0004": ("audit", "0004"),
    "0006": ("project_metrics", "0006_project_metrics"),
}
KEPT = frozenset({"0006"})  # also an id of the project's own history: it stays in SHARED


def adopt(connection: Connection) -> dict[str, str]:
    """Move the single tree's framework ids into per-owner version tables; return what moved.

    A no-op (``{}``) on a new database, on one already migrated per owner, and on one whose
    ``alembic_version`` holds none of the framework's former ids.
    """
    tables = set(sa.inspect(connection).get_table_names())
    if SHARED not in tables or MARKER in tables:
        return {}
    shared = _version_table(SHARED)
    present = set(connection.execute(sa.select(shared.c.version_num)).scalars())
    heads: dict[str, str] = {}
    for former, (owner, revision) in FORMER.items():
        if former in present:
            heads[owner] = revision  # a later entry of the same owner wins
    if not heads:
        return {}
    for owner, revision in heads.items():
        table = _version_table(f"specway_version_{owner}")
        table.create(connection, checkfirst=True)
        connection.execute(sa.delete(table))
        connection.execute(sa.insert(table).values(version_num=revision))
    moved = [former for former in FORMER if former in present and former not in KEPT]
    connection.execute(sa.delete(shared).where(shared.c.version_num.in_(moved)))
    if not present - set(moved):
        # Only framework ids were left: the root they all branched from is the project's head.
        connection.execute(sa.insert(shared).values(version_num=ROOT))
    logger.info(
        "adopted a single-tree database: %s",
        ", ".join(f"{owner} at {revision}" for owner, revision in heads.items()),
    )
    return heads


def _version_table(name: str) -> sa.Table:
    """A version table as Alembic makes it (``version_num``, primary key ``<name>_pkc``)."""
    return sa.Table(
        name,
        sa.MetaData(),
        sa.Column("version_num", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("version_num", name=f"{name}_pkc"),
    )
