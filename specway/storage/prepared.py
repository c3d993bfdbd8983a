"""``Prepared``: a Core statement compiled once, run straight on the in-loop SQLite connection.

SQLAlchemy spends about 85 µs of Python on each execution of an already-cached statement
(cache key, parameter processing, execution context, result object), where ``sqlite3`` itself
takes 12-20 µs. On the request path of the in-loop SQLite driver that is most of a read's cost.
A ``Prepared`` statement is compiled by SQLAlchemy once per parameter shape; each execution then
applies the same type processors SQLAlchemy would (``TypeEngine.bind_processor`` /
``result_processor`` of the dialect's types), calls the cursor, and returns rows with the same
attribute access as ``Row`` (``rows``), or dicts ready for a response (``records``). It fires
``before_cursor_execute`` / ``after_cursor_execute`` like SQLAlchemy does (``context`` is
``None``), and wraps ``sqlite3`` errors the same way (``sqlalchemy.exc.DBAPIError.instance``).

Anything else takes SQLAlchemy's own path: another dialect (PostgreSQL), an ORM ``Session``, a
connection without the ``NO_AWAIT`` option (``Database.read`` and ``Database.transaction`` set
it), and statements the fast path does not cover (expanding ``IN`` parameters, Python-side
column defaults left for SQLAlchemy to fill).
"""

from __future__ import annotations

import collections
import itertools
import json
import sqlite3
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exc
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql import Delete, Insert, Select, Update, sqltypes
from sqlalchemy.sql.compiler import SQLCompiler

from specway import compat
from specway.storage.sqlite_inloop import DRIVER, FAST, NO_AWAIT
from specway.storage.sqltime import from_sqlite_text

Processor = Callable[[Any], Any] | None
Records = tuple[list[dict[str, Any]], tuple[Any, ...]]
Converter = Callable[[Sequence[Sequence[Any]], Mapping[str, Any]], Records]
Statement = Select[Any] | Insert | Update | Delete
_counter = itertools.count()


@dataclass(frozen=True, slots=True)
class Plan:
    sql: str
    convert: Callable[[list[Any]], list[Any]]  # a SELECT's fetched tuples -> its rows
    records: Converter | None  # a SELECT's fetched tuples -> (dicts, first row's rest)
    positional: Callable[[Mapping[str, Any]], tuple[Any, ...]]  # params -> the cursor's tuple


_MISSING: Any = object()  # a parameter with no value written into the statement


