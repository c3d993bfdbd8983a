"""Alert rules on workload metrics: the condition grammar, their state and their evaluation.

A rule is ``<aggregate>(<metric>) <operator> <number>`` (``avg(cpu_usage) > 80``; aggregates
``avg``, ``min``, ``max``, ``sum``; operators ``>``, ``>=``, ``<``, ``<=``) held over the last
``duration`` (``30s``, ``5m``, ``1h``, ``1d``; 10 seconds to 1 day). Each time samples of its
metric arrive, the aggregate of that window is compared with the threshold:

- ``ok`` and crossing: the rule fires once, becomes ``firing``, emits the ``alert.triggered``
  webhook event and records one pending notification per target;
- ``firing`` or ``acknowledged`` and no longer crossing (or no samples in the window): back to
  ``ok`` (``resolved_at``), ready to fire again;
- crossing while ``firing`` or ``acknowledged``: nothing more.

The move to ``firing`` is a conditional update (``WHERE state = 'ok'``), so two ingestions at
once fire a rule once. No mail is sent and no ad-hoc URL is called from here: ``email:`` and
``webhook:`` targets are recorded as ``pending`` notifications for a delivery worker.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.engine import Connection

from examples.hexabase.metric_samples import AGGREGATES, METRICS, aggregate_since
from examples.hexabase.models import AlertNotification, AlertRule
from specway.errors import BadRequest, Conflict, NotFound
from specway.ids import new_id, rfc3339, utcnow
from specway.plugins.webhooks.outbox import record_event
from specway.plugins.webhooks.service import WebhookService
from specway.storage.prepared import Prepared
from specway.storage.store import REQUIRED, Resource, TableStore

TRIGGERED = "alert.triggered"
OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
_CONDITION = re.compile(
    r"(?P<aggregate>[a-z]+)\((?P<metric>[a-z_]+)\)\s*(?P<op>>=|<=|>|<)\s*"
    r"(?P<threshold>-?\d+(?:\.\d+)?)"
)
_DURATION = re.compile(r"(?P<amount>[1-9]\d{0,5})(?P<unit>[smhd])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_EMAIL = re.compile(r"[^@\s:]+@[^@\s]+\.[^@\s]+")
MIN_DURATION, MAX_DURATION = 10, 86400


def _bad(field: str, reason: str) -> BadRequest:
    return BadRequest(
        f"Invalid '{field}': {reason}", details=[{"field": field, "in": "body", "reason": reason}]
    )


@dataclass(frozen=True, slots=True)
class Condition:
    aggregate: str
    metric: str
    operator: str
    threshold: float

    def holds(self, value: float | None) -> bool:
        return value is not None and OPERATORS[self.operator](value, self.threshold)


def parse_condition(text: str) -> Condition:
    """The rule of ``text``; 400 naming ``condition`` for anything outside the grammar."""
    found = _CONDITION.fullmatch(text.strip())
    if found is None:
        raise _bad("condition", "expected '<avg|min|max|sum>(<metric>) <op> <number>'")
    if found["aggregate"] not in AGGREGATES:
        raise _bad("condition", f"unknown aggregate {found['aggregate']!r}; use avg, min, max, sum")
    if found["metric"] not in METRICS:
        raise _bad("condition", f"unknown metric {found['metric']!r}; use {', '.join(METRICS)}")
    return Condition(found["aggregate"], found["metric"], found["op"], float(found["threshold"]))


def parse_duration(text: str) -> int:
    """Seconds of ``5m``/``1h``…; 400 naming ``duration`` outside 10 s … 1 d."""
    found = _DURATION.fullmatch(text)
    if found is None:
        raise _bad("duration", "expected a number and a unit: s, m, h or d (e.g. 5m)")
    seconds = int(found["amount"]) * _UNITS[found["unit"]]
    if not MIN_DURATION <= seconds <= MAX_DURATION:
        raise _bad("duration", "between 10s and 1d")
    return seconds


def parse_notifications(targets: Iterable[str]) -> list[tuple[str, str]]:
    """``(channel, target)`` per ``email:<address>`` or ``webhook:https://…``; 400 naming the
    entry otherwise."""
    out = []
    for index, raw in enumerate(targets):
        channel, _, target = raw.partition(":")
        ok = (channel == "email" and _EMAIL.fullmatch(target) is not None) or (
            channel == "webhook" and target.startswith(("https://", "http://"))
        )
        if not ok:
            raise _bad(f"notifications.{index}", "expected 'email:<address>' or 'webhook:<url>'")
        out.append((channel, target))
    return out


_RULES = cast(Table, AlertRule.__table__)
_NOTIFICATIONS = cast(Table, AlertNotification.__table__)

# What a response shows of a rule.
ALERT = Resource(
    table=_RULES,
    name="alert",
    id_prefix="alert",
    keys=(
        "id",
        "name",
        "condition",
        "duration",
        "notifications",
        "workspace_id",
        "state",
        "last_value",
        "triggered_at",
        "acknowledged_at",
        "resolved_at",
        "created_at",
        "updated_at",
    ),
    defaults={"notifications": list},
    fields={
        "name": REQUIRED,
        "condition": REQUIRED,
        "duration": REQUIRED,
        "notifications": list,
        "workspace_id": None,
    },
    updatable=(),
    sortable=("created_at",),
    tie_ascending=True,
    filters=("state", "workspace_id"),
)


class AlertStore(TableStore):
    """Alert rules of one database: get, page (+ total, filtered by ``state`` and
    ``workspace_id``), create, delete, acknowledge; results are the response's dicts."""

    resource = ALERT

    async def create_rule(
        self, organization_id: str | None, data: dict[str, Any], condition: Condition, seconds: int
    ) -> dict[str, Any]:
        """A new ``ok`` rule of ``data`` (name, condition, duration, notifications,
        workspace_id), its parsed ``condition`` and duration in ``seconds``."""
        return await self.create(
            organization_id,
            data,
            aggregate=condition.aggregate,
            metric=condition.metric,
            operator=condition.operator,
            threshold=condition.threshold,
            duration_seconds=seconds,
            state="ok",
            last_value=None,
            triggered_at=None,
            acknowledged_at=None,
            resolved_at=None,
        )

    async def acknowledge(self, organization_id: str | None, alert_id: str) -> dict[str, Any]:
        """``firing → acknowledged`` (kept until it resolves); again is a no-op, and a rule
        that is not firing is 409."""
        rule = await self.get(organization_id, alert_id)
        if rule["state"] == "ok":
            raise Conflict(f"Alert '{alert_id}' is not firing", details={"state": rule["state"]})
        if rule["state"] != "firing":
            return rule
        now = utcnow()
        values: dict[str, Any] = {"row_id": alert_id, "firing": "firing"}
        values["state"] = "acknowledged"
        values.update(acknowledged_at=now, updated_at=now)
        await self.database.write([(_ACKNOWLEDGE, values)])
        stamp = rfc3339(now)
        return {**rule, "state": "acknowledged", "acknowledged_at": stamp, "updated_at": stamp}

    def not_found(self, row_id: str) -> NotFound:
        return NotFound(
            f"Alert '{row_id}' not found",
            details={"resource_type": "alert", "resource_id": row_id},
        )


