"""``OrganizationStore``: organisations and their members, as the ``organizations`` part shows
them, on the store path.

Prebuilt statements (:class:`~specway.storage.prepared.Prepared`, built once per shape of the
include's ``counts``) run by ``Database.rows`` / ``write`` / ``transaction``: an organisation
with its member count, the include's counts and the caller's role is one statement; a page
of them (or of members) and its total one more; a change one write. Deleting an organisation
(its rows in every ``cascade`` table, its sandbox twin, memberships, keys and sessions) is one
transaction of Core statements.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Integer,
    Table,
    and_,
    bindparam,
    column,
    delete,
    func,
    select,
    table,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from specway.errors import Conflict
from specway.ids import new_id, rfc3339, utcnow
from specway.pagination import PageRequest
from specway.plugins.auth.account_store import (
    MEMBERSHIPS,
    ORGANIZATIONS,
    SESSIONS,
    USERS,
    membership_writes,
    organization_writes,
)
from specway.plugins.auth.models import ApiKey
from specway.plugins.auth.sandbox import delete_twin
from specway.storage.database import Database, Write
from specway.storage.prepared import Prepared
from specway.storage.sqltime import rfc3339_text

_KEYS = cast(Table, ApiKey.__table__)
_o, _m, _u = ORGANIZATIONS.c, MEMBERSHIPS.c, USERS.c
Counts = tuple[tuple[str, str], ...]  # (response field, owned table)


def _owned(name: str) -> Any:
    return table(name, column("organization_id"))


def _count_of(name: str) -> ColumnElement[Any]:
    owned = _owned(name)
    return (
        select(func.count())
        .select_from(owned)
        .where(owned.c.organization_id == _o.id)
        .correlate(ORGANIZATIONS)
        .scalar_subquery()
    )


def _organization_columns(counts: Counts, members: ColumnElement[Any]) -> list[Any]:
    """An organisation as a response shows it, ``user_role`` aside, in the order of
    :func:`_to_dict`."""
    return [
        _o.id,
        _o.name,
        _o.description,
        rfc3339_text(_o.created_at).label("created_at"),
        rfc3339_text(_o.updated_at).label("updated_at"),
        members.label("member_count"),
        *(_count_of(name).label(f"count_{i}") for i, (_, name) in enumerate(counts)),
    ]


def _members_of(organization: ColumnElement[Any]) -> ColumnElement[Any]:
    return (
        select(func.count())
        .select_from(MEMBERSHIPS)
        .where(_m.organization_id == organization)
        .scalar_subquery()
    )


@functools.cache
def _get(counts: Counts) -> Prepared:
    """One organisation, its member count (of ``members_org``: the live organisation for its
    sandbox twin) and the role of ``user_id`` in it (``None``: not a member)."""
    role = (
        select(_m.role)
        .where(_m.organization_id == _o.id, _m.user_id == bindparam("user_id"))
        .correlate(ORGANIZATIONS)
        .scalar_subquery()
    )
    columns = _organization_columns(counts, _members_of(bindparam("members_org")))
    return Prepared(select(*columns, role.label("role")).where(_o.id == bindparam("org")))


@functools.cache
def _page(counts: Counts) -> Prepared:
    """The organisations ``user_id`` belongs to, oldest first, with the role and the total."""
    joined = ORGANIZATIONS.join(MEMBERSHIPS, _m.organization_id == _o.id)
    mine = _m.user_id == bindparam("user_id")
    total = select(func.count()).select_from(joined).where(mine).correlate(None).scalar_subquery()
    columns = _organization_columns(counts, _members_of(_o.id).correlate(ORGANIZATIONS))
    return Prepared(
        select(*columns, _m.role, total.label("total"))
        .select_from(joined)
        .where(mine)
        .order_by(_o.created_at, _o.id)
        .offset(bindparam("offset", type_=Integer))
        .limit(bindparam("limit", type_=Integer))
    )


_COUNT_MINE = Prepared(
    select(func.count())
    .select_from(ORGANIZATIONS.join(MEMBERSHIPS, _m.organization_id == _o.id))
    .where(_m.user_id == bindparam("user_id"))
)


_MEMBERS_PAGE = Prepared(
    select(
        _u.id,
        _u.email,
        _u.username,
        _u.first_name,
        _u.last_name,
        _m.role,
        rfc3339_text(_m.created_at).label("joined_at"),
        select(func.count())
        .select_from(MEMBERSHIPS)
        .where(_m.organization_id == bindparam("org"))
        .correlate(None)
        .scalar_subquery()
        .label("total"),
    )
    .select_from(USERS.join(MEMBERSHIPS, _m.user_id == _u.id))
    .where(_m.organization_id == bindparam("org"))
    .order_by(_m.created_at, _m.id)
    .offset(bindparam("offset", type_=Integer))
    .limit(bindparam("limit", type_=Integer))
)
_COUNT_MEMBERS = Prepared(
    select(func.count()).select_from(MEMBERSHIPS).where(_m.organization_id == bindparam("org"))
)
_ROLE = Prepared(
    select(_m.role).where(
        _m.organization_id == bindparam("org"), _m.user_id == bindparam("user_id")
    )
)
# The user of an email and, if a member of ``org`` already, that membership's id.
_CANDIDATE = Prepared(
    select(
        _u.id,
        _u.email,
        _u.username,
        _u.first_name,
        _u.last_name,
        _m.id.label("membership_id"),
    )
    .select_from(
        USERS.outerjoin(
            MEMBERSHIPS, and_(_m.user_id == _u.id, _m.organization_id == bindparam("org"))
        )
    )
    .where(_u.email == bindparam("email"))
)
# A member's role and the organisation's admin count.
_MEMBER = Prepared(
    select(
        _m.role,
        select(func.count())
        .select_from(MEMBERSHIPS)
        .where(_m.organization_id == bindparam("org"), _m.role == "admin")
        .correlate(None)
        .scalar_subquery()
        .label("admins"),
    ).where(_m.organization_id == bindparam("org"), _m.user_id == bindparam("user_id"))
)
_CHANGE_ORGANIZATION = Prepared(update(ORGANIZATIONS).where(_o.id == bindparam("org_id")))
_REMOVE_MEMBERSHIP = Prepared(
    delete(MEMBERSHIPS).where(
        _m.organization_id == bindparam("org"), _m.user_id == bindparam("member")
    )
)
_REVOKE_SESSIONS = Prepared(
    update(SESSIONS)
    .where(
        SESSIONS.c.organization_id == bindparam("org"),
        SESSIONS.c.user_id == bindparam("member"),
        SESSIONS.c.revoked_at.is_(None),
    )
    .values(revoked_at=bindparam("now"))
)
_REVOKE_KEYS = Prepared(
    update(_KEYS)
    .where(
        _KEYS.c.organization_id == bindparam("org"),
        _KEYS.c.created_by == bindparam("member"),
        _KEYS.c.revoked_at.is_(None),
    )
    .values(revoked_at=bindparam("now"))
)


def _to_dict(row: Sequence[Any], counts: Counts, role: str) -> dict[str, Any]:
    id_, name, description, created_at, updated_at, members, *rest = row
    return {
        "id": id_,
        "name": name,
        "description": description,
        "created_at": created_at,
        "updated_at": updated_at,
        "member_count": int(members),
        **{field: int(value) for (field, _), value in zip(counts, rest, strict=True)},
        "user_role": role,
    }


def member_to_dict(row: Any) -> dict[str, Any]:
    return {
        "user_id": row.id,
        "email": row.email,
        "username": row.username,
        "full_name": f"{row.first_name} {row.last_name}".strip(),
        "role": row.role,
        "joined_at": row.joined_at,
    }


class OrganizationStore:
    """Organisations and memberships of one database; ``counts``: the include's per-organisation
    counts of the project's own tables (response field -> table), ``cascade``: the tables whose
    rows go with a deleted organisation."""

    def __init__(
        self, database: Database, counts: Counts = (), cascade: Sequence[str] = ()
    ) -> None:
        self.database = database
        self.counts = counts
        self.cascade = tuple(cascade)

    async def get(
        self, org_id: str, user_id: str | None, members_org: str
    ) -> tuple[dict[str, Any], str | None] | None:
        """``(organisation without user_role, role of user_id)``; ``None``: no such one."""
        params = {"org": org_id, "user_id": user_id, "members_org": members_org}
        rows = await self.database.rows(_get(self.counts), params)
        if not rows:
            return None
        row = rows[0]
        return _to_dict(row[:-1], self.counts, ""), row[-1]

    async def role(self, org_id: str, user_id: str) -> str | None:
        rows = await self.database.rows(_ROLE, {"org": org_id, "user_id": user_id})
        return str(rows[0][0]) if rows else None

    async def page(self, user_id: str, page: PageRequest) -> tuple[list[dict[str, Any]], int]:
        """The organisations ``user_id`` belongs to, with the role in each, and the total."""
        params = {"user_id": user_id, "offset": page.offset, "limit": page.per_page}
        rows = await self.database.rows(_page(self.counts), params)
        if not rows:
            if not page.offset:
                return [], 0
            return [], int((await self.database.rows(_COUNT_MINE, params))[0][0])
        items = [_to_dict(row[:-2], self.counts, row[-2]) for row in rows]
        return items, int(rows[0][-1])

    async def create(self, name: str, description: str, admin_id: str) -> dict[str, Any]:
        """A new organisation with ``admin_id`` its first admin (one write)."""
        now = utcnow()
        org_id = new_id("org")
        await self.database.write(organization_writes(org_id, name, admin_id, now, description))
        stamp = rfc3339(now)
        return {
            "id": org_id,
            "name": name,
            "description": description,
            "created_at": stamp,
            "updated_at": stamp,
            "member_count": 1,
            **{field: 0 for field, _ in self.counts},
            "user_role": "admin",
        }

    async def update(self, current: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        """Set ``body``'s name and description on an organisation just read; the new state."""
        values: dict[str, Any] = {f: body[f] for f in ("name", "description") if f in body}
        now = utcnow()
        await self.database.write(
            [(_CHANGE_ORGANIZATION, {**values, "updated_at": now, "org_id": current["id"]})]
        )
        return {**current, **values, "updated_at": rfc3339(now)}

    async def delete(self, org_id: str) -> None:
        """The organisation, its ``cascade`` rows, its sandbox twin, memberships, keys and
        sessions, in one transaction."""
        cascade = self.cascade

        def work(connection: Connection) -> None:
            for name in cascade:
                owned = _owned(name)
                connection.execute(delete(owned).where(owned.c.organization_id == org_id))
            delete_twin(connection, org_id)
            for owned in (MEMBERSHIPS, _KEYS, SESSIONS):
                connection.execute(delete(owned).where(owned.c.organization_id == org_id))
            connection.execute(delete(ORGANIZATIONS).where(_o.id == org_id))
            connection.execute(
                update(USERS)
                .where(_u.default_organization_id == org_id)
                .values(default_organization_id=None)
            )

        await self.database.transaction(work)

    async def members(self, org_id: str, page: PageRequest) -> tuple[list[dict[str, Any]], int]:
        """A page of the organisation's members, oldest first, and the total."""
        params = {"org": org_id, "offset": page.offset, "limit": page.per_page}
        rows = await self.database.rows(_MEMBERS_PAGE, params)
        if rows:
            return [member_to_dict(row) for row in rows], int(rows[0].total)
        if not page.offset:
            return [], 0
        return [], int((await self.database.rows(_COUNT_MEMBERS, {"org": org_id}))[0][0])

    async def candidate(self, org_id: str, email: str) -> Any:
        """The user of ``email`` (``membership_id`` set if already a member); ``None``."""
        rows = await self.database.rows(_CANDIDATE, {"org": org_id, "email": email})
        return rows[0] if rows else None

    async def add_member(self, org_id: str, user: Any, role: str) -> dict[str, Any]:
        """Make ``user`` (a :meth:`candidate`) a member; 409 if they already are."""
        now = utcnow()
        try:
            await self.database.write(membership_writes(org_id, user.id, role, now))
        except IntegrityError:
            raise Conflict("This user is already a member") from None
        return {
            "user_id": user.id,
            "email": user.email,
            "username": user.username,
            "full_name": f"{user.first_name} {user.last_name}".strip(),
            "role": role,
            "joined_at": rfc3339(now),
        }

    async def member(self, org_id: str, user_id: str) -> tuple[str, int] | None:
        """``(role, admins in the organisation)`` of a member; ``None`` if not one."""
        rows = await self.database.rows(_MEMBER, {"org": org_id, "user_id": user_id})
        return (str(rows[0][0]), int(rows[0][1])) if rows else None

    async def remove_member(self, org_id: str, user_id: str) -> None:
        """Remove the membership and revoke the member's sessions and keys here (one write):
        a removal is final, a member added again logs in and mints keys anew."""
        params = {"org": org_id, "member": user_id}
        stamped = {**params, "now": utcnow()}
        writes: list[Write] = [
            (_REMOVE_MEMBERSHIP, params),
            (_REVOKE_SESSIONS, stamped),
            (_REVOKE_KEYS, stamped),
        ]
        await self.database.write(writes)