class Prepared:
    """A SELECT, INSERT, UPDATE or DELETE built once; see the module docstring.

    ``record``: for :meth:`records`, the keys of each record dict, in order. Each is a selected
    column's key, except those in ``bound``, and the columns come first in the SELECT, in the
    same order. ``bound``: a record key whose value is a statement parameter, not a column
    (e.g. the organisation a WHERE clause pins every row to: one value fewer to fetch per row).
    ``defaults``: a record's value that is ``None`` is replaced with ``defaults[key]()``
    (e.g. ``dict`` for a JSON object column).
    """

    def __init__(
        self,
        statement: Statement,
        *,
        record: Sequence[str] = (),
        defaults: Mapping[str, Callable[[], Any]] | None = None,
        bound: Mapping[str, str] | None = None,
    ) -> None:
        self.statement = statement
        self._is_select = isinstance(statement, Select)
        self._record = _RecordShape.of(statement, record, defaults or {}, bound or {})
        # The converter for rows SQLAlchemy's own path returned (values already processed).
        self._processed_records: Converter | None = None
        # Per engine's dialect (its type processors are its own, e.g. its JSON serializer),
        # then per parameter shape; an engine disposed of and collected drops its plans.
        self._plans: weakref.WeakKeyDictionary[Dialect, dict[Any, Plan | None]] = (
            weakref.WeakKeyDictionary()
        )
        # The last dialect's plans, found without WeakKeyDictionary's new weak reference.
        self._last: tuple[weakref.ref[Dialect], dict[Any, Plan | None]] | None = None

    def rows(self, db: Connection | Session, params: Mapping[str, Any]) -> Sequence[Any]:
        """The rows of a SELECT: tuples with the selected columns' names as attributes."""
        fast = self._fast(db, params)
        if fast is None:
            return db.execute(self.statement, params).all()
        connection, plan = fast
        return plan.convert(self._execute(connection, plan, params, many=False).fetchall())

    def records(self, db: Connection | Session, params: Mapping[str, Any]) -> Records:
        """``(dicts, rest)``: each row's ``record`` columns as a dict, ready for a response, and
        the first row's remaining columns (``()`` when there is no row), e.g. a total that a
        scalar subquery put on every row.

        On the fast path the dicts are built straight from the fetched tuples, type processors
        inlined: no row objects and no second pass over the rows.
        """
        shape = self._record
        if shape is None:
            raise TypeError("records() needs a SELECT built with record=...")
        fast = self._fast(db, params)
        if fast is None:
            rows = db.execute(self.statement, params).all()
            if self._processed_records is None:
                self._processed_records = shape.converter([_Result(None)] * shape.width)
            return self._processed_records(rows, params)
        connection, plan = fast
        assert plan.records is not None  # compiled with this statement's record shape
        fetched = self._execute(connection, plan, params, many=False).fetchall()
        return plan.records(fetched, params)

    def run(self, db: Connection | Session, params: Mapping[str, Any] | list[Any]) -> None:
        """Execute a DML statement once, or once per mapping of a non-empty list."""
        many = isinstance(params, list)
        fast = self._fast(db, params[0] if isinstance(params, list) else params)
        if fast is None:
            db.execute(self.statement, params)
            return
        connection, plan = fast
        self._execute(connection, plan, params, many=many)

    def plan_for(self, dialect: Dialect, params: Mapping[str, Any]) -> Plan | None:
        """The compiled plan of this statement for ``dialect`` and ``params``' shape: its SQL,
        the parameters' positional tuple and the fetched rows' converters (``None``: not
        covered, run it through SQLAlchemy). ``specway.storage.pg_direct`` runs PostgreSQL's
        plans on asyncpg; SQLite's run on the in-loop connection (:meth:`rows`...)."""
        return self._plan_of(dialect, params)

    def _fast(
        self, db: Connection | Session, params: Mapping[str, Any]
    ) -> tuple[Connection, Plan] | None:
        """``db`` and the plan for ``params`` when the fast path covers them, else ``None``."""
        connection = _direct(db)
        if connection is None:
            return None
        plan = self._plan(connection, params)
        return None if plan is None else (connection, plan)

    def _plan(self, connection: Connection, params: Mapping[str, Any]) -> Plan | None:
        return self._plan_of(connection.dialect, params)

    def _plan_of(self, dialect: Dialect, params: Mapping[str, Any]) -> Plan | None:
        is_select = self._is_select
        key = None if is_select else frozenset(params)
        last = self._last
        plans: dict[Any, Plan | None]
        if last is not None and last[0]() is dialect:  # the usual case: one engine
            plans = last[1]
        else:
            plans = self._plans.setdefault(dialect, {})
            self._last = (weakref.ref(dialect), plans)
        try:
            return plans[key]
        except KeyError:
            plan = plans[key] = _compile(
                self.statement, dialect, None if is_select else key, self._record
            )
            return plan

    @staticmethod
    def _execute(connection: Connection, plan: Plan, params: Any, *, many: bool) -> Any:
        positional: Any = [plan.positional(p) for p in params] if many else plan.positional(params)
        raw = connection.connection.driver_connection
        assert raw is not None
        # A plain sqlite3 cursor (the driver's cursor class only adds what SQLAlchemy's own
        # result objects call), made by Connection.cursor itself: constructing sqlite3.Cursor
        # directly registers it with the connection without the periodic purge of dead
        # cursors, and the connection's list of them grows by one per statement, for good.
        cursor = _new_cursor(raw)
        events = compat.has_cursor_events(connection)
        dispatch = connection.dispatch
        if events and dispatch.before_cursor_execute:
            dispatch.before_cursor_execute(connection, cursor, plan.sql, positional, None, many)
        try:
            if many:
                cursor.executemany(plan.sql, positional)
            else:
                cursor.execute(plan.sql, positional)
        except connection.dialect.loaded_dbapi.Error as error:
            raise dbapi_error(connection.dialect, plan.sql, positional, error) from error
        if events and dispatch.after_cursor_execute:
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
    """``db`` when the fast path may use it: an in-loop SQLite connection marked NO_AWAIT
    and FAST (``Database`` sets both, FAST unless ``SPECWAY_FAST_PATHS=0``)."""
    if isinstance(db, Connection) and db.dialect.driver == DRIVER:
        options = db.get_execution_options()
        if not (options.get(NO_AWAIT) and options.get(FAST)):
            return None
        return db
    return None


