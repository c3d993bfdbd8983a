"""The typed read of specway's ``x-specway-*`` extensions.

Each extension has a JSON Schema here; a document is checked against them and every mismatch
becomes a :class:`~spec.problems.Problem` with its pointer and a fix (an unknown key gets the
closest known one suggested). Values are then read into frozen dataclasses that the runtime and
codegen share. Inheritance runs document → path item → operation; the operation wins.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from jsonschema import Draft7Validator

from specway.spec.include import PARTS, VERBS
from specway.spec.plugin_names import DEFAULT_PLUGINS, PLUGIN_NAMES, REQUIRED_PLUGINS
from specway.spec.problems import Problem, pointer

ErrorStyle = Literal["nested", "status-wrapped", "flat", "problem"]
PaginationStyle = Literal["page", "cursor", "drf", "meta", "keyed", "status-wrapped"]
EnvelopeStyle = Literal["none", "status-wrapped"]
FailureMode = Literal["open", "closed"]

# The x-specway-plugins enum: the built-in plugin table's names (install order).
KNOWN_PLUGINS = PLUGIN_NAMES

_DURATION = {"type": "integer", "minimum": 1}
# An ISO 8601 duration in days, hours, minutes and seconds (``P1D``, ``PT12H``, ``P1DT30M``);
# years and months are left out because their length varies.
ISO_DURATION = r"^P(?=\d|T\d)(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$"
_ISO_UNITS = {"W": 604800, "D": 86400, "H": 3600, "M": 60, "S": 1}
# A request's cost read from the request itself, in OpenAPI runtime-expression syntax: a JSON
# pointer into the body (an array costs its length, a number its value) or a query/header value.
COST_EXPRESSION = r"^\$request\.(body(#(/[^/]*)*)?|query\.[A-Za-z0-9_.~-]+|header\.[A-Za-z0-9-]+)$"
# Keys of x-specway-ratelimit that only mean something at document level.
DOCUMENT_ONLY_RATELIMIT_KEYS = ("tiers", "default_tier", "anonymous", "reset", "headers_policy")
# An allowed CORS origin: ``*``, or scheme://host[:port] with at most one leading ``*.`` label.
CORS_ORIGIN = r"^(\*|https?://(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:[0-9]{1,5})?)$"
# What ``x-specway-cors`` allows and exposes when it does not say.
CORS_DEFAULT_HEADERS = ("Authorization", "Idempotency-Key", "X-Request-ID")
CORS_DEFAULT_EXPOSE = (
    "X-Request-ID",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "RateLimit",
    "RateLimit-Policy",
    "Retry-After",
    "Idempotent-Replayed",
    "X-Specway-Mode",
)
# The schemas below carry JSON Schema annotations (``title``, ``description``, ``default``,
# ``examples``) and two of specway's own, ``x-inheritance`` and ``x-example-at`` (the level the
# example is shown at, when not the first allowed one), for the generated extension reference
# (``docs/extensions.md``, :mod:`specway.codegen.extensions_doc`); validators ignore them.
# A CLI command: words of lowercase letters, digits and dashes (``keys generate``).
_CLI_WORDS = "^[a-z][a-z0-9-]*( [a-z][a-z0-9-]*)*$"
_POLICY = {
    "type": "object",
    "additionalProperties": False,
    "required": ["limit", "window"],
    "description": "One named limit: `limit` units per `window` seconds.",
    "properties": {
        "limit": {
            "type": "integer",
            "minimum": 1,
            "description": "Units allowed per window (a request costs 1 unless `cost` says more).",
            "examples": [100],
        },
        "window": {
            **_DURATION,
            "description": "The window's length in seconds.",
            "examples": [60],
        },
        "algorithm": {
            "enum": ["gcra", "sliding-window"],
            "description": "GCRA (smooth bursts) or a sliding-window counter (quotas); "
            "unset: `gcra` for windows up to 60 s, `sliding-window` above.",
            "examples": ["sliding-window"],
        },
        "key": {
            "enum": ["principal", "organization", "ip", "ip+email"],
            "default": "principal",
            "description": "What one counter is kept for: the caller (API key or user), the "
            "caller's organisation (one budget for all its keys and sessions), the client IP, "
            "or the client IP plus the body's `email` (login attempts).",
            "examples": ["ip+email"],
        },
        "description": {
            "type": "string",
            "default": "",
            "description": "Shown in the generated reference's rate-limit table.",
            "examples": ["Login attempts per client IP and email."],
        },
    },
}
_POLICY_SET = {
    "oneOf": [
        {"type": "array", "items": {"type": "string"}},
        {"type": "object", "additionalProperties": {"type": "integer", "minimum": 1}},
    ]
}

SCHEMAS: dict[str, dict[str, Any]] = {
    "x-specway-plugins": {
        "title": "which plugins run",
        "type": "array",
        # Any name: built-ins and installed entry points are checked by
        # specway.spec.plugin_checks, which lists the installed ones in its fix.
        "items": {"type": "string", "minLength": 1},
        "description": "The plugins this API runs: built-ins ("
        + ", ".join(f"`{name}`" for name in KNOWN_PLUGINS)
        + ") or installed third-party plugins (`specway.plugins` entry points, see "
        "[the plugin guide](plugins.md)); an unknown name is a lint error listing the installed "
        "ones. "
        + ", ".join(f"`{name}`" for name in REQUIRED_PLUGINS[:-1])
        + f" and `{REQUIRED_PLUGINS[-1]}` are always installed, and specway fixes the order "
        "they run in, whatever the list's order: built-ins in their table's order, then "
        "third-party plugins as listed.",
        # The plugin table's defaults (specway.spec.plugin_names), as model.DEFAULT_PLUGINS.
        "default": list(DEFAULT_PLUGINS),
        "examples": [["request_id", "errors", "auth", "ratelimit", "audit", "webhooks"]],
        "x-inheritance": "Document only.",
    },
    "x-specway-handlers": {
        "title": "where the handlers are",
        "type": "string",
        # A dotted package name, or a path to the package's folder (contains "/").
        "pattern": r"^(?:[A-Za-z_][A-Za-z0-9_.]*|[^/\x00][^\x00]*/[^\x00]*|/[^\x00]+)$",
        "description": "The project's handlers package: a dotted name imported from the spec's "
        "folder (or the first folder above it that is not a package), or a path to the "
        "package's folder, relative to the spec, when it contains `/`. Tag `Projects` → module "
        "`<package>.projects`, operationId `listProjects` → function `list_projects`.",
        "default": "handlers",
        "examples": ["handlers", "./src/api_handlers"],
        "x-inheritance": "Document only.",
    },
    "x-specway-migrations": {
        "title": "where the project's migrations are",
        "oneOf": [
            {"type": "string", "minLength": 1},
            {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1},
        ],
        "description": "The folder (or folders) of the project's own Alembic revisions, each "
        "holding them in `versions/`; relative to the spec's folder. `specway db upgrade` applies "
        "them after the core's and the enabled plugins' migrations (version table "
        "`alembic_version`); `specway db revision -m MSG` starts a new one in the first folder. A "
        "folder named here must exist; the default may be absent (a project without tables).",
        "default": "migrations",
        "examples": ["migrations", ["../../migrations"]],
        "x-inheritance": "Document only.",
    },
    "x-specway-errors": {
        "title": "the error envelope",
        "type": "object",
        "additionalProperties": False,
        "description": "The envelope every error response leaves in.",
        "examples": [{"style": "flat", "code_case": "upper", "field_details": "map"}],
        "x-inheritance": "Document only: one envelope for the whole API.",
        "properties": {
            "style": {
                "enum": ["nested", "status-wrapped", "flat", "problem"],
                "default": "nested",
                "description": '`nested`: `{"error": {code, message, request_id}}`; '
                '`status-wrapped`: `{"status": "error", "error": {…}}`; `flat`: '
                '`{"error": message, "details", "code", "timestamp", "request_id"}`; '
                "`problem`: RFC 9457 `application/problem+json`.",
                "examples": ["problem"],
            },
            "code_case": {
                "enum": ["lower", "upper"],
                "default": "lower",
                "description": "Spelling of error codes: `not_found` or `NOT_FOUND`.",
                "examples": ["upper"],
            },
            "codes": {
                "type": "object",
                "additionalProperties": {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9_]*$"},
                "default": {},
                "description": "Renames specway's codes (applied before `code_case`).",
                "examples": [{"not_found": "RESOURCE_NOT_FOUND"}],
            },
            "field_details": {
                "enum": ["list", "map", "object"],
                "default": "list",
                "description": "Validation details: a list `[{field, reason}]`, a map "
                "`{field: [message]}` (Django REST framework), or the first failing field "
                "`{field, reason}`.",
                "examples": ["map"],
            },
            "field_reasons": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "default": {},
                "description": "The spec's wording of specway's validation reasons in `details` "
                "(the `map` and `object` layouts), e.g. `{required: required_field_missing}`; "
                "unnamed reasons keep specway's wording (`map`: Django REST framework's "
                "`This field is required.`).",
                "examples": [{"required": "required_field_missing"}],
            },
            "validation_message": {
                "type": "string",
                "minLength": 1,
                "default": "Invalid request parameters",
                "description": "The message of a request that fails validation (400). `{field}` "
                "and `{reason}` name the first failing field and specway's reason for it "
                "(`required`, ...).",
                "examples": ["Validation failed", "Invalid parameter: {field} is {reason}"],
            },
            "messages": {
                "type": "object",
                "additionalProperties": {
                    "oneOf": [
                        {"type": "string", "minLength": 1},
                        {
                            "type": "object",
                            "additionalProperties": False,
                            "properties": {
                                "message": {"type": "string", "minLength": 1},
                                "details": {"type": "string", "minLength": 1},
                            },
                        },
                    ]
                },
                "default": {},
                "description": "The spec's wording of an error, by specway's code (before "
                "`codes` renames it): its message, or `{message, details}` where `details` "
                "replaces the details object with a sentence. `{name}` is a value of the "
                "error's details, e.g. a 429's `{retry_after}`, `{policy}`, `{limit}`, "
                "`{window}`; other braces stay as written.",
                "examples": [
                    {"rate_limited": "Rate limit exceeded. Try again in {retry_after} seconds."},
                    {
                        "rate_limited": {
                            "message": "Rate limit exceeded",
                            "details": "Too many requests. Try again in {retry_after} seconds.",
                        }
                    },
                ],
            },
            "retry_after_field": {
                "type": "boolean",
                "default": False,
                "description": "Copy a `Retry-After` header into the body as `retry_after` "
                "(seconds).",
                "examples": [True],
            },
        },
    },
    "x-specway-pagination": {
        "title": "list envelopes and page sizes",
        "type": "object",
        "additionalProperties": False,
        "description": "The envelope of list responses (a GET with a `page` or `cursor` query "
        "parameter) and the page-size bounds.",
        "examples": [{"style": "page", "default_per_page": 20, "max_per_page": 100}],
        "x-inheritance": "Document → path item → operation, property by property: an "
        "operation that sets only `max_per_page` keeps the document's `style`.",
        "properties": {
            "style": {
                "enum": ["page", "cursor", "drf", "meta", "keyed", "status-wrapped"],
                "default": "page",
                "description": '`page`: `{"data", "pagination", "links"}` plus `Link`; `drf`: '
                '`{"count", "next", "previous", "results"}`; `meta`: `{"data", "meta"}`; '
                '`keyed`: `{"<key>": [...]}`; `status-wrapped`: `{"status", "data", "meta"}`; '
                "`cursor`: the handler returns its own body and the SDKs page by its next "
                "cursor.",
                "examples": ["drf"],
            },
            "default_per_page": {
                "type": "integer",
                "minimum": 1,
                "default": 20,
                "description": "Page size when the request names none.",
                "examples": [25],
            },
            "max_per_page": {
                "type": "integer",
                "minimum": 1,
                "default": 100,
                "description": "Largest page size a request may ask for (larger is clamped).",
                "examples": [200],
            },
            "key": {
                "type": "string",
                "default": "data",
                "description": "The list's key in the `keyed` style.",
                "examples": ["projects"],
            },
            "links": {
                "enum": ["relative", "absolute"],
                "default": "relative",
                "description": "Page links (`links`, `next`/`previous`, `Link`) as paths "
                "(`/v1/projects?page=2`) or as absolute URLs of the request's scheme and host "
                "(`https://api.example.com/v1/projects?page=2`, as Django REST framework).",
                "examples": ["absolute"],
            },
            "link_query": {
                "enum": ["all", "sent"],
                "default": "all",
                "description": "The query of page links: every filter the list applies plus "
                "`per_page` (`all`), or only the parameters the request sent, with its `page` "
                "replaced (`sent`: `?page=2` for a request without parameters).",
                "examples": ["sent"],
            },
        },
    },
    "x-specway-envelope": {
        "title": "the success envelope",
        "type": "object",
        "additionalProperties": False,
        "description": "How successful bodies leave: as the handler returned them, or wrapped "
        'as `{"status": "success", "data": <body>}`. Errors are never wrapped by it.',
        "examples": [{"style": "status-wrapped", "timestamp": True}],
        "x-inheritance": "Document → path item → operation, property by property.",
        "properties": {
            "style": {
                "enum": ["none", "status-wrapped"],
                "default": "none",
                "description": "`status-wrapped` wraps every 2xx body; a list already in the "
                "`status-wrapped` pagination style is sent as is.",
                "examples": ["status-wrapped"],
            },
            "timestamp": {
                "type": "boolean",
                "default": False,
                "description": 'Add `"meta": {"timestamp"}` to wrapped bodies.',
                "examples": [True],
            },
        },
    },
    "x-specway-ratelimit": {
        "title": "rate-limit policies, tiers, costs and failure mode",
        "type": "object",
        "additionalProperties": False,
        "description": "Rate limits, enforced with one Redis round trip per request (or in "
        "memory without `SPECWAY_REDIS_URL`). The document declares the policies, tiers and "
        "anonymous limits; an operation adds policies by name, a cost or an exemption.",
        "examples": [
            {
                "policies": {
                    "burst": {"limit": 100, "window": 60},
                    "hourly": {"limit": 1000, "window": 3600},
                },
                "tiers": {"free": ["burst", "hourly"], "pro": {"hourly": 10000}},
                "anonymous": {"hourly": 100},
                "failure": "open",
            }
        ],
        "x-inheritance": "`policies` (as a mapping), `tiers`, `default_tier`, `anonymous`, "
        "`reset` and `headers_policy` are read at document level only. A path item or "
        "operation names extra `policies` (a list), applied on top of the caller's tier, and "
        "sets `cost`, `exempt` and `failure`; the operation wins over its path item, and "
        "`failure` falls back to the document's. `cost` and `exempt` are not read at document "
        "level.",
        "properties": {
            "policies": {
                "oneOf": [
                    {"type": "object", "additionalProperties": _POLICY},
                    {"type": "array", "items": {"type": "string"}},
                ],
                "default": {},
                "description": "Document: the named policies. Operation: the names of extra "
                "policies it must also pass.",
                "examples": [{"login": {"limit": 10, "window": 60, "key": "ip+email"}}, ["login"]],
            },
            "tiers": {
                "type": "object",
                "additionalProperties": _POLICY_SET,
                "description": "Tier name → its policies (a list of names) or "
                "`{policy: limit}` overrides. Unset: every policy forms one tier, `default`.",
                "examples": [{"free": ["burst", "hourly"], "pro": {"burst": 300, "hourly": 10000}}],
            },
            "default_tier": {
                "type": "string",
                "description": "The tier of a key without one. Unset: the first tier.",
                "examples": ["free"],
            },
            "anonymous": {
                **_POLICY_SET,
                "description": "Limits for callers without credentials, keyed by client IP. "
                "Unset: the default tier's policies per IP; `{}`: unlimited.",
                "examples": [{"burst": 50, "hourly": 100}],
            },
            "failure": {
                "enum": ["open", "closed"],
                "default": "open",
                "description": "When Redis cannot be reached: let the request through "
                "(`open`) or refuse it with 503 (`closed`).",
                "examples": ["closed"],
            },
            "cost": {
                "oneOf": [
                    {"type": "integer", "minimum": 0},
                    {"type": "string", "pattern": COST_EXPRESSION},
                ],
                "default": 1,
                "description": "Units a request takes: a number, or a runtime expression "
                "read from the request (`$request.body#/items` costs the array's length, "
                "`$request.query.count`, `$request.header.X-Batch-Size`).",
                "examples": [5, "$request.body#/operations"],
            },
            "exempt": {
                "type": "boolean",
                "default": False,
                "description": "No rate limit for this operation.",
                "examples": [True],
            },
            "reset": {
                "enum": ["seconds", "unix"],
                "default": "seconds",
                "description": "`X-RateLimit-Reset` as seconds from now or as Unix time.",
                "examples": ["unix"],
            },
            "headers_policy": {
                "type": "string",
                "minLength": 1,
                "description": "The policy `X-RateLimit-Limit/-Remaining/-Reset` describe while "
                "no policy refuses (e.g. the hourly quota a seed shows, `X-RateLimit-Limit: "
                "1000`). Unset, or not among a caller's policies: the one with the fewest "
                "remaining units. A refusal always describes the refusing policy.",
                "examples": ["hourly"],
            },
        },
    },
    "x-specway-audit": {
        "title": "what the audit log records",
        "oneOf": [
            {"type": "string", "minLength": 1},
            {"const": False},
            {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "actions": {
                        "enum": ["dotted", "snake"],
                        "default": "dotted",
                        "description": "How derived action names are spelled: "
                        "`project.created` or `project_created`; the target type is the part "
                        "before the verb (`project`), for named actions too.",
                        "examples": ["snake"],
                    },
                    "reads": {
                        "enum": ["named", "all", "sampled"],
                        "default": "named",
                        "description": "Which reads (GET, HEAD) are logged besides every "
                        "mutating call: those with an action of their own, all of them, or a "
                        "`sample_rate` share of them.",
                        "examples": ["all"],
                    },
                    "sample_rate": {
                        "type": "number",
                        "exclusiveMinimum": 0,
                        "maximum": 1,
                        "default": 1,
                        "description": "With `reads: sampled`, the share of reads logged.",
                        "examples": [0.1],
                    },
                },
            },
        ],
        "description": "On an operation: the audit action it is logged as, or `false` to log "
        "nothing. Every mutating operation is audited without it, its action derived from the "
        "operationId (`deleteProject` → `project.deleted`); a read with an action is audited "
        "too. On the document: an object, `actions` (`dotted`: `project.created`, default; "
        "`snake`: `project_created`, the target type being what precedes the verb), `reads` "
        "(`named`: only reads with an action, default; `all`; `sampled`) and `sample_rate` "
        "(the share of reads `sampled` logs, 0-1).",
        "examples": ["project.imported", False],
        "x-inheritance": "An operation's action or `false`; the document's object (an object "
        "on an operation is a startup error).",
        "x-example-at": "operation",
    },
    "x-specway-sdk-name": {
        "title": "an operation's method name in the generated SDKs",
        "type": "string",
        "pattern": "^[a-z][a-z0-9]*(_[a-z0-9]+)*$",
        "description": "The SDK method of the operation, in snake case: `client.webhooks."
        "add_to_project` in Python, `addToProject` in TypeScript, `AddToProject` in Go. "
        "Unset, the name is the resource's verb read from the operationId and the path "
        "(`createProjectWebhook` → `webhooks.create_for_project` beside `webhooks.create`).",
        "examples": ["add_to_project"],
        "x-inheritance": "Operation only.",
    },
    "x-specway-event-data": {
        "title": "what each server-sent event's `data` is",
        "type": "object",
        "additionalProperties": False,
        "required": ["$ref"],
        "properties": {
            "$ref": {
                "type": "string",
                "pattern": "^#/components/schemas/[^/]+$",
                "description": "The component schema of `data`, sent as JSON.",
                "examples": ["#/components/schemas/LogLine"],
            }
        },
        "description": "On a `text/event-stream` operation: each event's `data` is this schema "
        "as JSON. The generated SDKs' stream methods decode it into the schema's model "
        "(`for line in client.logs.stream(...)`: `line.timestamp`); without it they yield "
        "the `data` text. See [streaming](streaming.md).",
        "examples": [{"$ref": "#/components/schemas/LogLine"}],
        "x-inheritance": "Operation only.",
    },
    "x-specway-sdk": {
        "title": "the generated SDKs' package, class and argument names",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "python": {
                "type": "object",
                "additionalProperties": False,
                "description": "The Python SDK's names.",
                "examples": [{"package": "hexabase", "client": "Client"}],
                "properties": {
                    "package": {
                        "type": "string",
                        "pattern": "^[a-z_][a-z0-9_]*$",
                        "description": "The import name (`from hexabase import Client`); "
                        "default: the title's first word + `_client`.",
                        "examples": ["hexabase"],
                    },
                    "distribution": {
                        "type": "string",
                        "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]*$",
                        "description": "The pip distribution; default: the package with `-`.",
                        "examples": ["hexabase-sdk"],
                    },
                    "client": {
                        "type": "string",
                        "pattern": "^[A-Z][A-Za-z0-9]*$",
                        "description": "The client class (`Client`); `async with` it gives "
                        "the asyncio client.",
                        "examples": ["KeyNestClient"],
                    },
                    "async_client": {
                        "type": "string",
                        "pattern": "^[A-Z][A-Za-z0-9]*$",
                        "description": "The asyncio client class; default `Async` + `client`.",
                        "examples": ["AsyncKeyNestClient"],
                    },
                },
            },
            "typescript": {
                "type": "object",
                "additionalProperties": False,
                "description": "The TypeScript SDK's names.",
                "examples": [{"package": "@hexabase/sdk", "client": "HexabaseClient"}],
                "properties": {
                    "package": {
                        "type": "string",
                        "pattern": "^(@[a-z0-9~-][a-z0-9._~-]*/)?[a-z0-9~-][a-z0-9._~-]*$",
                        "description": "The npm package; default: the title's first word + "
                        "`-client`.",
                        "examples": ["@hexabase/sdk"],
                    },
                    "client": {
                        "type": "string",
                        "pattern": "^[A-Z][A-Za-z0-9]*$",
                        "description": "The client class; default `Client`.",
                        "examples": ["HexabaseClient"],
                    },
                    "default_export": {
                        "type": "boolean",
                        "description": "The client class is the package's default export: "
                        "`require(package)` returns the class itself (the named exports are "
                        "its properties) and `import Client from package` works. Default "
                        "`false`: `const { Client } = require(package)`.",
                        "examples": [True],
                    },
                },
            },
            "go": {
                "type": "object",
                "additionalProperties": False,
                "description": "The Go SDK's names.",
                "examples": [{"module": "github.com/hexabase-ai/hexabase-go"}],
                "properties": {
                    "module": {
                        "type": "string",
                        "pattern": "^[a-z0-9.-]+(/[A-Za-z0-9._~-]+)+$",
                        "description": "The module path; default `github.com/<word>/<word>-go`.",
                        "examples": ["github.com/hexabase-ai/hexabase-go"],
                    },
                    "package": {
                        "type": "string",
                        "pattern": "^[a-z][a-z0-9]*$",
                        "description": "The package name; default: the title's first word.",
                        "examples": ["hexabase"],
                    },
                },
            },
            "credential": {
                "type": "object",
                "additionalProperties": False,
                "description": "How the Python client takes and sends its key.",
                "examples": [{"alias": "token", "prefix": "Token "}],
                "properties": {
                    "alias": {
                        "type": "string",
                        "pattern": "^[a-z][a-z0-9_]*$",
                        "description": "A second name of the client's `api_key` argument.",
                        "examples": ["token"],
                    },
                    "prefix": {
                        "type": "string",
                        "description": "Sent before the key in an `apiKey` scheme's header.",
                        "examples": ["Token "],
                    },
                },
            },
            "operations": {
                "type": "object",
                "description": "Per operationId: where the SDKs put the operation and what "
                "they call its arguments.",
                "examples": [{"createVariable": {"arguments": {"environment": "environment_id"}}}],
                "additionalProperties": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "resource": {
                            "type": "string",
                            "pattern": "^[a-z][a-z0-9]*(_[a-z0-9]+)*$",
                            "description": "The resource it is on, in snake case; default: "
                            "its first tag's.",
                            "examples": ["environments"],
                        },
                        "method": {
                            "type": "string",
                            "pattern": "^[a-z][a-z0-9]*(_[a-z0-9]+)*$",
                            "description": "The method, as `x-specway-sdk-name` sets it.",
                            "examples": ["variables"],
                        },
                        "arguments": {
                            "type": "object",
                            "additionalProperties": {
                                "type": "string",
                                "pattern": "^[a-z][a-z0-9]*(_[a-z0-9]+)*$",
                            },
                            "description": "Parameter or body field name → the Python SDK's "
                            "argument name; the TypeScript SDK takes it in camel case "
                            "(`environment_id` → `environmentId`).",
                            "examples": [{"environment_id": "env_id"}],
                        },
                    },
                },
            },
            "cli": {
                "oneOf": [
                    {"const": False},
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "name": {
                                "type": "string",
                                "pattern": "^[a-z][a-z0-9-]*$",
                                "description": "The console script (`[project.scripts]`); its "
                                "upper case names the environment variables (`KEYNEST_TOKEN`, "
                                "`KEYNEST_BASE_URL`) and its config file "
                                "(`~/.config/keynest/config.json`). Default: the Python "
                                "distribution's name (`keynest-client`).",
                                "examples": ["keynest"],
                            },
                            "commands": {
                                "type": "object",
                                "propertyNames": {"pattern": _CLI_WORDS},
                                "additionalProperties": {
                                    "oneOf": [
                                        {"type": "string"},
                                        {
                                            "type": "object",
                                            "additionalProperties": False,
                                            "required": ["operation"],
                                            "properties": {
                                                "operation": {"type": "string"},
                                                "defaults": {"type": "object"},
                                            },
                                        },
                                    ]
                                },
                                "description": "Command words → an operationId, or "
                                "`{operation, defaults}` where `defaults` gives parameters or "
                                "body fields (by wire name) their value when the option is not "
                                "passed. Beside the `<resource> <method>` commands every "
                                "client method gets; a command of the same words replaces one.",
                                "examples": [
                                    {
                                        "env export": "exportEnvironment",
                                        "keys generate": {
                                            "operation": "createApiKey",
                                            "defaults": {"name": "CLI key"},
                                        },
                                    }
                                ],
                            },
                        },
                    },
                ],
                "description": "The command-line tool generated with the Python SDK "
                "(`<package>/_cli.py`, stdlib argparse over the SDK client): `false` for none. "
                "Credentials come from `--token`, `<NAME>_TOKEN`, or the file `<name> config "
                "set-token TOKEN` writes; responses print as JSON (text ones raw), `--output "
                "FILE` writes them to a file.",
                "examples": [{"name": "keynest", "commands": {"env export": "exportEnvironment"}}],
            },
        },
        "description": "Names of the generated SDKs where the defaults derived from "
        "`info.title` (`keynest_client`, `Client`, `AsyncClient`, `keynest-client`, "
        "`github.com/keynest/keynest-go`) are not the product's own, and where an operation "
        "sits on the client. Every Python `Client` also works as `async with Client(...) as "
        "client`, which gives its asyncio twin.",
        "examples": [
            {
                "python": {"package": "keynest", "client": "KeyNestClient"},
                "typescript": {
                    "package": "@keynest/sdk",
                    "client": "KeyNest",
                    "default_export": True,
                },
                "credential": {"alias": "token", "prefix": "Token "},
                "operations": {
                    "listEnvironmentVariables": {
                        "resource": "environments",
                        "method": "variables",
                        "arguments": {"environment_id": "env_id"},
                    }
                },
            }
        ],
        "x-inheritance": "Document only.",
    },
    "x-specway-idempotency": {
        "title": "`Idempotency-Key` handling",
        "type": "boolean",
        "description": "Whether `Idempotency-Key` is honoured: the first response is stored and "
        "replayed for a retry with the same key; the same key with another body gets 422. "
        "Unset: on for POST, off otherwise (it applies to POST, PUT, PATCH and DELETE).",
        "examples": [True],
        "x-inheritance": "Path item → operation; the operation wins. Accepted at document "
        "level but not read there yet: set it on path items or operations.",
        "x-example-at": "operation",
    },
    "x-specway-events": {
        "title": "the webhook events an operation emits",
        "type": "array",
        "items": {"type": "string"},
        "default": [],
        "description": "The webhook events the operation emits; each must be declared under "
        "`x-webhooks`. The reference docs list them with the operation.",
        "examples": [["project.created"]],
        "x-inheritance": "Operation only.",
    },
    "x-specway-webhooks": {
        "title": "how webhook deliveries are signed",
        "type": "object",
        "additionalProperties": False,
        "description": "The seeds' signature of each delivery, beside the Standard Webhooks "
        "headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`) that are always sent: "
        "HMAC-SHA256 of the body keyed with the endpoint's `whsec_…` secret, as lowercase hex.",
        "examples": [{"signature": {"header": "X-Signature", "prefix": "", "body_field": None}}],
        "x-inheritance": "Document only.",
        "properties": {
            "signature": {
                "type": "object",
                "additionalProperties": False,
                "description": "Where the hex HMAC goes and how it is written.",
                "examples": [{"prefix": "", "body_field": "signature"}],
                "properties": {
                    "header": {
                        "type": ["string", "null"],
                        "pattern": "^[A-Za-z0-9-]+$",
                        "default": "X-Signature",
                        "description": "The header that carries it; `null`: none.",
                        "examples": ["X-Hub-Signature-256"],
                    },
                    "prefix": {
                        "type": "string",
                        "default": "sha256=",
                        "description": "Written before the hex digest (header and body field).",
                        "examples": [""],
                    },
                    "body_field": {
                        "type": ["string", "null"],
                        "pattern": "^[A-Za-z_][A-Za-z0-9_]*$",
                        "default": None,
                        "description": "A top-level field of the JSON body that carries it "
                        "too, added as the body's last member; it signs the body without that "
                        'member (the bytes with `,"<field>":"…"` removed). The header, if any, '
                        "signs the body as sent.",
                        "examples": ["signature"],
                    },
                },
            },
        },
    },
    "x-specway-versioning": {
        "title": "API versions by media type",
        "type": "object",
        "additionalProperties": False,
        "required": ["vendor", "versions"],
        "description": "API versions chosen by media type, "
        "`Accept: application/vnd.<vendor>.<version>+json`; a version the document does not "
        "serve gets 406.",
        "examples": [{"vendor": "hexabase", "versions": ["v1", "v2"], "default": "v2"}],
        "x-inheritance": "Document only.",
        "properties": {
            "vendor": {
                "type": "string",
                "pattern": "^[a-z][a-z0-9-]*$",
                "description": "The vendor part of the media type.",
                "examples": ["acme"],
            },
            "versions": {
                "type": "array",
                "minItems": 1,
                "uniqueItems": True,
                "items": {"type": "string", "pattern": "^v[0-9]+$"},
                "description": "The versions this document serves.",
                "examples": [["v1", "v2"]],
            },
            "default": {
                "type": "string",
                "pattern": "^v[0-9]+$",
                "description": "The version a bare `application/vnd.<vendor>+json` asks for. "
                "Unset: the last of `versions`.",
                "examples": ["v1"],
            },
        },
    },
    "x-specway-include": {
        "title": "the platform operations this API includes",
        "description": "Parts of the platform specway ships (their operations, schemas, events "
        "and handlers), merged into this document at load time: "
        + "; ".join(f"`{p.name}`: {p.summary}" for p in PARTS.values())
        + ". A list of part names, or an object with `prefix` (mounted under it, e.g. `/v1`; "
        "default: the `/api`- or `/v1`-like start every path of the document shares), "
        "`scopes` (the scope name each verb `read`/`write`/`delete`/`admin` becomes; default "
        "`<resource>:<verb>`, e.g. `api_keys:write`) and `parts`; a part may be an object with "
        "its own `prefix`, `scopes`, `options` and `operations` (per operationId: fields laid "
        "over the operation, e.g. `summary`, `security`, `x-specway-ratelimit`; `false` leaves it "
        "out). The document's own paths, components, tags and events of the same name win.",
        "oneOf": [
            {"$ref": "#/$defs/parts"},
            {
                "type": "object",
                "additionalProperties": False,
                "required": ["parts"],
                "properties": {
                    "prefix": {"$ref": "#/$defs/prefix"},
                    "scopes": {"$ref": "#/$defs/scopes"},
                    "parts": {"$ref": "#/$defs/parts"},
                },
            },
        ],
        "$defs": {
            "prefix": {"type": "string", "pattern": r"^(/[^/{}\s]+)*/?$"},
            "scopes": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    verb: {"type": "string", "minLength": 1, "pattern": r"^\S+$"} for verb in VERBS
                },
            },
            "parts": {
                "type": "array",
                "items": {
                    "oneOf": [
                        {"enum": list(PARTS)},
                        {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["part"],
                            "properties": {
                                "part": {"enum": list(PARTS)},
                                "prefix": {"$ref": "#/$defs/prefix"},
                                "scopes": {"$ref": "#/$defs/scopes"},
                                "options": {"type": "object"},
                                "operations": {
                                    "type": "object",
                                    "additionalProperties": {
                                        "oneOf": [{"type": "object"}, {"const": False}]
                                    },
                                },
                            },
                        },
                    ]
                },
            },
        },
        "examples": [
            ["api-keys", "webhooks", "audit-logs"],
            {"prefix": "/v1", "parts": ["accounts", {"part": "api-keys"}]},
        ],
        "x-inheritance": "Document only.",
    },
    "x-specway-part": {
        "title": "the part an operation came from",
        "type": "string",
        "enum": list(PARTS),
        "description": "Set by `x-specway-include` on the operations it merges in (the app serves "
        "them with the part's handlers); not written by hand.",
        "examples": ["api-keys"],
        "x-inheritance": "Operation only.",
    },
    "x-specway-cors": {
        "title": "cross-origin requests from browsers",
        "type": "object",
        "additionalProperties": False,
        "description": "What the `cors` plugin lets browser pages on other origins do. A "
        "preflight (`OPTIONS` with `Access-Control-Request-Method`) is answered before "
        "routing, authentication and rate limiting: 204 with the `Access-Control-Allow-*` "
        "headers for an allowed origin, 403 in the error envelope otherwise. Every other "
        "response (errors included) to an allowed origin carries `Access-Control-Allow-Origin` "
        "and `Access-Control-Expose-Headers`. `SPECWAY_CORS_ORIGINS`, when set, replaces "
        "`origins` for one deployment. Read only when `cors` is in `x-specway-plugins`.",
        "examples": [
            {
                "origins": ["https://app.example.com", "https://*.example.dev"],
                "headers": ["Authorization", "Content-Type", "Idempotency-Key"],
                "max_age": 600,
            }
        ],
        "x-inheritance": "Document only.",
        "properties": {
            "origins": {
                "type": "array",
                "uniqueItems": True,
                "items": {"type": "string", "pattern": CORS_ORIGIN},
                "default": [],
                "description": "Origins allowed to call the API: exact "
                "(`https://app.example.com`), one wildcard label "
                "(`https://*.example.com`, any subdomain, not the bare domain) or `*` (any "
                "origin; not with `credentials`). Unset and no `SPECWAY_CORS_ORIGINS`: "
                "startup fails.",
                "examples": [["https://app.example.com", "https://*.example.dev"]],
            },
            "methods": {
                "type": "array",
                "minItems": 1,
                "uniqueItems": True,
                "items": {"enum": ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]},
                "description": "Methods a preflight may ask for. Unset: every method an "
                "operation of the document uses.",
                "examples": [["GET", "POST"]],
            },
            "headers": {
                "type": "array",
                "uniqueItems": True,
                "items": {"type": "string", "pattern": r"^(\*|[A-Za-z0-9!#$%&'*+.^_`|~-]+)$"},
                "default": list(CORS_DEFAULT_HEADERS),
                "description": "Request headers a preflight may ask for, besides the "
                "CORS-safelisted ones (`Accept`, `Accept-Language`, `Content-Language`, "
                "`Content-Type`, always allowed); `*` allows any.",
                "examples": [["Authorization", "Idempotency-Key", "X-Client-Version"]],
            },
            "expose_headers": {
                "type": "array",
                "uniqueItems": True,
                "items": {"type": "string", "pattern": r"^[A-Za-z0-9!#$%&'+.^_`|~-]+$"},
                "default": list(CORS_DEFAULT_EXPOSE),
                "description": "Response headers page scripts may read: by default the "
                "request id, the rate-limit headers, `Retry-After`, `Idempotent-Replayed` and "
                "`X-Specway-Mode`.",
                "examples": [["X-Request-ID", "Retry-After"]],
            },
            "credentials": {
                "type": "boolean",
                "default": False,
                "description": "Send `Access-Control-Allow-Credentials: true`, so pages may "
                "call with cookies or HTTP authentication. The origin is then always echoed, "
                "never `*`, and `origins: ['*']` is refused.",
                "examples": [True],
            },
            "max_age": {
                "type": "integer",
                "minimum": 0,
                "maximum": 86400,
                "default": 600,
                "description": "Seconds a browser may cache a preflight's answer "
                "(`Access-Control-Max-Age`; browsers cap it at 2 h or 24 h).",
                "examples": [3600],
            },
        },
    },
    "x-specway-dashboard": {
        "title": "the web dashboard: API tokens and webhooks",
        "type": "object",
        "additionalProperties": False,
        "required": ["path"],
        "description": "Server-rendered pages of the `dashboard` plugin where an organisation's "
        "users sign in with their email and password (the `auth` plugin's accounts), list, "
        "create (the secret shown once) and revoke API keys, and list, create (the signing "
        "secret shown once) and delete webhook endpoints for the spec's events. Keys and "
        "endpoints go through the same stores and rules as the API: scopes the user's role "
        "holds, only admins (or a role holding the API-keys write scope) create and revoke "
        "keys, the webhook URL allow-list, audit rows. The session is an `HttpOnly`, "
        "`SameSite=Strict` cookie (`Secure` except over plain http on localhost) scoped to "
        "`path`; every form carries a CSRF token; every page is sent with "
        "`Content-Security-Policy: default-src 'self'` and `X-Frame-Options: DENY`. Read only "
        "when `dashboard` is in `x-specway-plugins` (which needs `auth`; the webhooks page "
        "needs `webhooks`).",
        "examples": [{"path": "/dashboard", "title": "example.com dashboard", "signup": True}],
        "x-inheritance": "Document only.",
        "properties": {
            "path": {
                "type": "string",
                "pattern": r"^(/[A-Za-z0-9._~-]+)+$",
                "description": "Where the pages live, outside the API's base path: "
                "`{path}/login`, `{path}/api-tokens`, `{path}/webhooks`, `{path}/logout` "
                "(and `{path}/signup` with `signup`).",
                "examples": ["/dashboard"],
            },
            "title": {
                "type": "string",
                "minLength": 1,
                "maxLength": 80,
                "description": "The name in every page's title and header. Unset: the "
                "spec's `info.title`.",
                "examples": ["example.com dashboard"],
            },
            "signup": {
                "type": "boolean",
                "default": False,
                "description": "Serve `{path}/signup`: anyone may create an account (email "
                "and password, the registration rules of the `accounts` part), which gets its "
                "own organisation with the new user as admin.",
                "examples": [True],
            },
            "login_limit": {
                "type": "object",
                "additionalProperties": False,
                "required": ["limit", "window"],
                "description": "Sign-in and sign-up attempts allowed per client IP address "
                "per `window` seconds (the `ratelimit` plugin's backend: Redis when "
                "configured); further attempts get the form again with status 429 and "
                "`Retry-After`.",
                "default": {"limit": 10, "window": 60},
                "examples": [{"limit": 5, "window": 300}],
                "properties": {
                    "limit": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": 10000,
                        "description": "Attempts allowed per window.",
                        "examples": [5],
                    },
                    "window": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": 86400,
                        "description": "The window, in seconds.",
                        "examples": [300],
                    },
                },
            },
        },
    },
    "x-specway-auth": {
        "title": "API-key prefixes and the test-mode sandbox",
        "type": "object",
        "additionalProperties": False,
        "description": "API-key prefixes and the test-mode sandbox of the `auth` plugin.",
        "examples": [
            {
                "key_prefix": "sk_live_",
                "test_key_prefix": "sk_test_",
                "sandbox": {"isolated": True, "ratelimit": True, "reset_after": "P1D"},
            }
        ],
        "x-inheritance": "Document only.",
        "properties": {
            "scopes": {
                "description": "The scopes API keys can hold, in order (a list, or a map of name "
                "to description). Unset: every scope the operations' `security` requirements "
                "name. `keys generate --scope` and `POST …/api-keys` accept only these.",
                "oneOf": [
                    {
                        "type": "array",
                        "minItems": 1,
                        "uniqueItems": True,
                        "items": {"type": "string", "pattern": r"^[^\s,]+$"},
                    },
                    {
                        "type": "object",
                        "minProperties": 1,
                        "propertyNames": {"pattern": r"^[^\s,]+$"},
                        "additionalProperties": {"type": "string"},
                    },
                ],
                "examples": [["books:read", "books:write", "admin"]],
            },
            "roles": {
                "type": "object",
                "additionalProperties": False,
                "description": 'Each organisation role\'s scopes (`"*"`: all). Default: `admin` '
                "all, `member` all but `admin`/`*:admin`, `viewer` only `read`/`*:read`.",
                "properties": {
                    role: {
                        "oneOf": [
                            {"const": "*"},
                            {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
                        ],
                        "description": f'The scopes an `{role}` may use (`"*"`: all).',
                        "examples": [example],
                    }
                    for role, example in (
                        ("admin", "*"),
                        ("member", ["books:read", "books:write"]),
                        ("viewer", ["books:read"]),
                    )
                },
                "examples": [{"viewer": ["books:read"], "member": ["books:read", "books:write"]}],
            },
            "key_prefix": {
                "type": "string",
                "pattern": "^[a-z][a-z0-9_]*_$",
                "default": "sk_live_",
                "description": "Prefix of live API keys (lower case, ends with `_`).",
                "examples": ["acme_live_"],
            },
            "test_key_prefix": {
                "type": "string",
                "pattern": "^[a-z][a-z0-9_]*_$",
                "default": "sk_test_",
                "description": "Prefix of test-mode keys, which act in a sandbox.",
                "examples": ["acme_test_"],
            },
            "token_format": {
                "enum": ["hex40"],
                "default": "hex40",
                "description": "Format of login session tokens: 40 hexadecimal characters.",
                "examples": ["hex40"],
            },
            "session_tokens": {
                "enum": ["per-login", "per-user"],
                "default": "per-login",
                "description": "What a login hands out. `per-login`: a new token each time "
                "(earlier ones stay valid until logout). `per-user`: the token of the user's "
                "live session in that organisation, the same one every time until it is "
                "revoked (logout), as Django REST framework's `TokenAuthentication` does. "
                "Such tokens are derived from `SPECWAY_SECRET_KEY` and the session's id, so "
                "only their digests are stored either way; rotating the secret key gives the "
                "next login a new token.",
                "examples": ["per-user"],
            },
            "sandbox": {
                "type": "object",
                "additionalProperties": False,
                "description": "What test-mode keys get.",
                "examples": [{"isolated": True, "reset_after": "P1D"}],
                "properties": {
                    "isolated": {
                        "type": "boolean",
                        "default": True,
                        "description": "A test key acts in a sandbox twin of its organisation "
                        "and never sees live data (`false`: it shares the live data).",
                        "examples": [False],
                    },
                    "ratelimit": {
                        "type": "boolean",
                        "default": True,
                        "description": "Test-mode calls are rate limited like live ones "
                        "(`false`: they bypass the limiter).",
                        "examples": [False],
                    },
                    "reset_after": {
                        "oneOf": [
                            {"type": "integer", "minimum": 1},
                            {"type": "string", "pattern": ISO_DURATION},
                            {"type": "null"},
                        ],
                        "default": None,
                        "description": "Seconds, or an ISO 8601 duration (`P1D`, `PT12H`), "
                        "after which a sandbox's data is purged (checked every 10 minutes; "
                        "`specway sandbox reset` does it on demand). `null`: only on demand.",
                        "examples": ["P1D", 3600],
                    },
                },
            },
        },
    },
}

# Which extensions may stand at which level.
DOCUMENT_KEYS = frozenset(SCHEMAS) - {
    "x-specway-events",
    "x-specway-part",
    "x-specway-sdk-name",
    "x-specway-event-data",
}
OPERATION_KEYS = frozenset(
    {
        "x-specway-ratelimit",
        "x-specway-audit",
        "x-specway-idempotency",
        "x-specway-events",
        "x-specway-pagination",
        "x-specway-envelope",
        "x-specway-part",
        "x-specway-sdk-name",
        "x-specway-event-data",
    }
)
PATH_KEYS = OPERATION_KEYS - {
    "x-specway-events",
    "x-specway-audit",
    "x-specway-sdk-name",
    "x-specway-event-data",
}


@dataclass(frozen=True, slots=True)
class RateLimitPolicy:
    """One named limit: ``limit`` units per ``window`` seconds."""

    name: str
    limit: int
    window: int
    algorithm: Literal["gcra", "sliding-window"] = "gcra"
    key: Literal["principal", "organization", "ip", "ip+email"] = "principal"
    description: str = ""


@dataclass(frozen=True, slots=True)
class RateLimitConfig:
    """Document-level rate limits: the named policies, tiers and the anonymous set.

    Already resolved by the model: with no ``tiers`` declared, every policy forms one tier
    named ``default``; with no ``anonymous`` declared, anonymous callers get the default tier's
    policies keyed by client IP. ``anonymous: {}`` (declared but empty) leaves them unlimited.
    ``reset`` is how ``X-RateLimit-Reset`` counts: seconds from now (default) or Unix time.
    """

    policies: dict[str, RateLimitPolicy] = field(default_factory=dict)
    tiers: dict[str, tuple[RateLimitPolicy, ...]] = field(default_factory=dict)
    default_tier: str | None = None
    anonymous: tuple[RateLimitPolicy, ...] = ()
    failure: FailureMode = "open"
    reset: Literal["seconds", "unix"] = "seconds"
    headers_policy: str | None = None

    def for_tier(self, tier: str | None) -> tuple[RateLimitPolicy, ...]:
        """The policies of ``tier``; an unknown or missing tier gets the default tier's."""
        if tier is not None and tier in self.tiers:
            return self.tiers[tier]
        if self.default_tier is not None:
            return self.tiers.get(self.default_tier, ())
        return ()


