"""Export an environment as a .env file and import one into it (seed 004), on the store path.

:class:`DotenvStore` is the variable store with the two transfers: an export is one read (the
environment, its project's name and its variables, one row per variable), an import one read
of the same and one transaction that writes every new and changed variable with its
``variable.created`` / ``variable.updated`` event (one executemany per kind, one outbox
write), so a thousand variables cost a few statements, not a round per line.

Import applies every good line and reports every bad one: the summary counts exactly what
happened (``imported`` new keys, ``updated`` changed values, ``unchanged`` identical ones,
``failed`` lines), and ``failed_imports`` names each failed line and why, without ever quoting
a value.

Limits (a hostile upload costs bounded work and gets a bounded answer): 1 MiB per file (413),
at most :data:`MAX_IMPORT_VARIABLES` variables (413) and :data:`MAX_IMPORT_FAILED_LINES`
unreadable lines (400); past either nothing is imported. The file is read in a worker thread,
so a large one does not hold up the event loop's other requests.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from handlers.models import Project
from handlers.models_platform import Environment, Variable
from handlers.services.envfile import (
    DotenvLimitExceeded,
    LineError,
    ParsedDotenv,
    parse_dotenv,
    render_dotenv,
)
from handlers.services.environments import EnvironmentStore
from handlers.services.variables import MAX_VALUE_LENGTH, VariableStore, open_value, value_problem
from specway.errors import BadRequest, Conflict, PayloadTooLarge
from specway.ids import as_utc, new_id, utcnow
from specway.plugins.webhooks.outbox import payload_ok, write_events
from specway.storage.prepared import Prepared

logger = logging.getLogger("handlers.transfer")

MAX_IMPORT_BYTES = 1024 * 1024
MAX_IMPORT_VARIABLES = 1000
MAX_IMPORT_FAILED_LINES = 100

_ENVIRONMENTS: Table = Environment.__table__  # type: ignore[assignment]
_PROJECTS: Table = Project.__table__  # type: ignore[assignment]
_VARIABLES: Table = Variable.__table__  # type: ignore[assignment]
_INSERT_VARIABLES = Prepared(insert(_VARIABLES))
_RESEAL_VARIABLES = Prepared(update(_VARIABLES).where(_VARIABLES.c.id == bindparam("row_id")))


@functools.cache
def _contents(no_org: bool) -> Prepared:
    """An environment of the organisation (``org``) by id (``row_id``): its name and its
    project's, and its variables sorted by key, one row each (one row of ``NULL`` variable
    columns when it has none; no row when it is not the organisation's)."""
    env, variables = _ENVIRONMENTS, _VARIABLES
    owner = env.c.organization_id
    return Prepared(
        select(
            env.c.name,
            _PROJECTS.c.name.label("project_name"),
            variables.c.id.label("variable_id"),
            variables.c.key,
            variables.c.value_ciphertext,
            variables.c.key_id,
        )
        .select_from(
            env.join(_PROJECTS, _PROJECTS.c.id == env.c.project_id).outerjoin(
                variables, variables.c.environment_id == env.c.id
            )
        )
        .where(owner.is_(None) if no_org else owner == bindparam("org"))
        .where(env.c.id == bindparam("row_id"))
        .order_by(variables.c.key)
    )


@dataclass(frozen=True, slots=True)
class EnvironmentContents:
    """What an export or an import reads: the environment's and its project's names, and its
    stored variables by key (sealed: ``variable_id``, ``key``, ``value_ciphertext``,
    ``key_id``), sorted by key."""

    name: str
    project_name: str
    variables: Sequence[Any]


