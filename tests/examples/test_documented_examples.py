"""Every documented request of every example spec, replayed against the served example.

Each example's spec carries its seed's request and response JSON as OpenAPI examples. For every
operation with a documented request or response example (or a 2xx without a body) whose
required request body is documented, the test sends the documented request and checks that the
status is a documented 2xx, the body has the documented shape (:func:`shape_problems`: same
keys, same JSON types) and conforms to the documented response schema.

Path parameters are filled with resources the test creates first through the example's own
``POST`` on the collection before the parameter (``/projects/{project_id}/deployments`` needs a
project: ``POST /projects`` with its documented body). A documented body or query value named
after such a resource (``project``, ``environment_id``) is replaced by the created one's id, and
``organization`` is the caller's own. Creations run first; deletions last, the most recently
created resource first (a variable before its environment's project), each forgetting what it
deleted. A documented ``Idempotency-Key`` is fresh per request, and documented webhook URLs
resolve to a public address (tests have no DNS; nothing is delivered).

Credentials: a user registered through the reference API on the same database, with a key
minted in the example's own key format (``Bearer``), or their session token for a ``Token``
scheme (KeyNest).

Examples are discovered (every ``examples/*/openapi.yaml``), so a new example joins by existing.
"""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from jsonschema import Draft4Validator
from starlette.testclient import TestClient

from specway.plugins.webhooks.catalogue import openapi_to_jsonschema
from specway.spec import SpecModel
from specway.spec.model import OperationModel, load_model
from tests.conftest import AuthIdentity
from tests.examples.support import example_names, example_spec, mint_key, shape_problems

# (example, operationId) → why the generic replay cannot send it; each is covered by the
# example's own test module.
NOT_REPLAYED: dict[tuple[str, str], str] = {
    ("hexabase", "updateIpAllowlist"): (
        "the documented list leaves out the test client's address (409 would_lock_out); "
        "test_seed_conformance sends it from an allowed address and from another one"
    ),
    ("hexabase", "deployProject"): (
        "the documented environment refers to the workspace secret api-key, which a replay has "
        "not set (422); test_seed_snippets sets it, then deploys with the seed's fields"
    ),
    ("hexabase", "putWorkspaceSecret"): (
        "a secret is made by PUT at its name (no POST on the collection to create one first); "
        "test_hexabase_monitoring sets, uses and deletes one"
    ),
    ("hexabase", "deleteWorkspaceSecret"): (
        "a secret is made by PUT at its name; test_hexabase_monitoring sets, uses and deletes one"
    ),
    ("hexabase", "executeGraphql"): (
        "the documented variables name the seed's workspace ws_123 (null and not found here); "
        "test_hexabase_graphql sends the seed's query for a workspace it creates"
    ),
}

# Replayed after everything else, with the reason.
RUN_LAST: dict[tuple[str, str], str] = {
    ("keynest", "logoutUser"): "ends the session every other request authenticates with",
}

# Documented responses the served example does not match yet: the test requires them to still
# differ (remove the entry once it is fixed).
KNOWN_GAPS: dict[tuple[str, str], str] = {}


ID_LIKE = re.compile(r"[a-z]+_[A-Za-z0-9]+|[0-9]+")


def singular(segment: str) -> str:
    """``projects`` → ``project``: the resource a collection segment holds."""
    name = segment.replace("-", "_")
    return name[:-1] if name.endswith("s") else name


@dataclass(frozen=True)
class Success:
    """An operation's first documented 2xx."""

    status: int
    example: Any  # its JSON example, or None
    schema: dict[str, Any] | None  # its JSON schema, or None when it has no body


def success(model: SpecModel, op: OperationModel) -> Success | None:
    """The first documented 2xx response, if its body (if any) is JSON."""
    for code, raw in sorted(op.raw.get("responses", {}).items()):
        if not (str(code).isdigit() and 200 <= int(code) < 300):
            continue
        response = model.resolve(raw)
        if not response.get("content"):
            return Success(int(code), None, None)
        media = response["content"].get("application/json")
        if media is None:
            return None
        return Success(int(code), documented(media), media.get("schema") or {})
    return None


def documented(media: dict[str, Any]) -> Any:
    """A media type's (or parameter's) ``example``, else its first ``examples`` value."""
    if "example" in media:
        return media["example"]
    for item in (media.get("examples") or {}).values():
        if isinstance(item, dict) and "value" in item:
            return item["value"]
    return None


def request_example(model: SpecModel, op: OperationModel) -> tuple[bool, Any]:
    """(replayable, the documented JSON body or ``None``)."""
    body = model.resolve(op.raw.get("requestBody")) or {}
    media = (body.get("content") or {}).get("application/json")
    example = documented(media) if media else None
    return (example is not None or not body.get("required", False)), example