_ACKNOWLEDGE = Prepared(
    update(_RULES).where(_RULES.c.id == bindparam("row_id"), _RULES.c.state == bindparam("firing"))
)
# The move to firing: only from ok, so two ingestions at once fire a rule once.
_FIRE = update(_RULES).where(_RULES.c.id == bindparam("row_id"), _RULES.c.state == "ok")
_SET = Prepared(update(_RULES).where(_RULES.c.id == bindparam("row_id")))
_NOTIFY = Prepared(insert(_NOTIFICATIONS))


@functools.cache
def _rules_of(no_org: bool) -> Prepared:
    """The organisation's rules on ``metric``: the response's keys and what evaluation needs."""
    org = _RULES.c.organization_id
    columns = _RULES.c
    query = select(
        *ALERT.selected,
        columns.aggregate,
        columns.metric,
        columns.operator,
        columns.threshold,
        columns.duration_seconds,
    ).where(
        org.is_(None) if no_org else org == bindparam("org"), columns.metric == bindparam("metric")
    )
    return Prepared(query.order_by(columns.created_at, columns.id))


def _record(row: Any) -> dict[str, Any]:
    record = {key: getattr(row, key) for key in ALERT.keys}
    record["notifications"] = list(record["notifications"] or [])
    return record


def _fire(
    connection: Connection,
    webhooks: WebhookService | None,
    organization_id: str | None,
    rule: dict[str, Any],
    value: float,
    now: datetime,
) -> tuple[bool, bool]:
    """``(fired, deliveries queued)``: the move to ``firing``, its pending notifications and
    its ``alert.triggered`` event, in the caller's transaction."""
    values = {"row_id": rule["id"], "state": "firing", "last_value": value}
    values.update(triggered_at=now, updated_at=now)
    if connection.execute(_FIRE, values).rowcount != 1:
        return False, False
    notifications = [
        {
            "id": new_id("ntf"),
            "organization_id": organization_id,
            "alert_id": rule["id"],
            "channel": target.partition(":")[0],
            "target": target.partition(":")[2],
            "status": "pending",
            "created_at": now,
        }
        for target in rule["notifications"]
    ]
    if notifications:
        _NOTIFY.run(connection, notifications)
    stamp = rfc3339(now)
    rule = {**rule, "state": "firing", "last_value": value, "triggered_at": stamp}
    rule["updated_at"] = stamp
    data = {"alert": rule, "value": value}
    queued = record_event(connection, webhooks, TRIGGERED, data, organization_id=organization_id)
    return True, queued


def evaluate(
    connection: Connection,
    webhooks: WebhookService | None,
    organization_id: str | None,
    metrics: Iterable[str],
    now: datetime,
) -> tuple[list[str], bool]:
    """Check the organisation's rules on ``metrics`` against their windows, in the caller's
    ``Database.transaction`` after the new samples are written: ``(ids of the rules that
    fired, whether webhook deliveries were queued)`` (then call ``webhooks.notify()`` once
    committed)."""
    fired: list[str] = []
    queued = False
    for metric in sorted(set(metrics)):
        params = {"org": organization_id, "metric": metric}
        for row in _rules_of(organization_id is None).rows(connection, params):
            rule = _record(row)
            value = aggregate_since(
                connection,
                organization_id,
                row.workspace_id,
                metric=metric,
                aggregation=row.aggregate,
                since=now - timedelta(seconds=row.duration_seconds),
            )
            condition = Condition(row.aggregate, metric, row.operator, row.threshold)
            crossing = condition.holds(value)
            changes: dict[str, Any] = {}
            if crossing and rule["state"] == "ok" and value is not None:
                moved, delivered = _fire(connection, webhooks, organization_id, rule, value, now)
                if moved:
                    fired.append(rule["id"])
                    queued = queued or delivered
            elif not crossing and rule["state"] != "ok":
                changes = {"state": "ok", "resolved_at": now, "updated_at": now}
                changes["last_value"] = value
            elif value is not None and value != rule["last_value"]:
                changes = {"last_value": value}
            if changes:
                _SET.run(connection, {"row_id": rule["id"], **changes})
    return fired, queued