@dataclass(frozen=True, slots=True)
class OperationRateLimit:
    """An operation's own rate-limit settings, already merged with its path and document.

    ``policies`` are the operation's extra policies (e.g. ``login``), applied on top of the
    caller's tier or the anonymous set; ``cost`` is a fixed number of units or a runtime
    expression (:data:`COST_EXPRESSION`) such as ``$request.body#/operations``.
    """

    policies: tuple[RateLimitPolicy, ...] = ()
    cost: int | str = 1
    failure: FailureMode = "open"
    exempt: bool = False


@dataclass(frozen=True, slots=True)
class ErrorsConfig:
    """How errors leave: envelope ``style``, code spelling and detail layout.

    ``codes`` renames codes (``{not_found: RESOURCE_NOT_FOUND}``), applied before
    ``code_case``; ``field_details: map`` turns the field list ``[{field, reason}]`` into the
    Django REST framework layout ``{field: [message]}``, ``field_details: object`` into the first
    failing field ``{field, reason}`` (all of them under ``errors`` when there are several);
    ``field_reasons`` rewords specway's reasons in those layouts; ``validation_message`` is a
    validation 400's message (``{field}``/``{reason}`` of the first failing field);
    ``messages`` rewords an error by code (message, or message and a details sentence);
    ``retry_after_field`` copies a
    ``Retry-After`` header into the body as ``retry_after`` (seconds).
    """

    style: ErrorStyle = "nested"
    code_case: Literal["lower", "upper"] = "lower"
    codes: dict[str, str] = field(default_factory=dict)
    field_details: Literal["list", "map", "object"] = "list"
    field_reasons: dict[str, str] = field(default_factory=dict)
    validation_message: str = "Invalid request parameters"
    messages: dict[str, str | dict[str, str]] = field(default_factory=dict)
    retry_after_field: bool = False