def _positional_builder(
    names: tuple[str, ...], binds: tuple[Processor, ...], defaults: tuple[Any, ...]
) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    """A generated function: the parameters mapping -> the cursor's positional tuple.

    Each value is ``params[name]`` (or ``params.get(name, default)`` for a value written into
    the statement) through its bind processor, if the type has one.
    """
    namespace: dict[str, Any] = {}
    values = []
    for i, (name, process, default) in enumerate(zip(names, binds, defaults, strict=True)):
        if default is _MISSING:
            value = f"params[{name!r}]"
        else:
            namespace[f"d{i}"] = default
            value = f"params.get({name!r}, d{i})"
        if process is not None:
            namespace[f"b{i}"] = process
            value = f"b{i}({value})"
        values.append(value)
    source = f"def positional(params):\n    return ({''.join(f'{v}, ' for v in values)})\n"
    exec(source, namespace)  # noqa: S102 - the source holds generated names and repr'd keys
    positional: Callable[[Mapping[str, Any]], tuple[Any, ...]] = namespace["positional"]
    return positional


def _compile(
    statement: Statement,
    dialect: Dialect,
    keys: frozenset[str] | None,
    record: _RecordShape | None = None,
) -> Plan | None:
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
    results: list[_Result] = []
    fields: list[str] = []
    if isinstance(statement, Select):
        for column in statement.selected_columns:
            results.append(_Result.of(column.type.dialect_impl(dialect), dialect))
            fields.append(str(column.key))
    row = collections.namedtuple(f"Row{next(_counter)}", fields or ["_"], rename=True)  # type: ignore[misc]
    return Plan(
        compiled.string,
        _converter(row, results),
        record.converter(results) if record is not None else None,
        _positional_builder(names, tuple(binds), tuple(defaults)),
    )


def _converter(row: Any, results: list[_Result]) -> Callable[[list[Any]], list[Any]]:
    """A function turning fetched tuples into ``row`` tuples, the processors applied inline.

    Generated per statement (as ``collections.namedtuple`` generates its ``__new__``): one
    comprehension with the columns unpacked by name and each processor called directly costs
    about half of a generic loop zipping every value with its processor.
    """
    if not any(result.process for result in results):
        return lambda fetched: [_new(row, values) for values in fetched]
    columns = [f"c{i}" for i in range(len(results))]
    namespace: dict[str, Any] = {"_new": _new, "_row": row}
    values = [
        result.expression(f"p{i}", column, namespace)
        for i, (column, result) in enumerate(zip(columns, results, strict=True))
    ]
    source = (
        f"def convert(fetched):\n"
        f"    return [_new(_row, ({', '.join(values)},)) for {', '.join(columns)}, in fetched]\n"
    )
    exec(source, namespace)  # noqa: S102 - the source holds generated names only
    convert: Callable[[list[Any]], list[Any]] = namespace["convert"]
    return convert


@dataclass(frozen=True, slots=True)
class _Result:
    """How a fetched value becomes its column's Python value in a generated converter.

    ``process``: the type's result processor, as SQLAlchemy would call it (``None``: none).
    ``usual``: for the values a column nearly always holds, the same conversion as an inline
    expression that calls no processor, falling back to ``process`` for anything else.
    """

    process: Processor
    usual: Callable[[str, str], str] | None = None  # (value, processor's name) -> expression
    helper: Any = None  # a function ``usual`` calls, as ``<processor's name>_h``

    @classmethod
    def of(cls, impl: Any, dialect: Dialect) -> _Result:
        if isinstance(impl, sqltypes.Float) and not impl.asdecimal and dialect.name != "sqlite":
            # PostgreSQL's numeric types pick their processor by the fetched column's type OID,
            # unknown to a statement compiled ahead of execution: a float column comes back
            # as a float, an aggregate or a numeric one perhaps as a Decimal: float() is right
            # for both (what SQLAlchemy does for the second, a no-op for the first).
            return cls(_to_float)
        process = impl.result_processor(dialect, None)
        if process is from_sqlite_text:
            return cls(process, _usual_sqlite_timestamp)
        if isinstance(impl, sqltypes.JSON) and dialect.name == "sqlite" and process is not None:
            # SQLite's JSON processor returns numbers as they are (a JSON column has NUMERIC
            # affinity) and None as None; text goes to the engine's deserializer.
            loads = compat.json_deserializer(dialect) or json.loads
            return cls(process, _usual_json_text, loads)
        return cls(process)

    def expression(self, name: str, value: str, namespace: dict[str, Any]) -> str:
        """The Python expression converting ``value``; adds what it calls to ``namespace``."""
        if self.process is None:
            return value
        namespace[name] = self.process
        if self.usual is None:
            return f"{name}({value})"
        if self.helper is not None:
            namespace[f"{name}_h"] = self.helper
        return self.usual(value, name)


