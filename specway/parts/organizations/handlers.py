"""The ``organizations`` part: organisations and their members.

The include's ``options`` name the project's own tables an organisation owns
(:class:`~specway.parts.organizations.service.Tenancy`). Reads and writes go through
:class:`~specway.parts.organizations.store.OrganizationStore`; the visibility and role rules
are :mod:`.service`'s.
"""

from __future__ import annotations

from typing import Any

from specway import context
from specway.errors import Conflict, NotFound
from specway.pagination import list_response, page_request
from specway.parts.access import auth_runtime, current_principal
from specway.parts.organizations.service import (
    Tenancy,
    members_of,
    not_found,
    refuse_in_sandbox,
    require_admin,
    session_required,
)
from specway.parts.organizations.store import OrganizationStore
from specway.plugins.audit import annotate
from specway.plugins.auth.accounts import normalize_email
from specway.principal import Principal
from specway.spec.include import part_options

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]


def _store() -> OrganizationStore:
    tenancy = Tenancy.from_options(part_options(context.app_state().spec.document, "organizations"))
    return OrganizationStore(context.database(), tuple(tenancy.counts.items()), tenancy.cascade)


def _by_key(principal: Principal) -> bool:
    return principal.kind == "api_key" or principal.user_id is None


async def _role(store: OrganizationStore, principal: Principal, org_id: str) -> str:
    """The caller's role in ``org_id``; 404 when the caller cannot see it."""
    if _by_key(principal):
        if org_id != principal.organization_id:
            raise not_found(org_id)
        return principal.role
    role = await store.role(org_id, str(principal.user_id))
    if role is None:
        raise not_found(org_id)
    return role


async def _get(store: OrganizationStore, principal: Principal, org_id: str) -> dict[str, Any]:
    """The organisation with the caller's role in it: one statement."""
    if _by_key(principal) and org_id != principal.organization_id:
        raise not_found(org_id)
    user_id = None if _by_key(principal) else principal.user_id
    found = await store.get(org_id, user_id, members_of(principal, org_id))
    role = principal.role if _by_key(principal) else (found[1] if found else None)
    if found is None or role is None:
        raise not_found(org_id)
    return {**found[0], "user_role": role}


async def list_organizations(page: int | None = None, per_page: int | None = None) -> Response:
    op = context.operation()
    request = page_request(op.pagination, page, per_page)
    principal, store = current_principal(), _store()
    if _by_key(principal):
        org = await _get(store, principal, str(principal.organization_id))
        items, total = ([org] if request.page == 1 else []), 1
    else:
        items, total = await store.page(str(principal.user_id), request)
    body, headers = list_response(op.pagination, items, total, request, context.path(), {})
    return body, 200, headers


async def create_organization(body: dict[str, Any]) -> Response:
    principal = current_principal()
    if principal.kind != "session" or principal.user_id is None:
        raise session_required()
    data = await _store().create(body["name"], body.get("description", ""), principal.user_id)
    return data, 201, {"Location": f"{context.path()}/{data['id']}"}


async def get_organization(org_id: str) -> Response:
    return await _get(_store(), current_principal(), org_id), 200


async def update_organization(org_id: str, body: dict[str, Any]) -> Response:
    principal, store = current_principal(), _store()
    current = await _get(store, principal, org_id)
    require_admin(current["user_role"])
    return await store.update(current, body), 200


async def delete_organization(org_id: str) -> Response:
    """Delete the organisation and everything in it (its sandbox twin too, and the rows of the
    ``cascade`` tables); auth caches are invalidated."""
    principal, store = current_principal(), _store()
    require_admin(await _role(store, principal, org_id))
    refuse_in_sandbox(principal, "delete the organization")
    await store.delete(org_id)
    await auth_runtime().invalidate()
    return None, 204


async def list_members(
    org_id: str, page: int | None = None, per_page: int | None = None
) -> Response:
    op = context.operation()
    request = page_request(op.pagination, page, per_page)
    principal, store = current_principal(), _store()
    await _role(store, principal, org_id)
    items, total = await store.members(members_of(principal, org_id), request)
    body, headers = list_response(op.pagination, items, total, request, context.path(), {})
    return body, 200, headers


async def add_member(org_id: str, body: dict[str, Any]) -> Response:
    principal, store = current_principal(), _store()
    require_admin(await _role(store, principal, org_id))
    refuse_in_sandbox(principal, "add members")
    user = await store.candidate(org_id, normalize_email(str(body["email"])))
    if user is None:
        raise NotFound("No user with this email", details=[{"field": "email", "in": "body"}])
    if user.membership_id is not None:
        raise Conflict("This user is already a member")
    member = await store.add_member(org_id, user, body.get("role", "member"))
    # The response names the member by ``user_id``, not ``id``: tell the audit row.
    annotate(context.current_scope(), target_id=member["user_id"])
    return member, 201


async def remove_member(org_id: str, user_id: str) -> Response:
    """Remove a member (never the last admin), revoking their sessions and keys here; auth
    caches are invalidated."""
    principal, store = current_principal(), _store()
    require_admin(await _role(store, principal, org_id))
    refuse_in_sandbox(principal, "remove members")
    found = await store.member(org_id, user_id)
    if found is None:
        raise NotFound(
            f"Member {user_id} not found",
            details={"resource_type": "member", "resource_id": user_id},
        )
    role, admins = found
    if role == "admin" and admins <= 1:
        raise Conflict("An organization needs at least one admin")
    await store.remove_member(org_id, user_id)
    await auth_runtime().invalidate()
    return None, 204