def created_resource(op: OperationModel) -> str | None:
    """``project`` for ``POST /projects``: what a POST on a collection creates."""
    segments = [s for s in op.path.split("/") if s]
    if op.method != "post" or not segments or segments[-1].startswith("{"):
        return None
    return singular(segments[-1])


def created_id(body: Any) -> str | None:
    """The ``id`` of a created resource, bare or in a success envelope's ``data``."""
    if isinstance(body, dict) and isinstance(body.get("data"), dict):
        body = body if "id" in body else body["data"]
    if isinstance(body, dict) and "id" in body:
        return str(body["id"])
    return None


def deleted_resource(op: OperationModel) -> str | None:
    """``project`` for ``DELETE /projects/{id}``."""
    segments = [s for s in op.path.split("/") if s]
    if op.method != "delete" or len(segments) < 2 or not segments[-1].startswith("{"):
        return None
    return singular(segments[-2])


def replayable(model: SpecModel) -> list[OperationModel]:
    """Operations with a documented request or response, whose documented request is complete.

    Creations first (shallowest first), then the rest in document order.
    """
    ops: list[OperationModel] = []
    for op in model.operations.values():
        expected = success(model, op)
        complete, body = request_example(model, op)
        if expected is None or not complete:
            continue
        if expected.example is not None or body is not None or expected.schema is None:
            ops.append(op)
    return sorted(ops, key=lambda op: (created_resource(op) is None, op.path.count("{")))


@dataclass
class Replay:
    """One served example, its operations and the resources created so far."""

    name: str
    client: TestClient
    model: SpecModel
    key: str
    session_token: str
    known: dict[str, str] = field(default_factory=dict)

    def creator(self, collection: str) -> OperationModel | None:
        ops = [
            op
            for op in self.model.operations.values()
            if op.path == collection and op.method == "post"
        ]
        return ops[0] if ops else None

    def creator_of(self, resource: str) -> str | None:
        """The collection path whose ``POST`` makes ``resource``."""
        for op in self.model.operations.values():
            if created_resource(op) == resource:
                return op.path
        return None

    def ensure(self, collection: str) -> str:
        """The id of a resource of ``collection``, created now unless one exists."""
        resource = singular([s for s in collection.split("/") if s][-1])
        if resource in self.known:
            return self.known[resource]
        op = self.creator(collection)
        if op is None:
            raise LookupError(f"no POST {collection} to create a {resource}")
        response = self.send(op)
        created = created_id(response.json()) if response.status_code < 300 else None
        if created is None:
            raise LookupError(
                f"creating a {resource}: {op.operation_id} -> {response.status_code} "
                f"{response.text[:300]}"
            )
        self.known[resource] = created
        return created

    def reference(self, name: str, value: Any) -> Any:
        """A documented id named after a creatable resource, replaced by a real one.

        Only id-like values (``proj_a1b2…``, ``1``): ``environment: production`` stays.
        """
        if not (isinstance(value, int) or (isinstance(value, str) and ID_LIKE.fullmatch(value))):
            return value
        resource = name.removesuffix("_id")
        if resource in self.known:
            return self.known[resource]
        collection = self.creator_of(resource)
        return value if collection is None else self.ensure(collection)

    def path_of(self, op: OperationModel) -> str:
        segments = op.path.split("/")
        last = max((i for i, s in enumerate(segments) if s.startswith("{")), default=-1)
        slash = "/" if op.path.endswith("/") else ""
        templates = op.path.split("/")
        for i, segment in enumerate(templates):
            if segment.startswith("{"):
                # The collection before the parameter, as a path template (`/projects/`).
                collection = "/".join(templates[:i]) + slash
                segments[i] = self.ensure(collection)
                if i == last and op.method == "delete":
                    self.known.pop(deleted_resource(op) or "", None)
        return self.model.base_path + "/".join(segments)

    def headers(self, op: OperationModel) -> dict[str, str]:
        if not op.security:
            return {}
        scheme = self.model.security_schemes[op.security[0].schemes[0][0]]
        if scheme.get("type") == "http":
            return {"Authorization": f"Bearer {self.key}"}
        # `Authorization: Token <token>`: the session token login returns (KeyNest).
        return {"Authorization": f"Token {self.session_token}"}

    def parameters(self, op: OperationModel) -> tuple[dict[str, Any], dict[str, str]]:
        """Documented query and header parameter examples."""
        raw = list(self.model.document["paths"][op.path].get("parameters", []))
        raw += op.raw.get("parameters", [])
        query: dict[str, Any] = {}
        headers: dict[str, str] = {}
        for param in (self.model.resolve(p) for p in raw):
            value = documented(param)
            if value is None:
                value = documented(param.get("schema") or {})
            if value is None:
                continue
            if param["in"] == "query":
                query[param["name"]] = self.reference(param["name"], value)
            elif param["name"].lower() == "idempotency-key":
                # One documented key reused for another body is a 422 by design.
                headers[param["name"]] = f"replay-{uuid.uuid4()}"
            elif param["in"] == "header" and param["name"].lower() != "authorization":
                headers[param["name"]] = str(value)
        return query, headers

    def send(self, op: OperationModel) -> Any:
        _, example = request_example(self.model, op)
        body = copy.deepcopy(example)
        if isinstance(body, dict):
            body = {k: self.reference(k, v) for k, v in body.items()}
        path = self.path_of(op)
        query, headers = self.parameters(op)
        return self.client.request(
            op.method.upper(),
            path,
            params=query,
            json=body,
            headers={**self.headers(op), **headers},
        )

    def check(self, op: OperationModel) -> list[str]:
        where = f"{self.name} {op.operation_id} ({op.method.upper()} {op.path})"
        expected = success(self.model, op)
        assert expected is not None
        try:
            response = self.send(op)
        except LookupError as exc:
            return [f"{where}: {exc}"]
        documented_codes = {str(c) for c in op.raw.get("responses", {})}
        if not 200 <= response.status_code < 300 or str(response.status_code) not in (
            documented_codes
        ):
            return [f"{where}: {response.status_code} {response.text[:300]}"]
        if expected.schema is None or response.status_code != expected.status:
            return []
        body = response.json()
        resource = created_resource(op)
        created = created_id(body)
        if resource and created is not None:
            # Documented bodies may be unique (an email): reuse what the replay created.
            self.known.setdefault(resource, created)
        problems = shape_problems(expected.example, body)
        problems += self.schema_problems(expected.schema, body)
        return [f"{where}: {p}" for p in problems]

    def schema_problems(self, schema: dict[str, Any], body: Any) -> list[str]:
        """Where ``body`` breaks the documented response schema."""
        components = openapi_to_jsonschema(self.model.document.get("components", {}))
        root = {"allOf": [openapi_to_jsonschema(schema)], "components": components}
        return [
            f"schema: {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
            for e in Draft4Validator(root).iter_errors(body)
        ]


