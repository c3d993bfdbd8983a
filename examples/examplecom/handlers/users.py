"""``Users``: a thin mapping onto the reference registration and membership services.

A user created through ``POST /users`` is registered as in ``POST /v1/auth/register`` (own
personal organisation) and added as a member of the caller's organisation (admins only), so the
caller can read it back; ``GET /users/{id}`` shows the caller and the members of its organisation
(read through the auth plugin's ``AccountStore`` and the organizations part's store). The
user, their personal organisation, their membership here and ``user.created`` are one write
(``AccountStore.new_user`` + ``write_with_event``): no session, no login.

Ids: example.com spells a user's id ``user_…`` (its spec and seed); the accounts the auth plugin
keeps are ``usr_…``. The two name the same random part, so this module renames at the boundary:
out as ``user_<part>``, in from ``user_<part>`` (any other spelling names no user).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.exc import IntegrityError

from specway import context
from specway.errors import Conflict, NotFound
from specway.ids import rfc3339
from specway.parts.access import auth_runtime, current_principal
from specway.parts.accounts import service as auth_service
from specway.parts.organizations import service as org_service
from specway.parts.organizations.store import OrganizationStore
from specway.plugins.auth.models import User
from specway.plugins.auth.passwords import hash_password_async
from specway.plugins.webhooks.outbox import write_with_event

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]

PUBLIC_PREFIX = "user_"
STORED_PREFIX = "usr_"


def public_id(stored: str) -> str:
    """``usr_abc`` → ``user_abc``."""
    return PUBLIC_PREFIX + stored.removeprefix(STORED_PREFIX)


def stored_id(public: str) -> str | None:
    """``user_abc`` → ``usr_abc``; ``None`` for an id that is not example.com's spelling."""
    if not public.startswith(PUBLIC_PREFIX) or len(public) == len(PUBLIC_PREFIX):
        return None
    return STORED_PREFIX + public.removeprefix(PUBLIC_PREFIX)


_SHOWN = ("id", "first_name", "last_name", "email", "created_at")


def user_to_dict(user: User | Mapping[str, Any]) -> dict[str, Any]:
    """A user (mapped, or a row of the auth plugin's ``AccountStore``) as example.com shows it."""
    row = user if isinstance(user, Mapping) else {name: getattr(user, name) for name in _SHOWN}
    return {
        "id": public_id(row["id"]),
        "name": f"{row['first_name']} {row['last_name']}".strip(),
        "email": row["email"],
        "created_at": rfc3339(row["created_at"]),
    }


async def create_user(body: dict[str, Any]) -> Response:
    principal = current_principal()
    auth_service.check_registration(body)
    assert principal.organization_id is not None
    org_id = principal.organization_id
    role = principal.role
    if principal.kind != "api_key" and principal.user_id is not None:
        # A session acts with its membership's current role (as the organizations part checks).
        found = await OrganizationStore(context.database()).member(org_id, principal.user_id)
        role = found[0] if found else "none"
    org_service.require_admin(role)
    org_service.refuse_in_sandbox(principal, "add members")
    first, _, last = str(body["name"]).strip().partition(" ")
    password_hash = await hash_password_async(body["password"], auth_runtime().password_params)
    store = auth_service.account_store(auth_runtime())
    user, writes = await store.new_user(
        email=body["email"],
        password_hash=password_hash,
        first_name=first,
        last_name=last.strip(),
        member_of=(org_id, "member"),
    )
    data = user_to_dict(user)
    event = {k: data[k] for k in ("id", "name", "email")}
    webhooks = context.app_state().services.get("webhooks")
    try:
        await write_with_event(
            context.database(), webhooks, writes, "user.created", event, organization_id=org_id
        )
    except IntegrityError:  # a registration raced for the same email
        raise Conflict("A user with this email already exists") from None
    return data, 201, {"Location": f"{context.path()}/{data['id']}"}


async def get_user(id: str) -> Response:
    principal = current_principal()
    missing = NotFound("User not found", details={"resource_type": "user", "resource_id": id})
    stored = stored_id(id)
    if stored is None:
        raise missing
    if stored != principal.user_id:
        assert principal.organization_id is not None
        members = OrganizationStore(context.database())
        if await members.member(principal.organization_id, stored) is None:
            # Another organisation's user: indistinguishable from an unknown id.
            raise missing
    try:
        user = await auth_service.account_store(auth_runtime()).user(stored)
    except NotFound:
        raise missing from None
    return user_to_dict(user), 200
