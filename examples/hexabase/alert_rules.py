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

import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from examples.hexabase.metric_samples import AGGREGATES, METRICS, aggregate_since
from examples.hexabase.models import AlertNotification, AlertRule
from specway.errors import BadRequest
from specway.ids import rfc3339
from specway.plugins.webhooks import emit_event

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


def alert_to_dict(rule: AlertRule) -> dict[str, Any]:
    def stamp(at: datetime | None) -> str | None:
        return None if at is None else rfc3339(at)

    return {
        "id": rule.id,
        "name": rule.name,
        "condition": rule.condition,
        "duration": rule.duration,
        "notifications": list(rule.notifications or []),
        "workspace_id": rule.workspace_id,
        "state": rule.state,
        "last_value": rule.last_value,
        "triggered_at": stamp(rule.triggered_at),
        "acknowledged_at": stamp(rule.acknowledged_at),
        "resolved_at": stamp(rule.resolved_at),
        "created_at": stamp(rule.created_at),
        "updated_at": stamp(rule.updated_at),
    }


async def _fire(session: AsyncSession, rule: AlertRule, value: float, now: datetime) -> bool:
    moved = await session.execute(
        update(AlertRule)
        .where(AlertRule.id == rule.id, AlertRule.state == "ok")
        .values(state="firing", last_value=value, triggered_at=now, updated_at=now)
    )
    if getattr(moved, "rowcount", 0) != 1:
        return False
    await session.refresh(rule)
    for target in rule.notifications or []:
        channel, _, address = target.partition(":")
        session.add(
            AlertNotification(
                organization_id=rule.organization_id,
                alert_id=rule.id,
                channel=channel,
                target=address,
                status="pending",
                created_at=now,
            )
        )
    data = {"alert": alert_to_dict(rule), "value": value}
    await emit_event(session, TRIGGERED, data, organization_id=rule.organization_id)
    return True


async def evaluate(
    session: AsyncSession, organization_id: str | None, metrics: Iterable[str], now: datetime
) -> list[str]:
    """Check the organisation's rules on ``metrics`` against their windows (in the caller's
    transaction, after the new samples are written); the ids of the rules that fired."""
    names = sorted(set(metrics))
    rules = (
        await session.execute(
            select(AlertRule).where(
                AlertRule.organization_id == organization_id, AlertRule.metric.in_(names)
            )
        )
    ).scalars()
    fired = []
    for rule in list(rules):
        value = await aggregate_since(
            session,
            organization_id,
            rule.workspace_id,
            metric=rule.metric,
            aggregation=rule.aggregate,
            since=now - timedelta(seconds=rule.duration_seconds),
        )
        condition = Condition(rule.aggregate, rule.metric, rule.operator, rule.threshold)
        crossing = condition.holds(value)
        if crossing and rule.state == "ok" and value is not None:
            if await _fire(session, rule, value, now):
                fired.append(rule.id)
        elif not crossing and rule.state != "ok":
            rule.state, rule.resolved_at, rule.updated_at = "ok", now, now
            rule.last_value = value
        elif value is not None:
            rule.last_value = value
    return fired
