"""``Users``: a thin mapping onto the reference registration and membership services.

A user created through ``POST /users`` is registered as in ``POST /v1/auth/register`` (own
personal organisation) and added as a member of the caller's organisation (admins only), so the
caller can read it back; ``GET /users/{id}`` shows the caller and the members of its organisation
(read through the auth plugin's ``AccountStore`` and the organizations part's store). The
registration keeps one ORM transaction: the user, their membership here and ``user.created``
commit together, and ``AccountStore.register`` would also open a login session nobody holds.

Ids: example.com spells a user's id ``user_…`` (its spec and seed); the accounts the auth plugin
keeps are ``usr_…``. The two name the same random part, so this module renames at the boundary:
out as ``user_<part>``, in from ``user_<part>`` (any other spelling names no user).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from specway import context
from specway.errors import NotFound
from specway.ids import rfc3339
from specway.parts.access import auth_runtime, current_principal
from specway.parts.accounts import service as auth_service
from specway.parts.organizations import service as org_service
from specway.parts.organizations.store import OrganizationStore
from specway.plugins.auth import accounts
from specway.plugins.auth.models import User
from specway.plugins.auth.passwords import hash_password_async
from specway.plugins.webhooks import emit_event

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
    first, _, last = str(body["name"]).strip().partition(" ")
    password_hash = await hash_password_async(body["password"], auth_runtime().password_params)
    async with context.database().session() as session, session.begin():
        user, _org = await accounts.register_user(
            session,
            email=body["email"],
            password_hash=password_hash,
            first_name=first,
            last_name=last.strip(),
        )
        assert principal.organization_id is not None
        await org_service.add_member(
            session, principal, principal.organization_id, {"email": user.email}
        )
        data = user_to_dict(user)
        await emit_event(
            session,
            "user.created",
            {k: data[k] for k in ("id", "name", "email")},
            organization_id=principal.organization_id,
        )
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