def public_dns(client: TestClient) -> None:
    """Documented webhook URLs (``https://example.com/webhook``) pass the SSRF guard.

    Tests have no DNS: the example's guard resolves every host to a public address (one of
    example.com's) instead. Nothing is delivered: no worker runs here.
    """
    try:
        service = client.app.state.service("webhooks")  # type: ignore[attr-defined]
    except KeyError:
        return

    async def resolve(host: str, port: int) -> list[str]:
        return ["93.184.215.14"]

    service.guard.resolver = resolve


def checked(name: str, op: OperationModel, replay: Replay) -> list[str]:
    """``replay.check(op)``, inverted for a known gap (which must still show)."""
    problems = replay.check(op)
    if (name, op.operation_id) not in KNOWN_GAPS:
        return problems
    if problems:
        return []
    return [
        f"{name} {op.operation_id} now matches its documented response: drop it from KNOWN_GAPS"
    ]


@pytest.fixture
def replay_of(
    example_client: Callable[..., TestClient],
    app_factory: Callable[..., TestClient],
    auth_factory: Callable[..., AuthIdentity],
) -> Callable[[str], Replay]:
    def make(name: str) -> Replay:
        model = load_model(example_spec(name))
        # A user and their organisation, registered through the reference API on the same
        # database (first: the reference app does not know an example's own migrations, such
        # as Hexabase's hx0001, once the example has applied them); the key is minted in the
        # example's own key format.
        identity = auth_factory(app_factory())
        client = example_client(name)
        key = mint_key(client, identity.organization_id, identity.user_id)
        public_dns(client)
        known = {"organization": identity.organization_id}
        return Replay(name, client, model, key, identity.session_token, known)

    return make


@pytest.mark.parametrize("name", example_names())
def test_every_documented_request_replays(name: str, replay_of: Callable[[str], Replay]) -> None:
    replay = replay_of(name)
    ops = replayable(replay.model)
    skipped = {op for (example, op) in NOT_REPLAYED if example == name}
    listed = skipped | {op for (example, op) in {*RUN_LAST, *KNOWN_GAPS} if example == name}
    assert listed <= {op.operation_id for op in ops}, "an entry names an operation not replayed"
    to_run = [op for op in ops if op.operation_id not in skipped]
    assert to_run, f"{name} documents no request/response example"
    last = [op for op in to_run if (name, op.operation_id) in RUN_LAST]
    deletions = [op for op in to_run if op.method == "delete" and op not in last]
    problems: list[str] = []
    for op in to_run:
        if op not in last and op not in deletions:
            problems += checked(name, op, replay)
    created = list(replay.known)

    def newest_first(op: OperationModel) -> int:
        resource = deleted_resource(op) or ""
        return -created.index(resource) if resource in created else 0

    for op in sorted(deletions, key=newest_first) + last:
        problems += checked(name, op, replay)
    assert not problems, "\n".join(problems)
