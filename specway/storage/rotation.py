"""Re-seal every secret at rest with the current key (``specway secrets rotate-key``).

Secrets live in plain columns holding :class:`~specway.crypto.SecretBox` tokens sealed with their
row id as associated data. :data:`SEALED_COLUMNS` lists them; a plugin or module that stores
sealed values adds its column there. Rows are walked in id order, in batches, each batch in its
own transaction; a row is written back only if its token is still the one that was read, so a
value changed by a live server during the rotation is left alone (the server sealed it with the
current key already).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from specway.crypto import DecryptionError, SecretBox
from specway.storage.database import Database

logger = logging.getLogger("specway.storage.rotation")


@dataclass(frozen=True, slots=True)
class SealedColumn:
    """A column of sealed tokens: ``table.value_column``, keyed by ``id_column``.

    ``key_id_column``, when set, holds the id of the sealing key beside the token and is kept
    up to date.
    """

    table: str
    value_column: str
    id_column: str = "id"
    key_id_column: str | None = None
    # Associated data is ``associated_prefix + row id`` (webhook secrets use "webhook:").
    associated_prefix: str = ""


SEALED_COLUMNS: list[SealedColumn] = [
    SealedColumn("variables", "value_ciphertext", key_id_column="key_id"),
    SealedColumn("webhook_endpoints", "secret", associated_prefix="webhook:"),
    SealedColumn("webhook_endpoints", "previous_secret", associated_prefix="webhook:"),
]


@dataclass(slots=True)
class RotationReport:
    """What a rotation did to one column. Ids of unreadable rows, never their values."""

    column: SealedColumn
    present: bool = True
    scanned: int = 0
    rotated: int = 0
    current: int = 0
    changed_meanwhile: int = 0
    unreadable: list[str] = field(default_factory=list)


def _has_table(connection: Connection, name: str) -> bool:
    return bool(sa.inspect(connection).has_table(name))


async def rotate_column(
    database: Database,
    box: SecretBox,
    column: SealedColumn,
    *,
    batch_size: int = 500,
    dry_run: bool = False,
) -> RotationReport:
    """Re-seal every token of ``column`` that another key sealed."""
    report = RotationReport(column)
    async with database.engine.connect() as conn:
        report.present = await conn.run_sync(_has_table, column.table)
    if not report.present:
        return report
    columns: list[sa.ColumnClause[Any]] = [
        sa.column(column.id_column),
        sa.column(column.value_column),
    ]
    if column.key_id_column:
        columns.append(sa.column(column.key_id_column))
    table = sa.table(column.table, *columns)
    row_id, token_col = table.c[column.id_column], table.c[column.value_column]
    last_id: str | None = None
    while True:
        # An ORM session is fine here: only the CLI (``specway secrets rotate-key``) runs
        # this, never a request (issue 32 keeps sessions off the request path).
        async with database.session() as session, session.begin():
            query = sa.select(row_id, token_col).order_by(row_id).limit(batch_size)
            if last_id is not None:
                query = query.where(row_id > last_id)
            rows = (await session.execute(query)).all()
            if not rows:
                return report
            for ident, token in rows:
                if token is None:
                    continue
                await _rotate_row(session, box, table, column, report, str(ident), token, dry_run)
            last_id = str(rows[-1][0])


async def _rotate_row(
    session: AsyncSession,
    box: SecretBox,
    table: sa.TableClause,
    column: SealedColumn,
    report: RotationReport,
    ident: str,
    token: str,
    dry_run: bool,
) -> None:
    report.scanned += 1
    if not box.needs_rotation(token):
        report.current += 1
        return
    try:
        resealed = box.rotate(token, column.associated_prefix + ident)
    except DecryptionError:
        logger.error("%s %s: no configured key opens its value", column.table, ident)
        report.unreadable.append(ident)
        return
    if dry_run:
        report.rotated += 1
        return
    values = {column.value_column: resealed}
    if column.key_id_column:
        values[column.key_id_column] = box.current_key_id
    result = await session.execute(
        sa.update(table)
        .where(table.c[column.id_column] == ident, table.c[column.value_column] == token)
        .values(values)
    )
    if getattr(result, "rowcount", 0) == 1:
        report.rotated += 1
    else:
        report.changed_meanwhile += 1


async def rotate_all(
    database: Database,
    box: SecretBox,
    columns: list[SealedColumn] | None = None,
    *,
    batch_size: int = 500,
    dry_run: bool = False,
) -> list[RotationReport]:
    """:func:`rotate_column` over every sealed column (default :data:`SEALED_COLUMNS`)."""
    return [
        await rotate_column(database, box, column, batch_size=batch_size, dry_run=dry_run)
        for column in (SEALED_COLUMNS if columns is None else columns)
    ]