@dataclass(frozen=True, slots=True)
class AuditConfig:
    """The document's ``x-specway-audit`` object: action spelling and which reads are logged."""

    actions: Literal["dotted", "snake"] = "dotted"
    reads: Literal["named", "all", "sampled"] = "named"
    sample_rate: float = 1.0

    @classmethod
    def of(cls, raw: Any) -> AuditConfig:
        """Read the (schema-checked) document value; anything but an object gives defaults."""
        if not isinstance(raw, dict):
            return cls()
        rate = raw.get("sample_rate", 1.0)
        return cls(
            actions="snake" if raw.get("actions") == "snake" else "dotted",
            reads=raw["reads"] if raw.get("reads") in ("all", "sampled") else "named",
            sample_rate=float(rate) if isinstance(rate, int | float) else 1.0,
        )


@dataclass(frozen=True, slots=True)
class WebhookSigningConfig:
    """``x-specway-webhooks.signature``: the hex HMAC-SHA256 of a delivery's body, in
    ``header`` (``None``: no header) and, when ``body_field`` is set, in that body field, each
    written after ``prefix``."""

    header: str | None = "X-Signature"
    prefix: str = "sha256="
    body_field: str | None = None

    @classmethod
    def of(cls, raw: Any) -> WebhookSigningConfig:
        """Read the (schema-checked) extension value; ``None`` gives the defaults."""
        signature = raw.get("signature") if isinstance(raw, dict) else None
        if not isinstance(signature, dict):
            return cls()
        header = signature.get("header", "X-Signature")
        field_name = signature.get("body_field")
        prefix = signature.get("prefix", "sha256=")
        return cls(
            header=header if isinstance(header, str) else None,
            prefix=prefix if isinstance(prefix, str) else "sha256=",
            body_field=field_name if isinstance(field_name, str) else None,
        )


