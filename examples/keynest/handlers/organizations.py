"""``Organizations``: list, create and get with the organizations part's store and rules, each
organisation showing how many projects it has (KeyNest's ``project_count``)."""

from __future__ import annotations

from typing import Any

from specway import context
from specway.pagination import list_response, page_request
from specway.parts.access import current_principal
from specway.parts.organizations.service import (
    Tenancy,
    members_of,
    not_found,
    session_required,
)
from specway.parts.organizations.store import OrganizationStore
from specway.principal import Principal

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]

# The reference API's projects table holds KeyNest's projects.
TENANCY = Tenancy({"project_count": "projects"})


def _store() -> OrganizationStore:
    return OrganizationStore(context.database(), tuple(TENANCY.counts.items()), TENANCY.cascade)


def _by_key(principal: Principal) -> bool:
    """An API key (or a principal without a user) sees its own organisation only."""
    return principal.kind == "api_key" or principal.user_id is None


async def _get(store: OrganizationStore, principal: Principal, org_id: str) -> dict[str, Any]:
    """The organisation with the caller's role in it (one statement); 404 unless the caller
    belongs to it."""
    by_key = _by_key(principal)
    if by_key and org_id != principal.organization_id:
        raise not_found(org_id)
    found = await store.get(
        org_id, None if by_key else principal.user_id, members_of(principal, org_id)
    )
    role = principal.role if by_key else (found[1] if found else None)
    if found is None or role is None:
        raise not_found(org_id)
    return {**found[0], "user_role": role}


async def list_organizations(page: int | None = None, per_page: int | None = None) -> Response:
    op = context.operation()
    request = page_request(op.pagination, page, per_page)
    principal, store = current_principal(), _store()
    if _by_key(principal):
        own = await _get(store, principal, str(principal.organization_id))
        items, total = ([own] if request.page == 1 else []), 1
    else:
        items, total = await store.page(str(principal.user_id), request)
    body, headers = list_response(op.pagination, items, total, request, context.path(), {})
    return body, 200, headers


async def create_organization(body: dict[str, Any]) -> Response:
    principal = current_principal()
    if principal.kind != "session" or principal.user_id is None:
        raise session_required()
    data = await _store().create(body["name"], body.get("description", ""), principal.user_id)
    return data, 201, {"Location": f"{context.path()}{data['id']}/"}


async def get_organization(org_id: str) -> Response:
    return await _get(_store(), current_principal(), org_id), 200
