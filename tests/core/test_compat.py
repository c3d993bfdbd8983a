"""One test per private Connexion / SQLAlchemy API specway uses (``specway.compat``), against
the pinned versions: an upgrade that moves one fails here, by name; and a check that no private
library name is used outside ``specway.compat`` unlisted."""

from __future__ import annotations

import ast
import asyncio
import importlib
import inspect
import pkgutil
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from connexion.apps.asynchronous import AsyncApp, AsyncASGIApp
from connexion.middleware.request_validation import RequestValidationOperation
from connexion.spec import Specification
from connexion.validators import VALIDATOR_MAP
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool
from sqlalchemy.util import queue as sqla_queue

import specway
from specway import compat
from specway.storage.database import Database

_LIBRARIES = ("connexion", "starlette", "sqlalchemy")


def test_connexion_current_scope_is_the_scope_itself() -> None:
    from connexion.context import _scope

    scope = {"type": "http", "path": "/x"}
    token = _scope.set(scope)
    try:
        assert compat.connexion_current_scope() is scope
    finally:
        _scope.reset(token)


def test_replace_inner_app_routes_to_the_new_app() -> None:
    app = AsyncApp(__name__)
    inner = AsyncASGIApp()
    compat.replace_inner_app(app, inner)
    assert app.middleware.app is inner

    async def ping() -> str:
        return "pong"

    app.add_url_rule("/ping", "ping", ping)  # through AsyncApp._middleware_app
    assert [route.path for route in inner.router.routes] == ["/ping"]


def test_validator_map_is_the_defaults_with_the_apps_own() -> None:
    body = {"application/json": object}

    async def next_app(*_: Any) -> None:
        return None

    operation = RequestValidationOperation(next_app, operation=None, validator_map={"body": body})
    found = compat.validator_map(operation)
    assert found["body"] is body
    assert found["parameter"] is VALIDATOR_MAP["parameter"]


def test_spec_check_is_the_one_connexion_runs_on_load() -> None:
    original = compat.spec_check()
    checked: list[Any] = []
    compat.replace_spec_check(lambda cls, spec: checked.append((cls, spec)))
    try:
        Specification.load({"openapi": "3.0.3", "info": {"title": "t", "version": "1"}})
        assert len(checked) == 1
        assert checked[0][1]["info"]["title"] == "t"
    finally:
        compat.replace_spec_check(original)
    assert compat.spec_check() is original


def test_param_value_casts_by_the_definition() -> None:
    assert compat.param_value("5", {"schema": {"type": "integer"}}) == 5
    assert compat.param_value(
        ["1", "2"], {"schema": {"type": "array", "items": {"type": "number"}}}
    ) == [1.0, 2.0]
    assert compat.param_value("null", {"schema": {"type": "string", "nullable": True}}) is None


def test_query_defaults_by_name() -> None:
    definitions = {
        "limit": {"name": "limit", "schema": {"type": "integer", "default": 20}},
        "q": {"name": "q", "schema": {"type": "string"}},
    }
    assert compat.query_defaults(definitions) == {"limit": 20}


def test_file_arguments_by_name() -> None:
    files = {"one": ["a", "b"], "many": ["c", "d"], "unasked": ["e"]}
    schema = {"properties": {"many": {"type": "array"}}}
    found = compat.file_arguments(files, ["one", "many"], schema, False)
    assert found == {"one": "a", "many": ["c", "d"]}
    assert compat.file_arguments(files, [], schema, True)["unasked"] == "e"


def test_body_argument_takes_what_specway_passes() -> None:
    parameters = inspect.signature(compat.body_argument).parameters
    assert list(parameters) == [
        "body",
        "operation",
        "arguments",
        "has_kwargs",
        "sanitize",
        "content_type",
    ]
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in list(parameters.values())[1:])


@pytest.mark.parametrize(("dotted", "name"), compat.PRIVATE_OVERRIDES)
def test_private_overrides_exist(dotted: str, name: str) -> None:
    module, _, cls = dotted.rpartition(".")
    found = getattr(importlib.import_module(module), cls)
    assert any(name in vars(k) for k in found.__mro__), f"{dotted}.{name} is gone"


def _library_privates(cls: type) -> set[str]:
    """Private names the library bases of ``cls`` define or set on ``self``."""
    names: set[str] = set()
    for base in cls.__mro__[1:]:
        if base.__module__.partition(".")[0] not in _LIBRARIES:
            continue
        names |= {k for k in vars(base) if k.startswith("_") and not k.startswith("__")}
        try:
            source = inspect.getsource(base)
        except (OSError, TypeError):
            continue
        names |= set(re.findall(r"self\.(_[a-z]\w*)", source))
    return names