@dataclass(frozen=True, slots=True)
class PaginationConfig:
    style: PaginationStyle = "page"
    default_per_page: int = 20
    max_per_page: int = 100
    key: str = "data"
    links: Literal["relative", "absolute"] = "relative"
    link_query: Literal["all", "sent"] = "all"


def duration_seconds(value: int | str) -> int:
    """Seconds in ``value``: an integer already is; an ISO 8601 duration (``P1D``) is converted.

    Raises ``ValueError`` for a string that is not an :data:`ISO_DURATION`.
    """
    if isinstance(value, int):
        return value
    if re.fullmatch(ISO_DURATION, value) is None:
        raise ValueError(f"not an ISO 8601 duration: {value!r}")
    date_part, _, time_part = value[1:].partition("T")
    total = 0
    for part, units in ((date_part, "WD"), (time_part, "HMS")):
        for amount, unit in re.findall(r"(\d+)([A-Z])", part):
            if unit in units:
                total += int(amount) * _ISO_UNITS[unit]
    return total


@dataclass(frozen=True, slots=True)
class SandboxConfig:
    """What test-mode keys (``test_key_prefix``) get: ``x-specway-auth.sandbox``.

    ``isolated``: a test key acts in a sandbox twin of its organisation, so it never sees or
    changes live data (off: test keys share the live data). ``ratelimit``: test-mode calls are
    rate limited like live ones (off: they bypass the limiter). ``reset_after``: seconds after
    which ``specway sandbox reset`` purges a sandbox's data (``None``: only when asked).
    """

    isolated: bool = True
    ratelimit: bool = True
    reset_after: int | None = None

    @classmethod
    def of(cls, raw: Any) -> SandboxConfig:
        """Read the (schema-checked) extension value; ``None`` gives the defaults."""
        if not isinstance(raw, dict):
            return cls()
        reset = raw.get("reset_after")
        try:
            seconds = duration_seconds(reset) if isinstance(reset, int | str) else None
        except ValueError:  # reported by the schema check; never a crash while linting
            seconds = None
        return cls(
            isolated=raw.get("isolated", True) is not False,
            ratelimit=raw.get("ratelimit", True) is not False,
            reset_after=seconds,
        )


