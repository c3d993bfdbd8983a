"""Handlers of the ``Environments`` tag, including .env export and import."""

from __future__ import annotations

import re
from typing import Any

from starlette.datastructures import UploadFile

from handlers.runtime import Actor, current_actor, current_secret_box
from handlers.services import environments as service
from handlers.services import transfer
from handlers.services.projects import ProjectStore
from specway import context
from specway.errors import BadRequest, Forbidden
from specway.ids import utcnow
from specway.pagination import list_response, page_request

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]

_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9_.-]+")


def _store() -> service.EnvironmentStore:
    return service.EnvironmentStore(context.database())


def _dotenv(actor: Actor) -> transfer.DotenvStore:
    webhooks = context.app_state().services.get("webhooks")
    return transfer.DotenvStore(context.database(), webhooks, actor, current_secret_box())


async def list_environments(
    page: int | None = None,
    per_page: int | None = None,
    sort: str = "created_at",
    order: str = "desc",
    search: str | None = None,
    project: str | None = None,
    environment_type: str | None = None,
) -> Response:
    op = context.operation()
    request = page_request(op.pagination, page, per_page)
    items, total = await _store().page(
        current_actor().organization_id,
        request,
        sort=sort,
        order=order,
        search=search,
        project_id=project,
        environment_type=environment_type,
    )
    query = {
        "sort": sort,
        "order": order,
        "search": search,
        "project": project,
        "environment_type": environment_type,
    }
    body, headers = list_response(op.pagination, items, total, request, context.path(), query)
    return body, 200, headers


async def list_project_environments(
    project_id: str,
    page: int | None = None,
    per_page: int | None = None,
    sort: str = "created_at",
    order: str = "desc",
    environment_type: str | None = None,
) -> Response:
    op = context.operation()
    request = page_request(op.pagination, page, per_page)
    organization_id = current_actor().organization_id
    database = context.database()
    await ProjectStore(database).get(organization_id, project_id)  # 404 for a foreign project
    items, total = await service.EnvironmentStore(database).page(
        organization_id,
        request,
        sort=sort,
        order=order,
        project_id=project_id,
        environment_type=environment_type,
    )
    query = {"sort": sort, "order": order, "environment_type": environment_type}
    body, headers = list_response(op.pagination, items, total, request, context.path(), query)
    return body, 200, headers


async def get_environment(environment_id: str) -> Response:
    return await _store().get(current_actor().organization_id, environment_id), 200


async def create_environment(body: dict[str, Any]) -> Response:
    actor = current_actor()
    database = context.database()
    project = await ProjectStore(database).get(actor.organization_id, body["project"])
    data = await service.EnvironmentStore(database).create_in(actor, project, body)
    return data, 201, {"Location": f"{context.path()}/{data['id']}"}


async def update_environment(environment_id: str, body: dict[str, Any]) -> Response:
    return await _store().update(current_actor().organization_id, environment_id, body), 200


async def delete_environment(environment_id: str) -> Response:
    await _store().delete(current_actor().organization_id, environment_id)
    return None, 204


async def export_environment(environment_id: str) -> Response:
    actor = current_actor()
    if not actor.can_read_values:
        # The operation's `read` scope already says so; this holds even if security changes.
        raise Forbidden("Exporting values needs the 'read' scope")
    name, text = await _dotenv(actor).export(
        environment_id,
        generator=context.app_state().spec.title,
        organization=actor.organization_id or "-",
        now=utcnow(),
    )
    filename = _UNSAFE_FILENAME.sub("_", name) or "environment"
    headers = {
        "Content-Type": "text/plain; charset=utf-8",
        "Content-Disposition": f'attachment; filename="{filename}.env"',
        "Cache-Control": "no-store",
    }
    return text, 200, headers


async def import_environment(
    environment_id: str, file: UploadFile | None = None, body: dict[str, Any] | None = None
) -> Response:
    if not isinstance(file, UploadFile):
        raise BadRequest(
            "Upload the .env file as a file part named 'file' (curl -F file=@.env)",
            details=[{"field": "file", "in": "body", "reason": "must be a file part"}],
        )
    raw = await file.read(transfer.MAX_IMPORT_BYTES + 1)
    text = transfer.decode_upload(raw)
    report = await _dotenv(current_actor()).import_text(environment_id, text)
    return report.to_dict(), 200