def _specway_modules() -> list[str]:
    skip = ("specway.codegen", "specway.__main__")
    return [
        info.name
        for info in pkgutil.walk_packages(specway.__path__, "specway.")
        if not info.name.startswith(skip) and ".migrations" not in info.name
    ]


def test_every_private_override_is_listed() -> None:
    """A specway subclass of a Connexion, Starlette or SQLAlchemy class that overrides or reads
    a private name of its bases does so through a name listed in ``PRIVATE_OVERRIDES`` (or
    lives in ``specway.compat`` itself)."""
    listed = {name for _, name in compat.PRIVATE_OVERRIDES}
    unlisted: list[str] = []
    for module_name in _specway_modules():
        module = importlib.import_module(module_name)
        tree = ast.parse(inspect.getsource(module))
        for node in ast.walk(tree):
            if not isinstance(node, ast.ClassDef):
                continue
            cls = vars(module).get(node.name)
            if not inspect.isclass(cls) or module_name == "specway.compat":
                continue
            privates = _library_privates(cls)
            if not privates:
                continue
            own = {
                n.attr
                for n in ast.walk(node)
                if isinstance(n, ast.Attribute)
                and isinstance(n.value, ast.Name)
                and n.value.id == "self"
            } | {n.name for n in node.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
            unlisted += [
                f"{module_name}.{node.name}.{name}" for name in sorted((own & privates) - listed)
            ]
    assert not unlisted, f"private library names used outside specway.compat: {unlisted}"


def test_has_cursor_events_follows_listeners() -> None:
    engine = create_engine("sqlite://")
    with engine.connect() as connection:
        assert not compat.has_cursor_events(connection)

    def listener(*_: object) -> None:
        return None

    event.listen(engine, "before_cursor_execute", listener)
    with engine.connect() as connection:
        assert compat.has_cursor_events(connection)


def test_json_deserializer_is_the_engines() -> None:
    def loads(value: str) -> object:
        return value

    engine = create_engine("sqlite://", json_deserializer=loads)
    assert compat.json_deserializer(engine.dialect) is loads
    assert compat.json_deserializer(create_engine("sqlite://").dialect) is None


def test_connection_without_revalidation_runs_on_the_given_connection(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'a.db'}")
    other = StaticPool(lambda: sqlite3.connect(tmp_path / "b.db"))
    connection = compat.connection_without_revalidation(engine, other.connect())
    connection.execute(text("CREATE TABLE only_in_b (x INTEGER)"))
    connection.commit()
    connection.close()
    with engine.connect() as main:
        assert main.execute(text("SELECT count(*) FROM sqlite_master")).scalar() == 0
    assert connection._Connection__can_reconnect is False  # type: ignore[attr-defined]


def test_is_file_sqlite() -> None:
    assert compat.is_file_sqlite(make_url("sqlite:///x.db"))
    assert not compat.is_file_sqlite(make_url("sqlite://"))
    assert not compat.is_file_sqlite(make_url("sqlite:///:memory:"))


def test_free_first_pool_takes_a_free_connection_without_waiting(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'p.db'}")
    pool = database.engine.sync_engine.pool
    assert isinstance(pool, compat.FreeFirstQueuePool)
    assert pool.free_first
    assert isinstance(pool._pool, sqla_queue.AsyncAdaptedQueue)

    async def run() -> None:
        async with database.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        # Free again: the next checkout takes it from the queue directly.
        assert pool._pool.qsize() == 1
        async with database.engine.connect() as connection:
            assert (await connection.execute(text("SELECT 2"))).scalar() == 2
        await database.dispose()

    asyncio.run(run())


def test_soft_close_keeps_rows(tmp_path: Path) -> None:
    """The in-loop driver's cursor keeps its rows through the async result's soft close."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 's.db'}")
    assert hasattr(compat.SoftCloseKeepsRows, "_async_soft_close")

    async def run() -> list[int]:
        async with database.engine.connect() as connection:
            result = await connection.execute(text("SELECT 1 UNION ALL SELECT 2"))
            rows = [int(row[0]) for row in result.all()]
        await database.dispose()
        return rows

    assert asyncio.run(run()) == [1, 2]
