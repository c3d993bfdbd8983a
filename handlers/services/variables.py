"""Variables (seed 004): keys unique per environment, values encrypted at rest.

A value is sealed with the app's :class:`~specway.crypto.SecretBox` (AES-GCM, the key's id in the
ciphertext) with the variable's id as associated data, so a ciphertext copied onto another row
does not open. Values never appear in log lines, error messages or events; events carry key
names only. ``decrypted_value`` is filled only for actors that may read values.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.models_platform import Environment, Variable
from handlers.runtime import Actor
from handlers.services.envfile import KEY_PATTERN, is_valid_key
from handlers.services.environments import get_environment
from handlers.services.queries import fetch_page, like_pattern, owned_by
from specway.crypto import DecryptionError, SecretBox
from specway.errors import BadRequest, Conflict, InternalError, NotFound
from specway.ids import new_id, rfc3339, utcnow
from specway.pagination import PageRequest
from specway.plugins.webhooks import emit_event, emit_events

logger = logging.getLogger("handlers.variables")

MAX_VALUE_LENGTH = 65_536
SORTABLE = {
    "key": Variable.key,
    "created_at": Variable.created_at,
    "updated_at": Variable.updated_at,
}


def reveal(box: SecretBox, variable: Variable) -> str:
    """The plaintext of ``variable``; a value no configured key opens is a server fault."""
    try:
        return box.open(variable.value_ciphertext, variable.id)
    except DecryptionError as exc:
        logger.error(
            "variable %s cannot be decrypted (sealed with key %s): %s",
            variable.id,
            variable.key_id,
            exc,
        )
        raise InternalError(
            "A stored value cannot be decrypted with the configured keys",
            details={"resource_type": "variable", "resource_id": variable.id},
        ) from None


def variable_to_dict(
    variable: Variable, environment_name: str, box: SecretBox, actor: Actor
) -> dict[str, Any]:
    """The API representation; ``decrypted_value`` is ``None`` unless ``actor`` may read it."""
    return {
        "id": variable.id,
        "key": variable.key,
        "decrypted_value": reveal(box, variable) if actor.can_read_values else None,
        "environment": variable.environment_id,
        "environment_name": environment_name,
        "created_at": rfc3339(variable.created_at),
        "updated_at": rfc3339(variable.updated_at),
        "created_by_name": variable.created_by_name,
    }


def check_key(key: str) -> None:
    """400 naming ``key`` unless it is a valid variable name."""
    if not is_valid_key(key):
        raise BadRequest(
            f"Invalid variable key {key[:200]!r}: keys must match {KEY_PATTERN}",
            details=[{"field": "key", "in": "body", "reason": f"must match {KEY_PATTERN}"}],
        )


def value_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored (never quoting it), or ``None``."""
    if len(value) > MAX_VALUE_LENGTH:
        return f"value longer than {MAX_VALUE_LENGTH} characters"
    return None


def _check_value(value: str) -> None:
    problem = value_problem(value)
    if problem:
        raise BadRequest(
            f"Invalid variable value: {problem}",
            details=[{"field": "value", "in": "body", "reason": problem}],
        )


def _duplicate(key: str) -> Conflict:
    return Conflict(
        f"Variable {key!r} already exists in this environment",
        details={"field": "key", "reason": "duplicate"},
    )


async def emit(session: AsyncSession, event_type: str, data: dict[str, Any]) -> None:
    """Write the event to the webhooks outbox in the caller's transaction.

    Every variable event's payload is made by :func:`variable_event_data`, so no value can
    reach a payload.
    """
    await emit_event(session, event_type, data)


def variable_event_data(variable: Variable, actor: Actor) -> dict[str, Any]:
    """The payload of ``variable.created|updated|deleted``: key names only, never a value."""
    return {
        "variable": {
            "id": variable.id,
            "key": variable.key,
            "environment_id": variable.environment_id,
            "created_by": actor.id,
        }
    }


async def emit_variable_event(
    session: AsyncSession, event_type: str, variable: Variable, actor: Actor
) -> None:
    """Emit ``variable.created|updated|deleted`` for one variable."""
    await emit(session, event_type, variable_event_data(variable, actor))


async def emit_variable_events(
    session: AsyncSession, changes: list[tuple[str, Variable]], actor: Actor
) -> None:
    """Emit the events of many variables (a ``.env`` import) in one outbox write."""
    await emit_events(session, [(t, variable_event_data(v, actor)) for t, v in changes])


