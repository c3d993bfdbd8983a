"""A small part of the suite with ``SPECWAY_FAST_PATHS=0``: the project handlers' tests, on
SQLite and PostgreSQL, through the libraries' plain paths (SQLAlchemy sessions and engine,
Connexion's own request validation), and a check that the switch really switches them off."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from connexion.apps.asynchronous import AsyncASGIApp
from connexion.middleware.request_validation import RequestValidationMiddleware
from starlette.testclient import TestClient

import tests.handlers.test_projects as project_tests
from specway import compat
from specway.app import SpecwayApp
from specway.dispatch import CompiledASGIApp
from specway.storage.database import Database
from specway.validation import PreparedValidationMiddleware
from tests.conftest import AuthIdentity


@pytest.fixture
def plain_factory(
    app_factory: Callable[..., TestClient], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., TestClient]:
    """``app_factory`` with the fast paths off, in the settings and the environment."""
    monkeypatch.setenv(compat.FAST_PATHS_ENV, "0")

    def make(*args: Any, **settings: Any) -> TestClient:
        return app_factory(*args, fast_paths=False, **settings)

    return make


def test_switch_turns_the_fast_paths_off(
    plain_factory: Callable[..., TestClient], database_url: str
) -> None:
    assert not compat.fast_paths()
    client = plain_factory(database_url=database_url)
    app = client.app
    assert isinstance(app, SpecwayApp)
    database: Database = app.state.database
    assert not database.fast_paths
    assert database.pg is None
    assert database._reads_apart is False  # every read through the engine's pool
    stack = app.connexion_app.middleware.middlewares
    assert RequestValidationMiddleware in stack
    assert PreparedValidationMiddleware not in stack
    # Connexion's own handler calls, not specway.dispatch's.
    inner = app.connexion_app._middleware_app
    assert type(inner) is AsyncASGIApp
    assert not isinstance(inner, CompiledASGIApp)


def test_crud_with_fast_paths_off(
    plain_factory: Callable[..., TestClient],
    auth_factory: Callable[..., AuthIdentity],
    database_url: str,
) -> None:
    project_tests.test_project_crud_and_list_envelope(plain_factory, auth_factory, database_url)


def test_pages_with_fast_paths_off(
    plain_factory: Callable[..., TestClient],
    auth_factory: Callable[..., AuthIdentity],
    database_url: str,
) -> None:
    project_tests.test_pagination_filters_and_sorting(plain_factory, auth_factory, database_url)


@pytest.mark.parametrize("value", ["0", "false", "off", "no"])
def test_fast_paths_env_values(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(compat.FAST_PATHS_ENV, value)
    assert not compat.fast_paths()
    monkeypatch.setenv(compat.FAST_PATHS_ENV, "1")
    assert compat.fast_paths()
    monkeypatch.delenv(compat.FAST_PATHS_ENV)
    assert compat.fast_paths()
