"""``IPAllowlistPlugin``: the contract — name, extension key and schema, install."""

from __future__ import annotations

from typing import Any, ClassVar

from specway.plugins.api import AppBuilder, ExtensionLevel, SpecwayPlugin, Stage

from .allowlist import Allowlist
from .middleware import IPAllowlistMiddleware

# Loose on purpose: `spec lint` catches the shape and gross typos, startup parses each CIDR.
_CIDRS = {
    "type": "array",
    "items": {"type": "string", "pattern": r"^[0-9A-Fa-f:.]+(/[0-9]{1,3})?$"},
}

SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "default": {
            **_CIDRS,
            "description": "CIDRs anonymous callers and organisations without their own list "
            "may call from; unset: they are not checked.",
        },
        "organizations": {
            "type": "object",
            "additionalProperties": _CIDRS,
            "description": "Organisation id → its CIDRs (replaces `default` for its callers).",
        },
        "exempt": {
            "type": "boolean",
            "description": "On an operation: never checked (health checks, login).",
        },
    },
}


class IPAllowlistPlugin(SpecwayPlugin):
    """Refuses callers outside their organisation's (or the default) CIDR list."""

    name = "ip_allowlist"
    extension_key = "x-ipallow"
    extension_schema = SCHEMA
    extension_levels: ClassVar[tuple[ExtensionLevel, ...]] = ("document", "operation")

    def install(self, builder: AppBuilder) -> None:
        fallback = Allowlist.of(self.extension, "/x-ipallow")
        rules = {
            op.operation_id: Allowlist.of(
                self.operation_extension(op.operation_id), op.pointer + "/x-ipallow"
            )
            for op in self.spec.operations.values()
        }
        builder.add_middleware(
            IPAllowlistMiddleware, Stage.AUTHENTICATED, rules=rules, fallback=fallback
        )
