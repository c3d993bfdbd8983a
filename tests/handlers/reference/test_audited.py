"""With the audit plugin on, no variable value reaches a stored audit row."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from sqlalchemy import select
from starlette.testclient import TestClient

from specway.app import SpecwayApp
from specway.plugins.audit.models import AuditLog

from .helpers import PrincipalFromHeaders, as_org, make_environment, make_project, make_variable

MARKER = "hunter2-SECRET-marker"


def audit_rows(client: TestClient) -> list[dict[str, Any]]:
    wrapper = client.app
    assert isinstance(wrapper, PrincipalFromHeaders)
    assert isinstance(wrapper.app, SpecwayApp)
    state = wrapper.app.state

    async def read() -> list[dict[str, Any]]:
        await state.services["audit"].flush()
        async with state.database.session() as session:
            rows = await session.execute(select(AuditLog))
            return [
                {c.name: getattr(row, c.name) for c in AuditLog.__table__.columns}
                for row in rows.scalars()
            ]

    assert client.portal is not None
    return client.portal.call(read)


def test_audit_rows_never_hold_values(platform_factory: Callable[..., TestClient]) -> None:
    client = platform_factory(plugins=("request_id", "errors", "audit"))
    org = "org_a"
    env = make_environment(client, make_project(client, org=org), org=org)
    variable = make_variable(client, env["id"], "DB_PASSWORD", MARKER + "-1", org=org)
    patched = client.patch(
        f"/v1/variables/{variable['id']}", json={"value": MARKER + "-2"}, headers=as_org(org)
    )
    assert patched.status_code == 200
    imported = client.post(
        f"/v1/environments/{env['id']}/import",
        files={"file": (".env", f"API_TOKEN={MARKER}-3\nPLAIN={MARKER}-4\n".encode())},
        headers=as_org(org),
    )
    assert imported.status_code == 200
    assert client.delete(f"/v1/variables/{variable['id']}", headers=as_org(org)).status_code == 204

    rows = audit_rows(client)
    actions = {row["action"] for row in rows}
    assert {"variable.created", "variable.updated", "variable.deleted"} <= actions
    assert "variable.imported" in actions
    assert MARKER not in orjson.dumps(rows, default=str).decode()
