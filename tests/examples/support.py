"""Helpers for the seed examples: where each spec is and the documented-shape comparison."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from specway.plugins.auth import api_keys as store

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ALL_SCOPES = ("read", "write", "delete", "admin")


def example_spec(name: str) -> Path:
    return EXAMPLES / name / "openapi.yaml"


def example_names() -> list[str]:
    """Every example: each directory of ``examples/`` holding an ``openapi.yaml``."""
    return sorted(spec.parent.name for spec in EXAMPLES.glob("*/openapi.yaml"))


def mint_key(
    client: TestClient,
    organization_id: str,
    user_id: str | None,
    scopes: Iterable[str] = ALL_SCOPES,
) -> str:
    """An API key in the served example's own key format (its ``x-specway-auth`` prefix).

    Minted with the app's auth runtime in its database, as ``specway keys generate --spec``
    does, on behalf of ``user_id`` (the key acts with that user's role capped by ``scopes``).
    """
    state = client.app.state  # type: ignore[attr-defined]
    runtime = state.service("auth")

    async def mint() -> str:
        async with state.database.session() as session, session.begin():
            created = await store.create_api_key(
                session,
                hasher=runtime.hasher,
                key_format=runtime.key_format,
                organization_id=organization_id,
                name="documented examples",
                scopes=list(scopes),
                created_by=user_id,
            )
        return created.secret

    portal = client.portal
    assert portal is not None, "the client must be started"
    return str(portal.call(mint))


def shape_problems(
    documented: Any, actual: Any, opaque_ids: Iterable[str] = (), at: str = "$"
) -> list[str]:
    """Where ``actual`` lacks a documented key or has another JSON type than documented.

    A documented ``null`` matches anything (the seed shows an absent value); lists compare their
    first items. Keys in ``opaque_ids`` are identifiers: a documented integer matches a string
    (specway's ids are opaque strings).
    """
    ids = frozenset(opaque_ids)
    problems: list[str] = []
    if documented is None:
        return problems
    if isinstance(documented, dict):
        if not isinstance(actual, dict):
            return [f"{at}: expected an object, got {type(actual).__name__}"]
        for key, value in documented.items():
            if key not in actual:
                problems.append(f"{at}.{key}: missing")
                continue
            if key in ids and isinstance(value, int) and isinstance(actual[key], str):
                continue
            problems += shape_problems(value, actual[key], ids, f"{at}.{key}")
        return problems
    if isinstance(documented, list):
        if not isinstance(actual, list):
            return [f"{at}: expected an array, got {type(actual).__name__}"]
        if documented and actual:
            problems += shape_problems(documented[0], actual[0], ids, f"{at}[0]")
        return problems
    if isinstance(documented, bool):
        ok = isinstance(actual, bool)
    elif isinstance(documented, int | float):
        ok = isinstance(actual, int | float) and not isinstance(actual, bool)
    else:
        ok = isinstance(actual, type(documented))
    if not ok and actual is not None:
        problems.append(f"{at}: expected {type(documented).__name__}, got {actual!r}")
    return problems
