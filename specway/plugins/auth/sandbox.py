"""Sandbox twins: where test-mode keys keep their data, apart from live data.

Every resource row carries an ``organization_id``, so isolation needs no query of its own: a
test-mode key resolves (once, on the credential cache's miss path) to the *sandbox twin* of its
organisation, an organisation row of its own linked to the live one by a :class:`SandboxLink`
and created the first time a test key of that organisation is used. The twin has no members,
so no session ever lists it, and a live key's organisation is never the twin, so each side gets
404 for the other's rows.

:func:`reset_sandbox` empties a twin: every row of every table with an ``organization_id``
column that names the twin, found by inspecting the database (so tables of plugins and
examples that this process never imported are included). The twin itself and its link stay,
so ids handed out to clients keep meaning "the sandbox".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import String, bindparam, delete, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from specway.ids import new_id, utcnow
from specway.plugins.auth.models import Organization
from specway.storage import Base
from specway.storage.database import Database
from specway.storage.prepared import Prepared

# Tables whose ``organization_id`` rows are not sandbox data: the twin itself and its link.
KEPT_TABLES = frozenset({"organizations", "sandboxes"})


class SandboxLink(Base):
    """The sandbox twin of one live organisation, and when its data was last reset."""

    __tablename__ = "sandboxes"

    organization_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    sandbox_organization_id: Mapped[str] = mapped_column(String(40), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reset_at: Mapped[datetime | None] = mapped_column()


@dataclass(frozen=True, slots=True)
class SandboxReset:
    """What one reset removed: rows deleted per table (tables with none are left out)."""

    organization_id: str
    sandbox_organization_id: str
    deleted: dict[str, int]


async def find_sandbox(session: AsyncSession, live_organization_id: str) -> SandboxLink | None:
    link: SandboxLink | None = await session.get(SandboxLink, live_organization_id)
    return link


async def is_sandbox(session: AsyncSession, organization_id: str) -> bool:
    """Whether ``organization_id`` is some organisation's sandbox twin."""
    query = select(SandboxLink.organization_id).where(
        SandboxLink.sandbox_organization_id == organization_id
    )
    return (await session.execute(query)).first() is not None


async def sandbox_organization_id(session: AsyncSession, live_organization_id: str) -> str | None:
    """The twin of ``live_organization_id``, created if needed; ``None`` if that is gone.

    Two processes creating the same twin at once is fine: the link's primary key lets one
    win, the other's savepoint rolls back (with its twin row) and it reads the winner's.
    The caller commits.
    """
    link = await find_sandbox(session, live_organization_id)
    if link is not None:
        return link.sandbox_organization_id
    live = await session.get(Organization, live_organization_id)
    if live is None:
        return None
    now = utcnow()
    twin_id = new_id("org")
    try:
        async with session.begin_nested():
            session.add(
                Organization(
                    id=twin_id,
                    name=live.name,
                    description=f"Test-mode sandbox of {live.id}",
                    created_at=now,
                    updated_at=now,
                )
            )
            await session.flush()
            session.add(
                SandboxLink(
                    organization_id=live.id,
                    sandbox_organization_id=twin_id,
                    created_at=now,
                )
            )
            await session.flush()
    except IntegrityError:
        link = await find_sandbox(session, live_organization_id)
        return link.sandbox_organization_id if link is not None else None
    return twin_id


_ORGS: sa.Table = Organization.__table__  # type: ignore[assignment]
_INSERT_TWIN = Prepared(insert(_ORGS))
_INSERT_LINK = Prepared(insert(SandboxLink.__table__))  # type: ignore[arg-type]
_TWIN = Prepared(
    select(SandboxLink.__table__.c.sandbox_organization_id).where(
        SandboxLink.__table__.c.organization_id == bindparam("org")
    )
)


async def create_sandbox(database: Database, live_organization_id: str, name: str) -> str | None:
    """The twin of ``live_organization_id`` (named ``name``), made now: the request path's
    :func:`sandbox_organization_id`, on the store path (the twin and its link are one write).

    If another request or process made it first, the link's primary key refuses this one
    (nothing of it is written) and the winner's twin is returned; ``None`` if there is none.
    """
    now = utcnow()
    twin_id = new_id("org")
    twin = {
        "id": twin_id,
        "name": name,
        "description": f"Test-mode sandbox of {live_organization_id}",
        "created_at": now,
        "updated_at": now,
    }
    link = {
        "organization_id": live_organization_id,
        "sandbox_organization_id": twin_id,
        "created_at": now,
    }
    try:
        await database.write([(_INSERT_TWIN, twin), (_INSERT_LINK, link)])
    except IntegrityError:
        rows = await database.rows(_TWIN, {"org": live_organization_id})
        return str(rows[0][0]) if rows else None
    return twin_id


