"""``Prepared``: a Core statement compiled once, run straight on the in-loop SQLite connection.

SQLAlchemy spends about 85 µs of Python on each execution of an already-cached statement
(cache key, parameter processing, execution context, result object), where ``sqlite3`` itself
takes 12-20 µs. On the request path of the in-loop SQLite driver that is most of a read's cost.
A ``Prepared`` statement is compiled by SQLAlchemy once per parameter shape; each execution then
applies the same type processors SQLAlchemy would (``TypeEngine.bind_processor`` /
``result_processor`` of the dialect's types), calls the cursor, and returns rows with the same
attribute access as ``Row``. It fires ``before_cursor_execute`` / ``after_cursor_execute`` like
SQLAlchemy does (``context`` is ``None``), and wraps ``sqlite3`` errors the same way
(``sqlalchemy.exc.DBAPIError.instance``).

Anything else takes SQLAlchemy's own path: another dialect (PostgreSQL), an ORM ``Session``, a
connection without the ``NO_AWAIT`` option (``Database.read`` and ``Database.transaction`` set
it), and statements the fast path does not cover (expanding ``IN`` parameters, Python-side
column defaults left for SQLAlchemy to fill).
"""

from __future__ import annotations

import collections
import itertools
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exc
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql import Delete, Insert, Select, Update
from sqlalchemy.sql.compiler import SQLCompiler

from specway.storage.sqlite_inloop import DRIVER, NO_AWAIT

Processor = Callable[[Any], Any] | None
Statement = Select[Any] | Insert | Update | Delete
_counter = itertools.count()


@dataclass(frozen=True, slots=True)
class _Plan:
    sql: str
    names: tuple[str, ...]
    binds: tuple[Processor, ...]
    defaults: tuple[Any, ...]  # a bound value written into the statement, else _MISSING
    convert: Callable[[list[Any]], list[Any]]  # a SELECT's fetched tuples -> its rows


_MISSING: Any = object()


class Prepared:
    """A SELECT, INSERT, UPDATE or DELETE built once; see the module docstring."""

    def __init__(self, statement: Statement) -> None:
        self.statement = statement
        self._is_select = isinstance(statement, Select)
        # Per engine's dialect (its type processors are its own, e.g. its JSON serializer),
        # then per parameter shape; an engine disposed of and collected drops its plans.
        self._plans: weakref.WeakKeyDictionary[Dialect, dict[Any, _Plan | None]] = (
            weakref.WeakKeyDictionary()
        )

    def rows(self, db: Connection | Session, params: Mapping[str, Any]) -> Sequence[Any]:
        """The rows of a SELECT: tuples with the selected columns' names as attributes."""
        connection = _direct(db)
        plan = self._plan(connection, params) if connection is not None else None
        if plan is None or connection is None:
            return db.execute(self.statement, params).all()
        return plan.convert(self._execute(connection, plan, params, many=False).fetchall())

    def run(self, db: Connection | Session, params: Mapping[str, Any] | list[Any]) -> None:
        """Execute a DML statement once, or once per mapping of a non-empty list."""
        many = isinstance(params, list)
        first: Mapping[str, Any] = params[0] if isinstance(params, list) else params
        connection = _direct(db)
        plan = self._plan(connection, first) if connection is not None else None
        if plan is None or connection is None:
            db.execute(self.statement, params)
            return
        self._execute(connection, plan, params, many=many)

    def _plan(self, connection: Connection, params: Mapping[str, Any]) -> _Plan | None:
        is_select = self._is_select
        key = None if is_select else frozenset(params)
        dialect = connection.dialect
        plans = self._plans.get(dialect)
        if plans is None:
            plans = self._plans[dialect] = {}
        try:
            return plans[key]
        except KeyError:
            plan = plans[key] = _compile(self.statement, dialect, None if is_select else key)
            return plan

    @staticmethod
    def _execute(connection: Connection, plan: _Plan, params: Any, *, many: bool) -> Any:
        positional: Any = (
            [_positional(plan, p) for p in params] if many else _positional(plan, params)
        )
        raw = connection.connection.driver_connection
        assert raw is not None
        cursor = raw.cursor()
        dispatch = connection.dispatch
        if dispatch.before_cursor_execute:
            dispatch.before_cursor_execute(connection, cursor, plan.sql, positional, None, many)
        try:
            if many:
                cursor.executemany(plan.sql, positional)
            else:
                cursor.execute(plan.sql, positional)
        except connection.dialect.loaded_dbapi.Error as error:
            raise dbapi_error(connection.dialect, plan.sql, positional, error) from error
        if dispatch.after_cursor_execute:
            dispatch.after_cursor_execute(connection, cursor, plan.sql, positional, None, many)
        return cursor