@dataclass(frozen=True, slots=True)
class EnvelopeConfig:
    """How successful bodies leave: as the handler returned them, or wrapped.

    ``status-wrapped`` sends ``{"status": "success", "data": <body>}`` for every 2xx response
    with a body, plus ``"meta": {"timestamp"}`` when ``timestamp`` is on. A list operation whose
    pagination style is ``status-wrapped`` already has that shape and is sent as is; errors are
    the ``errors`` plugin's business and are never wrapped.
    """

    style: EnvelopeStyle = "none"
    timestamp: bool = False


@dataclass(frozen=True, slots=True)
class AuthConfig:
    key_prefix: str = "sk_live_"
    test_key_prefix: str = "sk_test_"
    token_format: Literal["hex40"] = "hex40"  # noqa: S105 - a format name, not a secret
    session_tokens: Literal["per-login", "per-user"] = "per-login"
    sandbox: SandboxConfig = field(default_factory=SandboxConfig)

    @classmethod
    def of(cls, raw: Any) -> AuthConfig:
        """Read the ``x-specway-auth`` value; ``None`` gives the defaults.

        Values the schema check refuses are left at their defaults here, so that check can
        report every problem at once.
        """
        raw = raw if isinstance(raw, dict) else {}
        names = ("key_prefix", "test_key_prefix", "token_format")
        values = {k: raw[k] for k in names if isinstance(raw.get(k), str)}
        if raw.get("session_tokens") in ("per-login", "per-user"):
            values["session_tokens"] = raw["session_tokens"]
        return cls(**values, sandbox=SandboxConfig.of(raw.get("sandbox")))


