"""``Alerts``: rules on workload metrics (``client.alerts.create(...)``), listed, fetched,
deleted and acknowledged; :mod:`examples.hexabase.alert_rules` parses and evaluates them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from examples.hexabase import alert_rules
from examples.hexabase.models import AlertRule
from handlers.services import workspaces as workspace_service
from specway import context
from specway.errors import Conflict, NotFound
from specway.ids import utcnow
from specway.pagination import list_response, page_request

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]


def _org() -> str | None:
    principal = context.principal()
    return principal.organization_id if principal else None


async def _get(session: AsyncSession, alert_id: str) -> AlertRule:
    query = select(AlertRule).where(AlertRule.id == alert_id, AlertRule.organization_id == _org())
    rule = (await session.execute(query)).scalar_one_or_none()
    if rule is None:
        raise NotFound(
            f"Alert '{alert_id}' not found",
            details={"resource_type": "alert", "resource_id": alert_id},
        )
    return rule


async def create_alert(body: dict[str, Any]) -> Response:
    condition = alert_rules.parse_condition(str(body["condition"]))
    seconds = alert_rules.parse_duration(str(body["duration"]))
    notifications = list(body.get("notifications") or [])
    alert_rules.parse_notifications(notifications)
    async with context.database().session() as session, session.begin():
        workspace_id = body.get("workspace_id")
        if workspace_id is not None:
            workspace = await workspace_service.get_workspace(session, _org(), str(workspace_id))
            workspace_id = workspace.id
        now = utcnow()
        rule = AlertRule(
            organization_id=_org(),
            workspace_id=workspace_id,
            name=str(body["name"]),
            condition=str(body["condition"]).strip(),
            aggregate=condition.aggregate,
            metric=condition.metric,
            operator=condition.operator,
            threshold=condition.threshold,
            duration=str(body["duration"]),
            duration_seconds=seconds,
            notifications=notifications,
            state="ok",
            created_at=now,
            updated_at=now,
        )
        session.add(rule)
        await session.flush()
        data = alert_rules.alert_to_dict(rule)
    return data, 201, {"Location": f"/v1/alerts/{data['id']}"}


async def list_alerts(
    page: int | None = None,
    per_page: int | None = None,
    state: str | None = None,
    workspace_id: str | None = None,
) -> Response:
    op = context.operation()
    request = page_request(op.pagination, page, per_page)
    where = [AlertRule.organization_id == _org()]
    if state is not None:
        where.append(AlertRule.state == state)
    if workspace_id is not None:
        where.append(AlertRule.workspace_id == workspace_id)
    async with context.database().session() as session:
        total = (await session.execute(select(func.count()).where(*where))).scalar_one()
        rows = (
            await session.execute(
                select(AlertRule)
                .where(*where)
                .order_by(AlertRule.created_at.desc(), AlertRule.id)
                .offset(request.offset)
                .limit(request.per_page)
            )
        ).scalars()
        items = [alert_rules.alert_to_dict(r) for r in rows]
    query = {"state": state, "workspace_id": workspace_id}
    body, headers = list_response(op.pagination, items, total, request, context.path(), query)
    return body, 200, headers


async def get_alert(alert_id: str) -> Response:
    async with context.database().session() as session:
        return alert_rules.alert_to_dict(await _get(session, alert_id)), 200


async def delete_alert(alert_id: str) -> Response:
    async with context.database().session() as session, session.begin():
        await session.delete(await _get(session, alert_id))
    return None, 204


async def acknowledge_alert(alert_id: str) -> Response:
    """``firing → acknowledged`` (kept until it resolves); acknowledging again is a no-op and a
    rule that is not firing is 409."""
    async with context.database().session() as session, session.begin():
        rule = await _get(session, alert_id)
        if rule.state == "ok":
            raise Conflict(f"Alert '{alert_id}' is not firing", details={"state": rule.state})
        if rule.state == "firing":
            now = utcnow()
            rule.state, rule.acknowledged_at, rule.updated_at = "acknowledged", now, now
        await session.flush()
        return alert_rules.alert_to_dict(rule), 200
