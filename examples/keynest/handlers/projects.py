"""``Projects``: the reference project store, with KeyNest's organisation, creator and
environment-count fields on every project (:class:`ProjectSummaryStore`).

A KeyNest user can belong to several organisations (each one they create makes them its admin),
while their token acts in one (their own). ``organization`` in a list filter or a new project
names any organisation the user is a member of (a viewer cannot create in it); a project is read,
changed or deleted in whichever of the user's organisations holds it. Anything else is 404,
never a hint that it exists.
"""

from __future__ import annotations

from typing import Any

from examples.keynest.handlers.acting import caller_in, role_of_row
from handlers.models import Project
from handlers.services.projects import ProjectSummaryStore
from specway import context
from specway.errors import Forbidden, NotFound
from specway.pagination import list_response, page_request
from specway.parts.access import current_principal

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]

# What KeyNest shows of a project (the store's records also hold status and config).
SHOWN = (
    "id",
    "name",
    "description",
    "organization",
    "created_at",
    "updated_at",
    "organization_name",
    "created_by_name",
    "environment_count",
)


def _shown(record: dict[str, Any]) -> dict[str, Any]:
    return {key: record[key] for key in SHOWN}


def _store() -> ProjectSummaryStore:
    return ProjectSummaryStore(context.database())


def _org_not_found(organization: str) -> NotFound:
    return NotFound(
        f"Organization {organization} not found",
        details={"resource_type": "organization", "resource_id": organization},
    )


async def _project(project_id: str, write: bool = False) -> tuple[str, ProjectSummaryStore]:
    """The organisation of ``project_id`` if it is one of the caller's (404 otherwise)."""
    organization, role = await role_of_row(Project, project_id)
    if organization is None or role is None:
        raise _store().not_found(project_id)
    if write and role == "viewer":
        raise Forbidden("Viewers cannot change projects")
    return organization, _store()


async def list_projects(
    organization: str | None = None,
    search: str | None = None,
    page: int | None = None,
    per_page: int | None = None,
) -> Response:
    op = context.operation()
    request = page_request(op.pagination, page, per_page)
    org = current_principal().organization_id or ""
    if organization is not None and organization != org:
        if (await caller_in(organization)).role is None:
            raise _org_not_found(organization)
        org = organization
    records, total = await _store().page(org, request, search=search)
    items = [_shown(record) for record in records]
    query = {"organization": organization, "search": search}
    body, headers = list_response(op.pagination, items, total, request, context.path(), query)
    return body, 200, headers


async def get_project(project_id: str) -> Response:
    organization, store = await _project(project_id)
    return _shown(await store.get(organization, project_id)), 200


async def create_project(body: dict[str, Any]) -> Response:
    principal = current_principal()
    requested = body.get("organization")
    org = requested if requested is not None else principal.organization_id or ""
    caller = await caller_in(org)
    if requested is not None:  # another of the user's organisations, if not a viewer there
        if caller.role is None:
            raise _org_not_found(requested)
        if caller.role == "viewer":
            raise Forbidden("Viewers cannot create projects")
    fields = {k: v for k, v in body.items() if k != "organization"}
    extra = {
        "organization_name": caller.organization_name,
        "created_by_name": caller.name,
        "environment_count": 0,
    }
    record = await _store().create(org, fields, extra=extra, created_by=principal.user_id)
    data = _shown(record)
    return data, 201, {"Location": f"{context.path()}{data['id']}/"}


async def update_project(project_id: str, body: dict[str, Any]) -> Response:
    organization, store = await _project(project_id, write=True)
    return _shown(await store.update(organization, project_id, body)), 200


async def delete_project(project_id: str) -> Response:
    organization, store = await _project(project_id, write=True)
    await store.delete(organization, project_id)
    return None, 204
