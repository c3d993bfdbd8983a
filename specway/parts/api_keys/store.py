"""``ApiKeyStore``: the API keys of one database, as the ``api-keys`` part shows them.

Prebuilt statements (:class:`~specway.storage.prepared.Prepared`) run by ``Database.records``
/ ``write``: a page of keys and its total is one statement, a get one, a create one read (the
organisation's plan) and one write, a rotation's new key and the old one's revocation or
expiry one write (one statement on PostgreSQL). The key's ``plan`` in a response is the tier it
is limited by: its own (an operator's override) or its organisation's, read in the same
statement. Only the peppered hash of a secret is stored; the secret is returned once.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Integer, Table, bindparam, func, insert, select, update

from specway.errors import NotFound
from specway.ids import new_id, rfc3339, utcnow
from specway.pagination import PageRequest
from specway.plugins.auth.hashing import CredentialHasher
from specway.plugins.auth.keys import KeyFormat, display
from specway.plugins.auth.models import ApiKey, Organization
from specway.storage.database import Database, Write
from specway.storage.prepared import Prepared
from specway.storage.sqltime import rfc3339_text
from specway.storage.store import read_page

KEYS = cast(Table, ApiKey.__table__)
_ORGS = cast(Table, Organization.__table__)
_k = KEYS.c

# A response's keys, in order; ``organization_id`` is the ``org`` parameter every read pins.
RECORD = (
    "id",
    "name",
    "prefix",
    "last4",
    "scopes",
    "allowed_ips",
    "plan",
    "test_mode",
    "organization_id",
    "created_by",
    "created_at",
    "last_used_at",
    "expires_at",
)
_ORG_PLAN = select(_ORGS.c.plan).where(_ORGS.c.id == _k.organization_id).scalar_subquery()
_SELECTED: tuple[ColumnElement[Any], ...] = (
    _k.id,
    _k.name,
    _k.prefix,
    _k.last4,
    _k.scopes,
    _k.allowed_ips,
    func.coalesce(_k.plan, _ORG_PLAN).label("plan"),
    _k.test_mode,
    _k.created_by,
    rfc3339_text(_k.created_at).label("created_at"),
    rfc3339_text(_k.last_used_at).label("last_used_at"),
    rfc3339_text(_k.expires_at).label("expires_at"),
)
_DEFAULTS = {"scopes": list, "allowed_ips": list}


def _records(statement: Any) -> Prepared:
    return Prepared(statement, record=RECORD, defaults=_DEFAULTS, bound={"organization_id": "org"})


def _live(test_only: bool) -> list[ColumnElement[bool]]:
    where = [_k.organization_id == bindparam("org"), _k.revoked_at.is_(None)]
    if test_only:
        where.append(_k.test_mode.is_(True))
    return where


@functools.cache
def _get(test_only: bool) -> Prepared:
    """A live key by id; after the record, its own ``plan`` override and ``expires_at``."""
    statement = select(*_SELECTED, _k.plan.label("own_plan"), _k.expires_at.label("expiry"))
    return _records(statement.where(*_live(test_only), _k.id == bindparam("key_id")))


@functools.cache
def _page(test_only: bool) -> tuple[Prepared, Prepared]:
    """``(count, page)``: newest first, the total riding on every row."""
    where = _live(test_only)
    count = select(func.count()).select_from(KEYS).where(*where)
    page = (
        select(*_SELECTED, count.scalar_subquery().label("total"))
        .where(*where)
        .order_by(_k.created_at.desc(), _k.id)
        .offset(bindparam("offset", type_=Integer))
        .limit(bindparam("limit", type_=Integer))
    )
    return Prepared(count), _records(page)


_ORGANIZATION_PLAN = Prepared(select(_ORGS.c.plan).where(_ORGS.c.id == bindparam("org")))
_INSERT = Prepared(insert(KEYS))
_CHANGE = Prepared(update(KEYS).where(_k.id == bindparam("key_id")))


@dataclass(frozen=True, slots=True)
class StoredKey:
    """A live key as :meth:`ApiKeyStore.get` read it: its response ``record`` and what a
    rotation copies that the record does not show as stored (``plan``: the key's own
    override, ``expires_at``)."""

    record: dict[str, Any]
    plan: str | None
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class KeySpec:
    """What a new key is made of (checked by the caller: ``plugins.auth.api_keys``)."""

    name: str
    scopes: list[str]
    allowed_ips: list[str]
    expires_at: datetime | None = None
    created_by: str | None = None
    plan: str | None = None
    test_mode: bool = False


class ApiKeyStore:
    """API keys of one database: page (+ total), get, create, revoke, rotate."""

    def __init__(self, database: Database, hasher: CredentialHasher, key_format: KeyFormat) -> None:
        self.database = database
        self.hasher = hasher
        self.key_format = key_format

    async def page(
        self, organization_id: str, page: PageRequest, *, test_only: bool = False
    ) -> tuple[list[dict[str, Any]], int]:
        """``(items, total)``: live keys of the organisation (only test-mode ones when
        ``test_only``), newest first."""
        count, query = _page(test_only)
        params = {"org": organization_id, "offset": page.offset, "limit": page.per_page}
        return await read_page(self.database, query, count, params)

    async def get(self, organization_id: str, key_id: str, *, test_only: bool = False) -> StoredKey:
        """A live key of the organisation; 404 if it does not exist, is revoked, is another
        organisation's or (``test_only``) is a live-mode key."""
        params = {"org": organization_id, "key_id": key_id}
        records, rest = await self.database.records(_get(test_only), params)
        if not records:
            raise NotFound(
                f"API key {key_id} not found",
                details={"resource_type": "api_key", "resource_id": key_id},
            )
        return StoredKey(records[0], rest[0], rest[1])

    async def create(self, organization_id: str, spec: KeySpec) -> dict[str, Any]:
        """Mint a key; its response record with the secret (``key``), shown this once."""
        rows = await self.database.rows(_ORGANIZATION_PLAN, {"org": organization_id})
        organization_plan = rows[0][0] if rows else None
        values, record = self._new(organization_id, spec, organization_plan)
        await self.database.write([(_INSERT, values)])
        return record

    async def revoke(self, key_id: str) -> None:
        """Mark the key revoked (callers then invalidate auth caches)."""
        await self.database.write([(_CHANGE, {"key_id": key_id, "revoked_at": utcnow()})])

    async def rotate(
        self, current: StoredKey, expires_at: datetime | None, *, revoke: bool
    ) -> dict[str, Any]:
        """A new key with ``current``'s name, scopes, allow-list, expiry, creator, plan and
        mode, written with the old one's revocation (``revoke``) or its new ``expires_at``, in
        one transaction; the new key's record with the secret."""
        old = current.record
        spec = KeySpec(
            name=old["name"],
            scopes=list(old["scopes"]),
            allowed_ips=list(old["allowed_ips"]),
            expires_at=current.expires_at,
            created_by=old["created_by"],
            plan=current.plan,
            test_mode=bool(old["test_mode"]),
        )
        # The record's plan is the tier: the key's own, else its organisation's.
        organization_plan = old["plan"] if current.plan is None else None
        values, record = self._new(old["organization_id"], spec, organization_plan)
        change: dict[str, Any] = {"key_id": old["id"]}
        if revoke:
            change["revoked_at"] = utcnow()
        else:
            change["expires_at"] = expires_at
        writes: list[Write] = [(_INSERT, values), (_CHANGE, change)]
        await self.database.write(writes)
        return record

    def _new(
        self, organization_id: str, spec: KeySpec, organization_plan: str | None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """``(column values, response record)`` of a new key."""
        secret = self.key_format.generate(test_mode=spec.test_mode)
        prefix, last4 = display(secret, self.key_format.prefix_of(secret) or "")
        now = utcnow()
        values = {
            "id": new_id("key"),
            "organization_id": organization_id,
            "created_by": spec.created_by,
            "name": spec.name,
            "key_hash": self.hasher.digest(secret),
            "prefix": prefix,
            "last4": last4,
            "scopes": spec.scopes,
            "allowed_ips": spec.allowed_ips,
            "plan": spec.plan,
            "test_mode": spec.test_mode,
            "created_at": now,
            "expires_at": spec.expires_at,
        }
        record = {
            "id": values["id"],
            "name": spec.name,
            "prefix": prefix,
            "last4": last4,
            "scopes": list(spec.scopes),
            "allowed_ips": list(spec.allowed_ips),
            "plan": spec.plan or organization_plan,
            "test_mode": spec.test_mode,
            "organization_id": organization_id,
            "created_by": spec.created_by,
            "created_at": rfc3339(now),
            "last_used_at": None,
            "expires_at": rfc3339(spec.expires_at),
            "key": secret,
        }
        return values, record
