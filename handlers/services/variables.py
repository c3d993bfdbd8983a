"""Variables (seed 004): keys unique per environment, values encrypted at rest.

A value is sealed with the app's :class:`~specway.crypto.SecretBox` (AES-GCM, the key's id in the
ciphertext) with the variable's id as associated data, so a ciphertext copied onto another row
does not open. Values never appear in log lines, error messages or events; events carry key
names only. ``decrypted_value`` is filled only for actors that may read values.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Table

from handlers.models_platform import Environment, Variable
from handlers.runtime import Actor
from handlers.services.envfile import KEY_PATTERN, is_valid_key
from specway.crypto import DecryptionError, SecretBox
from specway.errors import BadRequest, Conflict, InternalError
from specway.ids import new_id
from specway.pagination import PageRequest
from specway.plugins.webhooks.service import WebhookService
from specway.storage.database import Database
from specway.storage.store import REQUIRED, Resource, TableStore

logger = logging.getLogger("handlers.variables")

MAX_VALUE_LENGTH = 65_536
SORTABLE = ("key", "created_at", "updated_at")


def open_value(box: SecretBox, ciphertext: str, variable_id: str, key_id: str) -> str:
    """The plaintext of a stored value; one that no configured key opens is a server fault."""
    try:
        return box.open(ciphertext, variable_id)
    except DecryptionError as exc:
        logger.error(
            "variable %s cannot be decrypted (sealed with key %s): %s", variable_id, key_id, exc
        )
        raise InternalError(
            "A stored value cannot be decrypted with the configured keys",
            details={"resource_type": "variable", "resource_id": variable_id},
        ) from None


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


# --- The store: the one API the handlers use ------------------------------------------------

_VARIABLES: Table = Variable.__table__  # type: ignore[assignment]
_ENVIRONMENTS: Table = Environment.__table__  # type: ignore[assignment]

VARIABLE = Resource(
    table=_VARIABLES,
    name="variable",
    id_prefix="var",
    # The sealed value and its key's id are read to be opened (or not): VariableStore.present
    # replaces them with ``decrypted_value``.
    keys=(
        "id",
        "key",
        "value_ciphertext",
        "key_id",
        "environment",
        "environment_name",
        "created_at",
        "updated_at",
        "created_by_name",
    ),
    columns={"environment": _VARIABLES.c.environment_id, "environment_name": _ENVIRONMENTS.c.name},
    joins=((_ENVIRONMENTS, _ENVIRONMENTS.c.id == _VARIABLES.c.environment_id),),
    fields={"key": REQUIRED},
    sortable=SORTABLE,
    default_sort="key",
    default_order="asc",
    tie_ascending=True,
    search=("key",),
    filters=("environment_id",),
    events=True,
)


class VariableStore(TableStore):
    """One actor's view of the variables: values sealed on the way in, opened (or masked,
    for an actor without the ``read`` scope) on the way out; keys unique per environment
    (409); ``variable.created|updated|deleted`` events carry key names, never values.

    Every method returns the response's dicts (:meth:`present`).
    """

    resource = VARIABLE

    def __init__(
        self, database: Database, webhooks: WebhookService | None, actor: Actor, box: SecretBox
    ) -> None:
        super().__init__(database, webhooks)
        self.actor = actor
        self.box = box

    async def get_variable(self, variable_id: str) -> dict[str, Any]:
        return self.present(await self.get(self.actor.organization_id, variable_id))

    async def page_of(
        self,
        environment: dict[str, Any],
        page: PageRequest,
        *,
        search: str | None = None,
        sort: str = "key",
        order: str = "asc",
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of ``environment``'s variables (a record the environment store returned)."""
        records, total = await self.page(
            self.actor.organization_id,
            page,
            sort=sort,
            order=order,
            search=search,
            environment_id=environment["id"],
        )
        return [self.present(record) for record in records], total

    async def create_in(self, environment: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        """A new variable in ``environment`` (400 bad key or value, 409 duplicate key)."""
        key, value = data["key"], data["value"]
        check_key(key)
        _check_value(value)
        variable_id = new_id("var")
        record = await self.create(
            self.actor.organization_id,
            data,
            extra={"environment_name": environment["name"]},
            id=variable_id,
            environment_id=environment["id"],
            value_ciphertext=self.box.seal(value, variable_id),
            key_id=self.box.current_key_id,
            created_by=self.actor.id,
            created_by_name=self.actor.name,
        )
        return self.present(record, value)

    async def change(self, variable_id: str, data: dict[str, Any]) -> dict[str, Any]:
        """Change the value and/or rename the key (409 when the new key is taken)."""
        current = await self.get(self.actor.organization_id, variable_id)
        if "key" in data and data["key"] != current["key"]:
            check_key(data["key"])
        sealed: dict[str, Any] = {}
        if "value" in data:
            _check_value(data["value"])
            sealed["value_ciphertext"] = self.box.seal(data["value"], variable_id)
            sealed["key_id"] = self.box.current_key_id
        return self.present(await self.update_record(current, data, **sealed))

    async def remove(self, variable_id: str) -> None:
        await self.delete(self.actor.organization_id, variable_id)

    def present(self, record: dict[str, Any], value: str | None = None) -> dict[str, Any]:
        """The response of a stored ``record``; ``value``: its plaintext, when known."""
        shown: str | None = None
        if self.actor.can_read_values:
            shown = value
            if shown is None:
                shown = open_value(
                    self.box, record["value_ciphertext"], record["id"], record["key_id"]
                )
        return {
            "id": record["id"],
            "key": record["key"],
            "decrypted_value": shown,
            "environment": record["environment"],
            "environment_name": record["environment_name"],
            "created_at": record["created_at"],
            "updated_at": record["updated_at"],
            "created_by_name": record["created_by_name"],
        }

    def conflict(self, record: dict[str, Any]) -> Conflict:
        # The unique (environment, key) key: a duplicate, created or renamed to, is a 409.
        return _duplicate(record["key"])

    def event(self, record: dict[str, Any]) -> tuple[dict[str, Any], str | None, str | None]:
        """Key names only, never a value."""
        payload = {
            "variable": {
                "id": record["id"],
                "key": record["key"],
                "environment_id": record["environment"],
                "created_by": self.actor.id,
            }
        }
        return payload, self.actor.organization_id, None