def tenant_tables_in(connection: sa.Connection) -> list[str]:
    """Every table in the database with an ``organization_id`` column, sandbox bookkeeping
    excepted; tables that others reference by foreign key come after those others, so
    deleting in this order never trips a constraint."""
    inspector = sa.inspect(connection)
    parents_first = [
        name for name, _ in inspector.get_sorted_table_and_fkc_names() if name is not None
    ]
    return [
        name
        for name in reversed(parents_first)
        if name not in KEPT_TABLES
        and any(c["name"] == "organization_id" for c in inspector.get_columns(name))
    ]


async def tenant_tables(session: AsyncSession) -> list[str]:
    """:func:`tenant_tables_in` on a session's connection."""
    return await (await session.connection()).run_sync(tenant_tables_in)


_LINK_TABLE: sa.Table = SandboxLink.__table__  # type: ignore[assignment]
_links = _LINK_TABLE.c


def _empty(connection: sa.Connection, twin_id: str, tables: list[str]) -> dict[str, int]:
    """Delete the twin's rows from ``tables``; rows deleted per table (none: left out)."""
    deleted: dict[str, int] = {}
    for name in tables:
        table = sa.table(name, sa.column("organization_id"))
        result = connection.execute(delete(table).where(table.c.organization_id == twin_id))
        if result.rowcount:
            deleted[name] = int(result.rowcount)
    return deleted


def reset_due(
    connection: sa.Connection,
    older_than: timedelta | None,
    *,
    organization_id: str | None = None,
    now: datetime | None = None,
) -> list[SandboxReset]:
    """Empty every twin whose data was last reset (or first made) at least ``older_than``
    ago, or every twin when ``older_than`` is ``None`` (only the twin of ``organization_id``
    if given), and stamp ``reset_at``: synchronous Core work for ``Database.transaction``."""
    now = now or utcnow()
    query = select(_links.organization_id, _links.sandbox_organization_id).order_by(
        _links.organization_id
    )
    if organization_id is not None:
        query = query.where(_links.organization_id == organization_id)
    if older_than is not None:
        cutoff = now - older_than
        query = query.where(
            or_(
                _links.reset_at <= cutoff,
                (_links.reset_at.is_(None)) & (_links.created_at <= cutoff),
            )
        )
    links = connection.execute(query).all()
    if not links:
        return []
    tables = tenant_tables_in(connection)
    done = []
    for live_id, twin_id in links:
        deleted = _empty(connection, twin_id, tables)
        connection.execute(
            sa.update(_LINK_TABLE)
            .where(_links.organization_id == live_id)
            .values(reset_at=utcnow())
        )
        done.append(SandboxReset(live_id, twin_id, deleted))
    return done


async def reset_sandboxes(
    session: AsyncSession,
    older_than: timedelta | None,
    *,
    organization_id: str | None = None,
    now: datetime | None = None,
) -> list[SandboxReset]:
    """:func:`reset_due` in a session's transaction (the CLI). The caller commits."""
    connection = await session.connection()
    return await connection.run_sync(
        lambda sync: reset_due(sync, older_than, organization_id=organization_id, now=now)
    )


def delete_twin(connection: sa.Connection, live_organization_id: str) -> None:
    """Remove the twin of a live organisation that is being deleted, with all its data
    (synchronous Core work for ``Database.transaction``)."""
    twin_id = connection.execute(
        select(_links.sandbox_organization_id).where(_links.organization_id == live_organization_id)
    ).scalar()
    if twin_id is None:
        return
    _empty(connection, twin_id, tenant_tables_in(connection))
    connection.execute(delete(_ORGS).where(_ORGS.c.id == twin_id))
    connection.execute(delete(_LINK_TABLE).where(_links.organization_id == live_organization_id))


async def delete_sandbox(session: AsyncSession, live_organization_id: str) -> None:
    """:func:`delete_twin` in a session's transaction."""
    connection = await session.connection()
    await connection.run_sync(delete_twin, live_organization_id)