def dbapi_error(dialect: Dialect, sql: str, params: Any, error: Exception) -> exc.StatementError:
    """A DBAPI error raised by a raw cursor, wrapped as SQLAlchemy's own execute would wrap it.

    Parameters are hidden: values may be secrets (SQLAlchemy's own errors show them).
    """
    return exc.DBAPIError.instance(
        sql, params, error, dialect.loaded_dbapi.Error, hide_parameters=True, dialect=dialect
    )


def _direct(db: Connection | Session) -> Connection | None:
    """``db`` when the fast path may use it: an in-loop SQLite connection marked NO_AWAIT."""
    if (
        isinstance(db, Connection)
        and db.dialect.driver == DRIVER
        and db.get_execution_options().get(NO_AWAIT)
    ):
        return db
    return None


def _positional(plan: _Plan, params: Mapping[str, Any]) -> tuple[Any, ...]:
    values = []
    for name, process, default in zip(plan.names, plan.binds, plan.defaults, strict=True):
        value = params[name] if default is _MISSING else params.get(name, default)
        values.append(value if process is None else process(value))
    return tuple(values)


def _compile(statement: Statement, dialect: Dialect, keys: frozenset[str] | None) -> _Plan | None:
    compiled = statement.compile(dialect=dialect, column_keys=sorted(keys) if keys else None)
    assert isinstance(compiled, SQLCompiler)
    if compiled.positiontup is None or getattr(compiled, "insert_prefetch", None):
        return None  # named parameters, or Python-side defaults SQLAlchemy must compute
    names = tuple(compiled.positiontup)
    binds: list[Processor] = []
    defaults: list[Any] = []
    for name in names:
        bind = compiled.binds[name]
        if bind.expanding or bind.callable is not None:
            return None
        binds.append(bind.type.dialect_impl(dialect).bind_processor(dialect))
        supplied = keys is not None and name in keys
        defaults.append(_MISSING if bind.value is None or supplied else bind.value)
    results: list[Processor] = []
    fields: list[str] = []
    if isinstance(statement, Select):
        for column in statement.selected_columns:
            results.append(column.type.dialect_impl(dialect).result_processor(dialect, None))
            fields.append(str(column.key))
    row = collections.namedtuple(f"Row{next(_counter)}", fields or ["_"], rename=True)  # type: ignore[misc]
    return _Plan(compiled.string, names, tuple(binds), tuple(defaults), _converter(row, results))


def _converter(row: Any, results: list[Processor]) -> Callable[[list[Any]], list[Any]]:
    """A function turning fetched tuples into ``row`` tuples, the processors applied inline.

    Generated per statement (as ``collections.namedtuple`` generates its ``__new__``): one
    comprehension with the columns unpacked by name and each processor called directly costs
    about half of a generic loop zipping every value with its processor.
    """
    if not any(results):
        return lambda fetched: [_new(row, values) for values in fetched]
    columns = [f"c{i}" for i in range(len(results))]
    values = [
        column if process is None else f"p{i}({column})"
        for i, (column, process) in enumerate(zip(columns, results, strict=True))
    ]
    namespace: dict[str, Any] = {"_new": _new, "_row": row}
    namespace.update({f"p{i}": p for i, p in enumerate(results) if p is not None})
    source = (
        f"def convert(fetched):\n"
        f"    return [_new(_row, ({', '.join(values)},)) for {', '.join(columns)}, in fetched]\n"
    )
    exec(source, namespace)  # noqa: S102 - the source holds generated names only
    convert: Callable[[list[Any]], list[Any]] = namespace["convert"]
    return convert


_new = tuple.__new__