async def list_variables(
    session: AsyncSession,
    environment: Environment,
    page: PageRequest,
    *,
    search: str | None = None,
    sort: str = "key",
    order: str = "asc",
) -> tuple[list[Variable], int]:
    """One page of ``environment``'s variables, optionally with keys containing ``search``."""
    query = select(Variable).where(Variable.environment_id == environment.id)
    if search:
        query = query.where(func.lower(Variable.key).like(like_pattern(search), escape="\\"))
    rows, total = await fetch_page(
        session,
        query,
        page,
        sortable=SORTABLE,
        sort=sort,
        order=order,
        default_sort="key",
        tie_breaker=Variable.id,
    )
    return [row[0] for row in rows], total


async def get_variable(
    session: AsyncSession, organization_id: str | None, variable_id: str
) -> tuple[Variable, Environment]:
    """The variable and its environment, or :class:`NotFound` (also for a foreign id)."""
    query = (
        select(Variable, Environment)
        .join(Environment, Environment.id == Variable.environment_id)
        .where(owned_by(Variable.organization_id, organization_id), Variable.id == variable_id)
    )
    row = (await session.execute(query)).first()
    if row is None:
        raise NotFound(
            f"Variable {variable_id} not found",
            details={"resource_type": "variable", "resource_id": variable_id},
        )
    return row[0], row[1]


async def _key_taken(
    session: AsyncSession, environment_id: str, key: str, exclude: str | None = None
) -> bool:
    query = select(Variable.id).where(
        Variable.environment_id == environment_id, Variable.key == key
    )
    if exclude is not None:
        query = query.where(Variable.id != exclude)
    return (await session.execute(query.limit(1))).first() is not None


def new_variable(
    environment: Environment, key: str, value: str, box: SecretBox, actor: Actor
) -> Variable:
    """A sealed, not yet added :class:`Variable` (no checks; callers validate first)."""
    now = utcnow()
    variable_id = new_id("var")
    return Variable(
        id=variable_id,
        organization_id=environment.organization_id,
        environment_id=environment.id,
        key=key,
        value_ciphertext=box.seal(value, variable_id),
        key_id=box.current_key_id,
        created_by=actor.id,
        created_by_name=actor.name,
        created_at=now,
        updated_at=now,
    )


def set_value(variable: Variable, value: str, box: SecretBox) -> None:
    """Seal ``value`` into ``variable`` with the current key."""
    variable.value_ciphertext = box.seal(value, variable.id)
    variable.key_id = box.current_key_id
    variable.updated_at = utcnow()


async def create_variable(
    session: AsyncSession, actor: Actor, box: SecretBox, data: dict[str, Any]
) -> tuple[Variable, Environment]:
    """A new variable in one of the actor's environments (404 foreign, 409 duplicate key)."""
    environment = await get_environment(session, actor.organization_id, data["environment"])
    key, value = data["key"], data["value"]
    check_key(key)
    _check_value(value)
    if await _key_taken(session, environment.id, key):
        raise _duplicate(key)
    variable = new_variable(environment, key, value, box, actor)
    session.add(variable)
    await _flush(session, key)
    await emit_variable_event(session, "variable.created", variable, actor)
    return variable, environment


async def update_variable(
    session: AsyncSession, actor: Actor, box: SecretBox, variable: Variable, data: dict[str, Any]
) -> Variable:
    """Change the value and/or rename the key (409 when the new key is taken)."""
    if "key" in data and data["key"] != variable.key:
        check_key(data["key"])
        if await _key_taken(session, variable.environment_id, data["key"], variable.id):
            raise _duplicate(data["key"])
        variable.key = data["key"]
    if "value" in data:
        _check_value(data["value"])
        set_value(variable, data["value"], box)
    variable.updated_at = utcnow()
    await _flush(session, variable.key)
    await emit_variable_event(session, "variable.updated", variable, actor)
    return variable


async def delete_variable(session: AsyncSession, actor: Actor, variable: Variable) -> None:
    await session.delete(variable)
    await session.flush()
    await emit_variable_event(session, "variable.deleted", variable, actor)


async def _flush(session: AsyncSession, key: str) -> None:
    # The pre-check gives the friendly 409; this covers a concurrent insert of the same key.
    try:
        await session.flush()
    except IntegrityError as exc:
        raise _duplicate(key) from exc