def read_envelope(raw: Any, base: EnvelopeConfig | None = None) -> EnvelopeConfig:
    """``x-specway-envelope`` over ``base``; values the schema refuses (already reported by
    :func:`check_extensions`) keep ``base``'s."""
    base = base or EnvelopeConfig()
    if not isinstance(raw, dict):
        return base
    style = raw.get("style")
    timestamp = raw.get("timestamp")
    return EnvelopeConfig(
        style=style if style in ("none", "status-wrapped") else base.style,
        timestamp=timestamp if isinstance(timestamp, bool) else base.timestamp,
    )


@dataclass(frozen=True, slots=True)
class VersioningConfig:
    """API versions chosen by media type: ``Accept: application/vnd.<vendor>.<version>+json``.

    ``versions`` are the versions this document serves (its path, e.g. ``/v1``, names one of
    them); ``default`` is the one a bare ``application/vnd.<vendor>+json`` asks for.
    """

    vendor: str
    versions: tuple[str, ...]
    default: str

    def media_type(self, version: str) -> str:
        return f"application/vnd.{self.vendor}.{version}+json"


@dataclass(frozen=True, slots=True)
class CorsConfig:
    """``x-specway-cors``: which browser origins may call the API, and with what.

    ``origins`` holds exact origins, ``https://*.example.com`` patterns or ``*``; ``methods``
    defaults to every method the document's operations use (filled in by the model).
    """

    origins: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()
    headers: tuple[str, ...] = CORS_DEFAULT_HEADERS
    expose_headers: tuple[str, ...] = CORS_DEFAULT_EXPOSE
    credentials: bool = False
    max_age: int = 600

    @classmethod
    def of(cls, raw: Any, methods: tuple[str, ...]) -> CorsConfig:
        """Read the (schema-checked) value; ``methods`` is the default method list. Values the
        schema refuses keep their defaults here, so that check reports every problem."""
        raw = raw if isinstance(raw, dict) else {}

        def strings(key: str, default: tuple[str, ...]) -> tuple[str, ...]:
            value = raw.get(key)
            if not isinstance(value, list):
                return default
            return tuple(str(v) for v in value)

        max_age = raw.get("max_age")
        return cls(
            origins=strings("origins", ()),
            methods=strings("methods", methods),
            headers=strings("headers", CORS_DEFAULT_HEADERS),
            expose_headers=strings("expose_headers", CORS_DEFAULT_EXPOSE),
            credentials=raw.get("credentials") is True,
            max_age=max_age if isinstance(max_age, int) and not isinstance(max_age, bool) else 600,
        )


