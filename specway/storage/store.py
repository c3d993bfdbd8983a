"""``TableStore``: a resource's store (get, page + total, create, update, delete), declared.

A store is the one API handlers use for a resource's rows (see ``docs/performance.md``, "The
storage path"). Its statements are Core statements built once per shape (``functools.cache``)
and run through ``Database.records`` / ``rows`` / ``write``: a get or a page is one round trip
on PostgreSQL (asyncpg) and one raw cursor call on SQLite; a write and its outbox event are one
transaction (``specway.plugins.webhooks.outbox.write_with_event``). Results are the response's
dicts, built straight from the fetched rows.

Declare the resource once, as a class attribute::

    class ProjectStore(TableStore):
        resource = Resource(
            table=PROJECTS,
            name="project",
            id_prefix="proj",
            keys=("id", "name", "description", "status", "organization", "config",
                  "created_at", "updated_at"),
            fields={"name": REQUIRED, "description": "", "status": "active", "config": dict},
            sortable=("name", "created_at", "updated_at"),
            search=("name", "description"),
            filters=("status",),
            merged=("config",),
            events=True,
        )

What the declaration means:

* ``keys``: the response's keys, in order. Each is a column of ``table`` of the same name, or
  the expression ``columns`` gives for it (a column of another name, a joined table's column,
  a correlated count). DateTime columns are read as RFC 3339 text (``sqltime.rfc3339_text``).
  ``owner_key`` ("organization") is not fetched: every statement's WHERE pins ``owner`` (the
  column, "organization_id") to the ``org`` parameter, or to NULL when the organisation is
  ``None`` (authentication off), and each record takes it from there.
* ``defaults``: a record's ``None`` replaced with ``default()`` (``dict`` for JSON objects);
  a field of ``fields`` whose default is callable gets it too.
* ``fields``: what ``create`` takes from the request body, with its default (``REQUIRED``: no
  default). ``updatable``: what ``update`` may set (default: every field); ``merged``: JSON
  objects ``update`` merges key by key into the stored one.
* ``sortable`` (keys of columns of ``table``), ``default_sort`` / ``default_order``; ties are
  broken by id, in the same direction (one index serves both orders) unless
  ``tie_ascending``. ``search``: columns matched by ``lower(column) LIKE`` the escaped
  pattern; ``filters``: columns compared for equality, given by name to ``page`` (a name
  ``columns`` maps compares that expression: a JSON document's member, say, which need not
  be one of ``keys``).
* ``joins``: ``(table, on)`` pairs the reads join (inner joins, for ``columns`` from them).
* ``events``: write ``<name>.created`` / ``.updated`` / ``.deleted`` with each write
  (payload :meth:`TableStore.event`); the store then needs the webhook service.

A missing row is ``NotFound("<Name> <id> not found")``, with ``resource_type`` and
``resource_id`` details, also for another organisation's row. Statements bind the row's id as
``row_id``; columns named ``org``, ``row_id``, ``pattern``, ``offset`` or ``limit`` are not
supported.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sqlalchemy import (
    BindParameter,
    Column,
    ColumnElement,
    DateTime,
    Integer,
    Select,
    Table,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from specway.errors import APIError, NotFound
from specway.ids import new_id, rfc3339, utcnow
from specway.pagination import PageRequest
from specway.plugins.webhooks.outbox import write_with_event
from specway.plugins.webhooks.service import WebhookService
from specway.storage.database import Database, Write
from specway.storage.prepared import Prepared
from specway.storage.sqltime import rfc3339_text

REQUIRED: Any = object()  # a field of ``Resource.fields`` the body must hold


@dataclass(frozen=True, eq=False)  # hashed by identity: the statement caches' key
class Resource:
    """How a :class:`TableStore` reads and writes one table; see the module docstring."""

    table: Table
    name: str
    id_prefix: str
    keys: tuple[str, ...]
    columns: Mapping[str, ColumnElement[Any]] = field(default_factory=dict)
    owner: str = "organization_id"
    owner_key: str = "organization"
    defaults: Mapping[str, Callable[[], Any]] = field(default_factory=dict)
    fields: Mapping[str, Any] = field(default_factory=dict)
    updatable: tuple[str, ...] | None = None
    merged: tuple[str, ...] = ()
    sortable: tuple[str, ...] = ("created_at", "updated_at")  # those the table has
    default_sort: str = "created_at"
    default_order: str = "desc"
    tie_ascending: bool = False
    search: tuple[str, ...] = ()
    filters: tuple[str, ...] = ()
    joins: tuple[tuple[Table, ColumnElement[bool]], ...] = ()
    events: bool = False

    @functools.cached_property
    def stamps_updates(self) -> bool:
        """Whether the table has an ``updated_at`` column that writes set (``created_at`` it
        must have)."""
        return "updated_at" in self.table.c

    @functools.cached_property
    def label(self) -> str:
        """The name as a message starts it: "Project"."""
        return self.name[:1].upper() + self.name[1:]

    @functools.cached_property
    def selected(self) -> tuple[ColumnElement[Any], ...]:
        """What reads select: every key's expression but the owner's, labelled with its key."""
        selected = []
        for key in self.keys:
            if key != self.owner_key:
                expression = self._expression(key)
                selected.append(expression if expression.key == key else expression.label(key))
        return tuple(selected)

    def _expression(self, key: str) -> ColumnElement[Any]:
        if key in self.columns:
            return self.columns[key]
        column = self.table.c[key]
        if isinstance(column.type, DateTime):
            return rfc3339_text(column).label(key)
        return column

    @functools.cached_property
    def sources(self) -> tuple[tuple[str, str | None], ...]:
        """Per key: the ``table`` column a write's values hold it under (``None``: the owner,
        a timestamp, or a key only reads compute)."""
        found: list[tuple[str, str | None]] = []
        for key in self.keys:
            column = self.columns.get(key, self.table.c.get(key))
            if key == self.owner_key or key in ("created_at", "updated_at"):
                found.append((key, None))
            elif isinstance(column, Column) and column.table is self.table:
                found.append((key, column.name))
            else:
                found.append((key, None))
        return tuple(found)

    @functools.cached_property
    def updated_columns(self) -> tuple[tuple[str, str], ...]:
        """``(body field, column)`` that ``update`` sets (``merged`` ones excluded)."""
        names = self.updatable if self.updatable is not None else tuple(self.fields)
        column_of = dict((key, column) for key, column in self.sources if column)
        return tuple((name, column_of.get(name, name)) for name in names if name not in self.merged)

    def filtered(self, name: str) -> ColumnElement[Any]:
        """What filter ``name`` compares: its ``columns`` expression, else the column."""
        return self.columns[name] if name in self.columns else self.table.c[name]

    def where(self, no_org: bool) -> list[ColumnElement[bool]]:
        column = self.table.c[self.owner]
        return [column.is_(None) if no_org else column == bindparam("org")]

    def from_(self) -> Any:
        joined: Any = self.table
        for other, on in self.joins:
            joined = joined.join(other, on)
        return joined

    def records(self, statement: Select[Any]) -> Prepared:
        return Prepared(
            statement,
            record=self.keys,
            defaults=self.defaults,
            bound={self.owner_key: "org"} if self.owner_key in self.keys else None,
        )


# Statement builders, once per resource and shape (a Resource is hashable: by identity).
@functools.cache
def _get(resource: Resource, no_org: bool) -> Prepared:
    where = [*resource.where(no_org), resource.table.c.id == bindparam("row_id")]
    return resource.records(select(*resource.selected).select_from(resource.from_()).where(*where))


@functools.cache
def _page(
    resource: Resource, no_org: bool, sort: str, order: str, search: bool, filters: tuple[str, ...]
) -> tuple[Prepared, Prepared]:
    """``(count, page)`` of one shape of list query; values are bound at execution.

    The page's rows end with the count (``total``): an uncorrelated scalar subquery, which
    SQLite and PostgreSQL compute once per statement, so a page and its total are one
    statement from one snapshot. ``count`` is for a page past the end (no row to carry it).
    """
    table = resource.table
    where = resource.where(no_org)
    if search:
        pattern: BindParameter[str] = bindparam("pattern")
        where.append(
            or_(*(func.lower(table.c[name]).like(pattern, escape="\\") for name in resource.search))
        )
    where.extend(resource.filtered(name) == bindparam(name) for name in filters)
    column: Column[Any] = table.c[sort]
    tie = table.c.id.asc() if resource.tie_ascending or order == "asc" else table.c.id.desc()
    count = select(func.count()).select_from(table).where(*where)
    page = (
        select(*resource.selected, count.scalar_subquery().label("total"))
        .select_from(resource.from_())
        .where(*where)
        .order_by(column.asc() if order == "asc" else column.desc(), tie)
        .offset(bindparam("offset", type_=Integer))
        .limit(bindparam("limit", type_=Integer))
    )
    return Prepared(count), resource.records(page)


@functools.cache
def _writes(resource: Resource) -> tuple[Prepared, Prepared, Prepared]:
    """``(insert, update, delete)``; update and delete match ``row_id``."""
    table = resource.table
    return (
        Prepared(insert(table)),
        Prepared(update(table).where(table.c.id == bindparam("row_id"))),
        Prepared(delete(table).where(table.c.id == bindparam("row_id"))),
    )


async def read_page(
    database: Database, page: Prepared, count: Prepared, params: Mapping[str, Any]
) -> tuple[list[dict[str, Any]], int]:
    """``(items, total)`` of a ``page`` statement whose records carry the total as their last
    column (a scalar subquery): one statement. Only a page past the end, which has no row to
    carry it, runs ``count`` (a first page with no rows is an empty collection: 0)."""
    items, rest = await database.records(page, params)
    if items:
        return items, int(rest[0])
    if not params.get("offset"):
        return [], 0
    return [], int((await database.rows(count, params))[0][0])


def like_pattern(search: str) -> str:
    """A case-insensitive ``LIKE`` pattern for ``search``, its wildcards taken literally."""
    escaped = search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class TableStore:
    """The rows of one :class:`Resource` in one database; subclasses set ``resource``.

    ``webhooks``: the service whose events each write records (``Resource.events``); ``None``:
    no events.
    """

    resource: ClassVar[Resource]

    def __init__(self, database: Database, webhooks: WebhookService | None = None) -> None:
        self.database = database
        self.webhooks = webhooks

    async def get(self, organization_id: str | None, row_id: str) -> dict[str, Any]:
        """The row as a response shows it; ``NotFound`` outside ``organization_id``."""
        params = {"org": organization_id, "row_id": row_id}
        records, _ = await self.database.records(
            _get(self.resource, organization_id is None), params
        )
        if not records:
            raise self.not_found(row_id)
        return records[0]

    async def page(
        self,
        organization_id: str | None,
        page: PageRequest,
        *,
        sort: str | None = None,
        order: str | None = None,
        search: str | None = None,
        **filters: Any,
    ) -> tuple[list[dict[str, Any]], int]:
        """``(items, total)`` of one page: one statement (the total rides on every row).

        An unknown ``sort`` is the default one; ``filters`` left ``None`` (or empty) are not
        applied. The search is a substring of any ``search`` column, case-insensitive.
        """
        resource = self.resource
        if sort not in resource.sortable or sort not in resource.table.c:
            sort = resource.default_sort
        order = order if order in ("asc", "desc") else resource.default_order
        params: dict[str, Any] = {
            "org": organization_id,
            "offset": page.offset,
            "limit": page.per_page,
        }
        if search:
            params["pattern"] = like_pattern(search)
        applied: tuple[str, ...] = ()
        if filters:
            applied = tuple(name for name in resource.filters if filters.get(name))
            for name in applied:
                params[name] = filters[name]
        count, query = _page(resource, organization_id is None, sort, order, bool(search), applied)
        return await read_page(self.database, query, count, params)

    async def create(
        self,
        organization_id: str | None,
        data: Mapping[str, Any],
        *,
        extra: Mapping[str, Any] | None = None,
        **columns: Any,
    ) -> dict[str, Any]:
        """Insert a row of ``data``'s ``fields`` (defaults filled in), ``columns`` (values the
        body does not give: ``created_by``..., or an ``id`` made beforehand) and a new id; the
        new row as a response shows it. ``extra``: the values of keys that only reads compute
        (a joined name, a count)."""
        resource = self.resource
        now = utcnow()
        values: dict[str, Any] = {"id": new_id(resource.id_prefix), resource.owner: organization_id}
        for name, default in resource.fields.items():
            if default is REQUIRED:
                values[name] = data[name]
            elif callable(default):
                values[name] = data.get(name) or default()
            else:
                values[name] = data.get(name, default)
        values.update(columns)
        values["created_at"] = now
        if resource.stamps_updates:
            values["updated_at"] = now
        stamp = rfc3339(now)
        record = self._record(values, organization_id, stamp, stamp, extra)
        await self.write(
            [(_writes(resource)[0], values)], "created", record, organization_id=organization_id
        )
        return record

    async def update(
        self,
        organization_id: str | None,
        row_id: str,
        data: Mapping[str, Any],
        **columns: Any,
    ) -> dict[str, Any]:
        """Set ``data``'s updatable fields (``merged`` ones merged into the stored object) and
        ``columns``; the row as a response shows it."""
        current = await self.get(organization_id, row_id)
        return await self.update_record(current, data, organization_id=organization_id, **columns)

    async def update_record(
        self,
        current: dict[str, Any],
        data: Mapping[str, Any],
        *,
        organization_id: str | None = None,
        **columns: Any,
    ) -> dict[str, Any]:
        """:meth:`update` of a row just read (``current``, a record :meth:`get` returned);
        ``organization_id``: its organisation, for the event when the record does not show it."""
        resource = self.resource
        values: dict[str, Any] = {
            column: data[name] for name, column in resource.updated_columns if name in data
        }
        for name in resource.merged:
            if name in data:
                values[name] = {**(current[name] or {}), **(data[name] or {})}
        values.update(columns)
        now = utcnow()
        record = dict(current)
        for key, column in resource.sources:
            if column is not None and column in values:
                record[key] = values[column]
        if "updated_at" in record:
            record["updated_at"] = rfc3339(now)
        if resource.stamps_updates:
            values["updated_at"] = now
        values["row_id"] = current["id"]
        await self.write(
            [(_writes(resource)[1], values)], "updated", record, organization_id=organization_id
        )
        return record

    async def delete(self, organization_id: str | None, row_id: str) -> dict[str, Any]:
        """Delete the row; what it was."""
        record = await self.get(organization_id, row_id)
        await self.delete_record(record, organization_id=organization_id)
        return record

    async def delete_record(
        self, record: dict[str, Any], *, organization_id: str | None = None
    ) -> None:
        """:meth:`delete` of a row just read (a record :meth:`get` returned)."""
        writes: list[Write] = [(_writes(self.resource)[2], {"row_id": record["id"]})]
        await self.write(writes, "deleted", record, organization_id=organization_id)

    async def write(
        self,
        writes: list[Write],
        change: str,
        record: dict[str, Any],
        *,
        organization_id: str | None = None,
    ) -> None:
        """``writes`` in one transaction, with the ``<name>.<change>`` event when the resource
        has events; the event's organisation is :meth:`event`'s, else ``organization_id`` (the
        write's, for a resource whose records do not show it). A unique key's refusal is
        :meth:`conflict`'s error when it gives one."""
        try:
            if not self.resource.events:
                await self.database.write(writes)
                return
            data, shown, project_id = self.event(record)
            await write_with_event(
                self.database,
                self.webhooks,
                writes,
                f"{self.resource.name}.{change}",
                data,
                organization_id=shown if shown is not None else organization_id,
                project_id=project_id,
            )
        except IntegrityError as exc:
            conflict = self.conflict(record)
            if conflict is None:
                raise
            raise conflict from exc

    def conflict(self, record: dict[str, Any]) -> APIError | None:
        """The error of a write of ``record`` a unique key refused (a 409 naming the field,
        say); ``None`` (the default): the ``IntegrityError`` propagates."""
        return None

    def event(self, record: dict[str, Any]) -> tuple[dict[str, Any], str | None, str | None]:
        """``(payload, organisation, project)`` of a write's event: by default
        ``{name: record}``, the record's organisation and no project."""
        return {self.resource.name: record}, record.get(self.resource.owner_key), None

    def not_found(self, row_id: str) -> NotFound:
        resource = self.resource
        return NotFound(
            f"{resource.label} {row_id} not found",
            details={"resource_type": resource.name, "resource_id": row_id},
        )

    def _record(
        self,
        values: Mapping[str, Any],
        organization_id: str | None,
        created_at: str | None,
        updated_at: str | None,
        extra: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        """The response of a row just written from ``values`` (column -> value)."""
        resource = self.resource
        record: dict[str, Any] = {}
        for key, column in resource.sources:
            if column is not None:
                value = values[column]
                if value is None and key in resource.defaults:
                    value = resource.defaults[key]()
                record[key] = value
            elif key == resource.owner_key:
                record[key] = organization_id
            elif key == "created_at":
                record[key] = created_at
            elif key == "updated_at":
                record[key] = updated_at
            else:
                record[key] = extra[key] if extra is not None else None
        return record