def decode_upload(raw: bytes) -> str:
    """The text of an uploaded file: 413 over 1 MiB, 400 unless UTF-8."""
    if len(raw) > MAX_IMPORT_BYTES:
        raise PayloadTooLarge(
            f"The file exceeds {MAX_IMPORT_BYTES} bytes", details={"max_bytes": MAX_IMPORT_BYTES}
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(
            f"The file is not UTF-8 text (invalid byte at offset {exc.start})",
            details=[{"field": "file", "in": "body", "reason": "not UTF-8"}],
        ) from None


async def read_upload(text: str) -> ParsedDotenv:
    """``text`` parsed in a worker thread; 413 past the variables cap, 400 past the failed
    lines cap (such a file is not a .env file, and its error list would be unbounded)."""
    try:
        return await asyncio.to_thread(
            parse_dotenv,
            text,
            max_entries=MAX_IMPORT_VARIABLES,
            max_errors=MAX_IMPORT_FAILED_LINES,
            max_value_length=MAX_VALUE_LENGTH,
        )
    except DotenvLimitExceeded as exc:
        if exc.what == "variables":
            raise PayloadTooLarge(
                f"The file sets more than {exc.limit} variables; nothing was imported",
                details={"max_variables": exc.limit, "line": exc.line},
            ) from None
        raise BadRequest(
            f"The file has more than {exc.limit} unreadable lines (is it a .env file?); "
            "nothing was imported",
            details=[
                {
                    "field": "file",
                    "in": "body",
                    "reason": f"more than {exc.limit} unreadable lines by line {exc.line}",
                }
            ],
        ) from None


@dataclass(slots=True)
class ImportReport:
    """What an import did, line by line."""

    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    failures: list[LineError] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        failed = len(self.failures)
        total = self.imported + self.updated + self.unchanged + failed
        if failed:
            message = f"Import completed with {failed} failed line{'s' if failed != 1 else ''}"
        else:
            message = "Import completed successfully"
        return {
            "message": message,
            "summary": {
                "imported": self.imported,
                "updated": self.updated,
                "unchanged": self.unchanged,
                "failed": failed,
                "total_variables": total,
            },
            "failed_imports": [
                {"line": f.line, "key": f.key, "reason": f.reason}
                for f in sorted(self.failures, key=lambda f: f.line)
            ]
            or None,
        }


class DotenvStore(VariableStore):
    """:class:`VariableStore` with an environment's variables as one .env document: export
    (values opened with the store's box) and import (values sealed, events with key names
    only). The environment is one of the actor's organisation (404 otherwise)."""

    async def contents(self, environment_id: str) -> EnvironmentContents:
        """The environment's names and its sealed variables, in one statement."""
        organization_id = self.actor.organization_id
        rows = await self.database.rows(
            _contents(organization_id is None), {"org": organization_id, "row_id": environment_id}
        )
        if not rows:
            raise EnvironmentStore(self.database).not_found(environment_id)
        first = rows[0]
        return EnvironmentContents(
            first.name, first.project_name, rows if first.variable_id is not None else ()
        )

    async def export(
        self, environment_id: str, *, generator: str, organization: str, now: datetime
    ) -> tuple[str, str]:
        """``(the environment's name, its variables as a .env document)``: keys in order,
        under the seed's header."""
        found = await self.contents(environment_id)
        header = (
            f"Generated by {generator} - Environment: {found.name}",
            f"Project: {found.project_name}",
            f"Organization: {organization}",
            f"Generated on: {as_utc(now).strftime('%Y-%m-%d %H:%M:%S')} UTC",
        )
        box = self.box
        values = (
            (row.key, open_value(box, row.value_ciphertext, row.variable_id, row.key_id))
            for row in found.variables
        )
        return found.name, render_dotenv(values, header)

    async def import_text(self, environment_id: str, text: str) -> ImportReport:
        """Create or overwrite the environment's variables from a .env document: every good
        line in one transaction with its event; a key another writer added meanwhile is a
        409 and nothing is imported."""
        found = await self.contents(environment_id)  # a foreign environment: 404, file unread
        parsed = await read_upload(text)
        report = ImportReport(failures=list(parsed.errors))
        last_line = {entry.key: entry.line for entry in parsed.entries}
        existing = {row.key: row for row in found.variables}
        box, actor = self.box, self.actor
        now = utcnow()
        created: list[dict[str, Any]] = []
        resealed: list[dict[str, Any]] = []
        events: list[tuple[str, dict[str, Any]]] = []
        for entry in parsed.entries:
            key, value = entry.key, entry.value
            if last_line[key] != entry.line:
                reason = f"duplicate key; line {last_line[key]} sets it"
                report.failures.append(LineError(entry.line, key, reason))
                continue
            problem = value_problem(value)
            if problem:
                report.failures.append(LineError(entry.line, key, problem))
                continue
            current = existing.get(key)
            if current is None:
                variable_id = new_id("var")
                created.append(
                    {
                        "id": variable_id,
                        "organization_id": actor.organization_id,
                        "environment_id": environment_id,
                        "key": key,
                        "value_ciphertext": box.seal(value, variable_id),
                        "key_id": box.current_key_id,
                        "created_by": actor.id,
                        "created_by_name": actor.name,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                change = "variable.created"
                report.imported += 1
            else:
                variable_id = current.variable_id
                if open_value(box, current.value_ciphertext, variable_id, current.key_id) == value:
                    report.unchanged += 1
                    continue
                resealed.append(
                    {
                        "row_id": variable_id,
                        "value_ciphertext": box.seal(value, variable_id),
                        "key_id": box.current_key_id,
                        "updated_at": now,
                    }
                )
                change = "variable.updated"
                report.updated += 1
            record = {"id": variable_id, "key": key, "environment": environment_id}
            events.append((change, self.event(record)[0]))
        if events:
            await self._write_import(created, resealed, events)
        return report

    async def _write_import(
        self,
        created: list[dict[str, Any]],
        resealed: list[dict[str, Any]],
        events: list[tuple[str, dict[str, Any]]],
    ) -> None:
        """The new and changed variables and their events' outbox rows, in one transaction:
        one executemany per kind, one endpoint read and one insert of each outbox row kind."""
        service = self.webhooks
        organization_id = self.actor.organization_id
        recorded = [] if service is None else [e for e in events if payload_ok(service, *e)]

        def work(connection: Connection) -> bool:
            if created:
                _INSERT_VARIABLES.run(connection, created)
            if resealed:
                _RESEAL_VARIABLES.run(connection, resealed)
            if service is None or not recorded:
                return False
            return write_events(connection, service, recorded, organization_id, None, None)[1]

        try:
            queued = await self.database.transaction(work)
        except IntegrityError as exc:
            raise Conflict(
                "The environment's variables changed during the import; nothing was imported, retry"
            ) from exc
        if queued and service is not None:
            service.notify()