def _to_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _usual_sqlite_timestamp(value: str, process: str) -> str:
    # from_sqlite_text for the text SQLAlchemy's SQLite DATETIME writes (26 characters).
    return (
        f'(f"{{{value}[:10]}}T{{{value}[11:19]}}Z" if {value}.__class__ is str and '
        f'len({value}) == 26 and {value}[10] == " " and {value}[19] == "." else {process}({value}))'
    )


def _usual_json_text(value: str, process: str) -> str:
    return f"({process}_h({value}) if {value}.__class__ is str else {process}({value}))"


_new = tuple.__new__
_new_cursor = sqlite3.Connection.cursor


@dataclass(frozen=True, slots=True)
class _RecordShape:
    """Where each record value comes from (see :class:`Prepared`)."""

    keys: tuple[str, ...]  # the record's keys, in order
    sources: tuple[int | str, ...]  # per key: a selected column's position, or a parameter name
    width: int  # every selected column
    defaults: tuple[Callable[[], Any] | None, ...]  # per key

    @classmethod
    def of(
        cls,
        statement: Statement,
        record: Sequence[str],
        defaults: Mapping[str, Callable[[], Any]],
        bound: Mapping[str, str],
    ) -> _RecordShape | None:
        if not record:
            if defaults or bound:
                raise ValueError("defaults or bound without record")
            return None
        if not isinstance(statement, Select):
            raise TypeError("record= is for a SELECT")
        selected = [str(column.key) for column in statement.selected_columns]
        fetched = [key for key in record if key not in bound]
        if selected[: len(fetched)] != fetched:
            raise ValueError(f"record {fetched} is not the leading columns of {selected}")
        unknown = (set(defaults) | set(bound)) - set(record)
        if unknown:
            raise ValueError(f"defaults or bound for keys not in the record: {sorted(unknown)}")
        positions = iter(range(len(fetched)))
        sources = tuple(bound[key] if key in bound else next(positions) for key in record)
        return cls(
            tuple(record), sources, len(selected), tuple(defaults.get(key) for key in record)
        )

    def converter(self, results: Sequence[_Result]) -> Converter:
        """A generated function: ``(fetched tuples, parameters)`` -> ``(dicts, first row's
        other columns)``.

        As in :func:`_converter`, one comprehension with every column unpacked by name and the
        conversions inline; bound values are read from the parameters once.
        """
        namespace: dict[str, Any] = {}
        columns = [f"c{i}" for i in range(self.width)]
        items = []
        prologue = []
        for n, (key, source, default) in enumerate(
            zip(self.keys, self.sources, self.defaults, strict=True)
        ):
            if isinstance(source, str):
                prologue.append(f"    k{n} = params[{source!r}]\n")
                expression = f"k{n}"
            else:
                expression = results[source].expression(f"p{source}", columns[source], namespace)
            if default is not None:
                namespace[f"d{n}"] = default
                expression = f"(v{n} if (v{n} := {expression}) is not None else d{n}())"
            items.append(f"{key!r}: {expression}")
        fetched = sum(1 for source in self.sources if not isinstance(source, str))
        rest = [
            results[i].expression(f"p{i}", f"first[{i}]", namespace)
            for i in range(fetched, self.width)
        ]
        source = (
            "def convert(fetched, params):\n"
            + "".join(prologue)
            + f"    records = [{{{', '.join(items)}}} for {', '.join(columns)}, in fetched]\n"
            "    if not fetched:\n"
            "        return records, ()\n"
            "    first = fetched[0]\n"
            f"    return records, ({''.join(f'{r}, ' for r in rest)})\n"
        )
        exec(source, namespace)  # noqa: S102 - the source holds generated names and repr'd keys
        convert: Converter = namespace["convert"]
        return convert