def check_extensions(
    node: dict[str, Any], at: tuple[str | int, ...], allowed: frozenset[str]
) -> list[Problem]:
    """Check every ``x-specway-*`` key of ``node`` (a document, path item or operation)."""
    problems: list[Problem] = []
    for key, value in node.items():
        if not isinstance(key, str) or not key.startswith("x-specway-"):
            continue
        here = pointer(*at, key)
        if key not in SCHEMAS:
            close = difflib.get_close_matches(key, sorted(SCHEMAS), n=1)
            problems.append(
                Problem(
                    here,
                    f"unknown extension {key!r}",
                    f"did you mean {close[0]!r}?"
                    if close
                    else f"use one of {', '.join(sorted(SCHEMAS))}",
                )
            )
            continue
        if key not in allowed:
            problems.append(
                Problem(here, f"{key} is not allowed here", "move it to the right level")
            )
            continue
        problems += schema_problems(here, SCHEMAS[key], value)
    return problems


def schema_problems(here: str, schema: Any, value: Any) -> list[Problem]:
    """Every mismatch of ``value`` (found at pointer ``here``) with the JSON Schema ``schema``,
    each with its pointer and a fix; shared by the built-in and the plugins' extensions."""
    problems: list[Problem] = []
    for err in sorted(Draft7Validator(schema).iter_errors(value), key=lambda e: list(e.path)):
        if err.validator == "oneOf" and err.context:
            problems.extend(_branch_problems(here + pointer(*err.path), err))
        else:
            problems.append(_schema_problem(here, err))
    return problems


