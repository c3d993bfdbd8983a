"""``Alerts``: rules on workload metrics (``client.alerts.create(...)``), listed, fetched,
deleted and acknowledged, each through :class:`~examples.hexabase.alert_rules.AlertStore`;
:mod:`examples.hexabase.alert_rules` parses and evaluates them."""

from __future__ import annotations

from typing import Any

from examples.hexabase import alert_rules
from examples.hexabase.alert_rules import AlertStore
from handlers.services.workspaces import WorkspaceStore
from specway import context
from specway.pagination import list_response, page_request

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]


def _org() -> str | None:
    principal = context.principal()
    return principal.organization_id if principal else None


def _store() -> AlertStore:
    return AlertStore(context.database())


async def create_alert(body: dict[str, Any]) -> Response:
    condition = alert_rules.parse_condition(str(body["condition"]))
    seconds = alert_rules.parse_duration(str(body["duration"]))
    notifications = list(body.get("notifications") or [])
    alert_rules.parse_notifications(notifications)
    workspace_id = body.get("workspace_id")
    if workspace_id is not None:
        workspace = await WorkspaceStore(context.database()).get(_org(), str(workspace_id))
        workspace_id = workspace["id"]
    data = {
        "name": str(body["name"]),
        "condition": str(body["condition"]).strip(),
        "duration": str(body["duration"]),
        "notifications": notifications,
        "workspace_id": workspace_id,
    }
    rule = await _store().create_rule(_org(), data, condition, seconds)
    return rule, 201, {"Location": f"/v1/alerts/{rule['id']}"}


async def list_alerts(
    page: int | None = None,
    per_page: int | None = None,
    state: str | None = None,
    workspace_id: str | None = None,
) -> Response:
    op = context.operation()
    request = page_request(op.pagination, page, per_page)
    items, total = await _store().page(_org(), request, state=state, workspace_id=workspace_id)
    query = {"state": state, "workspace_id": workspace_id}
    body, headers = list_response(op.pagination, items, total, request, context.path(), query)
    return body, 200, headers


async def get_alert(alert_id: str) -> Response:
    return await _store().get(_org(), alert_id), 200


async def delete_alert(alert_id: str) -> Response:
    await _store().delete(_org(), alert_id)
    return None, 204


async def acknowledge_alert(alert_id: str) -> Response:
    """``firing → acknowledged`` (kept until it resolves); acknowledging again is a no-op and a
    rule that is not firing is 409."""
    return await _store().acknowledge(_org(), alert_id), 200