def _schema_problem(here: str, err: Any) -> Problem:
    sub = here + pointer(*err.path)
    if err.validator == "additionalProperties":
        known = sorted(err.schema.get("properties", {}))
        extra = (
            [k for k in err.instance if k not in known] if isinstance(err.instance, dict) else []
        )
        bad = extra[0] if extra else "?"
        close = difflib.get_close_matches(bad, known, n=1)
        fix = f"did you mean {close[0]!r}?" if close else f"allowed keys: {', '.join(known)}"
        return Problem(sub, f"unknown key {bad!r}", fix)
    if err.validator == "oneOf" and err.context:
        # The branch that got furthest into the value explains the mistake best (a mapping of
        # policies with one bad key, not "is not of type 'array'").
        best = max(err.context, key=lambda e: (len(list(e.path)), e.validator != "type"))
        return _schema_problem(sub, best)
    return _plain_problem(sub, err)


def _branch_problems(here: str, err: Any) -> list[Problem]:
    """Every error of the ``oneOf`` branch that matches the value's type (all, not the first)."""
    branches: dict[Any, list[Any]] = {}
    for sub_err in err.context:
        branches.setdefault(sub_err.relative_schema_path[0], []).append(sub_err)
    fitting = [
        errs
        for errs in branches.values()
        if not any(e.validator == "type" and not list(e.path) for e in errs)
    ]
    chosen = fitting[0] if fitting else max(branches.values(), key=len)
    return [_schema_problem(here, e) for e in chosen]


def _plain_problem(sub: str, err: Any) -> Problem:
    fix = (
        f"use one of {err.validator_value}"
        if err.validator == "enum"
        else "see the extension reference"
    )
    return Problem(sub, err.message, fix)


def read_policies(
    raw: dict[str, Any], at: tuple[str | int, ...]
) -> tuple[dict[str, RateLimitPolicy], list[Problem]]:
    """Read ``x-specway-ratelimit.policies`` (a mapping) into :class:`RateLimitPolicy` values."""
    policies: dict[str, RateLimitPolicy] = {}
    problems: list[Problem] = []
    for name, body in (raw.get("policies") or {}).items():
        if not isinstance(body, dict):
            continue
        limit, window = body.get("limit"), body.get("window")
        if not isinstance(limit, int) or not isinstance(window, int) or limit <= 0 or window <= 0:
            problems.append(
                Problem(
                    pointer(*at, "policies", name),
                    "limit and window must be positive integers",
                    "e.g. {limit: 100, window: 60}",
                )
            )
            continue
        algorithm: Any = body.get("algorithm") or ("gcra" if window <= 60 else "sliding-window")
        key: Any = body.get("key", "principal")
        description = str(body.get("description", ""))
        policies[name] = RateLimitPolicy(name, limit, window, algorithm, key, description)
    return policies, problems


def policy_set(
    raw: Any,
    policies: dict[str, RateLimitPolicy],
    at: tuple[str | int, ...],
    key: str = "principal",
) -> tuple[tuple[RateLimitPolicy, ...], list[Problem]]:
    """Read a tier or anonymous value: a list of policy names or ``{name: limit}`` overrides."""
    out: list[RateLimitPolicy] = []
    problems: list[Problem] = []
    items: list[tuple[str, int | None]]
    if isinstance(raw, list):
        items = [(str(n), None) for n in raw]
    elif isinstance(raw, dict):
        items = []
        for n, v in raw.items():
            if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
                problems.append(
                    Problem(
                        pointer(*at, str(n)),
                        f"limit override {v!r} for policy {n!r} is not a positive integer",
                        f"e.g. {{{n}: 1000}}",
                    )
                )
                continue
            items.append((str(n), v))
    else:
        return (), problems
    for name, override in items:
        base = policies.get(name)
        if base is None:
            if override is None:
                close = difflib.get_close_matches(name, sorted(policies), n=1)
                problems.append(
                    Problem(
                        pointer(*at, name),
                        f"unknown rate-limit policy {name!r}",
                        f"did you mean {close[0]!r}?" if close else "declare it under policies",
                    )
                )
                continue
            problems.append(
                Problem(
                    pointer(*at, name),
                    f"policy {name!r} overrides a limit but is not declared",
                    "declare it under x-specway-ratelimit.policies with its window",
                )
            )
            continue
        limit = override if override is not None else base.limit
        out.append(
            RateLimitPolicy(
                base.name,
                limit,
                base.window,
                base.algorithm,
                # Per caller and per organisation mean per IP for anonymous callers.
                cast(Any, key)
                if base.key == "principal" or (base.key == "organization" and key == "ip")
                else base.key,
                base.description,
            )
        )
    return tuple(out), problems
