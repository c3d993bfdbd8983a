"""Registration, login, logout and profile: input rules and response shapes.

Storage lives in :mod:`plugins.auth.account_store`; password hashing runs in a worker thread and
outside any transaction. Registration and login (failed ones too, when the email belongs to an
account) name the account in their audit row: these calls carry no principal of their own.
"""

from __future__ import annotations

import re
from typing import Any

from specway import context
from specway.errors import BadRequest, NotFound
from specway.ids import rfc3339
from specway.plugins.audit import annotate
from specway.plugins.auth import AuthRuntime
from specway.plugins.auth.account_store import AccountStore
from specway.plugins.auth.authenticator import unauthorized
from specway.plugins.auth.passwords import (
    burn_verification,
    hash_password_async,
    needs_rehash,
    password_problems,
    verify_password_async,
)
from specway.principal import Principal

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
INVALID_LOGIN = "Invalid email or password"


def account_store(runtime: AuthRuntime) -> AccountStore:
    """The users and sessions of the request's database."""
    per_user = runtime.spec.auth.session_tokens == "per-user"
    return AccountStore(context.database(), runtime.hasher, token_per_user=per_user)


def user_to_dict(user: dict[str, Any]) -> dict[str, Any]:
    """A user's row (:class:`AccountStore`'s) as the API shows it."""
    return {
        "id": user["id"],
        "username": user["username"],
        "email": user["email"],
        "first_name": user["first_name"],
        "last_name": user["last_name"],
        "full_name": f"{user['first_name']} {user['last_name']}".strip(),
        "date_joined": rfc3339(user["created_at"]),
    }


def profile_to_dict(user: dict[str, Any]) -> dict[str, Any]:
    return {
        **user_to_dict(user),
        "last_login": rfc3339(user["last_login_at"]),
        "is_active": bool(user["is_active"]),
    }


def _audit_account(user_id: str, organization_id: str | None) -> None:
    """Name the account this anonymous call was about in its audit row (if audit is on)."""
    annotate(context.current_scope(), user_id=user_id, organization_id=organization_id)


def _field_error(field: str, reason: str, message: str) -> BadRequest:
    return BadRequest(message, details=[{"field": field, "in": "body", "reason": reason}])


def check_registration(body: dict[str, Any]) -> None:
    """400 naming the field for a malformed email, a weak password or a mismatched confirmation."""
    email = str(body.get("email", ""))
    if not _EMAIL.match(email.strip()):
        raise _field_error("email", "not an email address", "Invalid email address")
    password = str(body.get("password", ""))
    problems = password_problems(password, email=email, username=str(body.get("username") or ""))
    if problems:
        raise _field_error("password", "; ".join(problems), "Password is too weak")
    confirm = body.get("confirm_password")
    if confirm is not None and confirm != password:
        raise _field_error("confirm_password", "does not match password", "Passwords differ")


async def register(
    store: AccountStore, runtime: AuthRuntime, body: dict[str, Any]
) -> dict[str, Any]:
    """Create the user, their personal organisation and a first session."""
    check_registration(body)
    # Hash before looking the email up: a taken email costs the same time as a free one.
    password_hash = await hash_password_async(body["password"], runtime.password_params)
    signed = await store.register(
        email=body["email"],
        password_hash=password_hash,
        username=body.get("username"),
        first_name=body.get("first_name", ""),
        last_name=body.get("last_name", ""),
    )
    _audit_account(signed.user["id"], signed.organization_id)
    return {
        "message": "User registered successfully",
        "token": signed.token,
        "user": user_to_dict(signed.user),
        "organization": {"id": signed.organization_id, "name": signed.organization_name},
    }


async def login(store: AccountStore, runtime: AuthRuntime, body: dict[str, Any]) -> dict[str, Any]:
    """A new session for valid credentials; one answer for unknown email and wrong password."""
    password = str(body["password"])
    user = await store.user_by_email(str(body["email"]))
    if user is None:
        await burn_verification(password, runtime.password_params)
        raise unauthorized(INVALID_LOGIN)
    if not await verify_password_async(password, user["password_hash"]) or not user["is_active"]:
        # The same answer as for an unknown email; only the audit row (read by the account's
        # organisation admins) says whose password was tried.
        _audit_account(user["id"], user["default_organization_id"])
        raise unauthorized(INVALID_LOGIN)
    new_hash = None
    if needs_rehash(user["password_hash"], runtime.password_params):
        new_hash = await hash_password_async(password, runtime.password_params)
    signed = await store.sign_in(user, body.get("organization_id"), new_hash)
    if signed is None:
        raise _field_error(
            "organization_id", "not a member", "You are not a member of that organization"
        )
    _audit_account(user["id"], signed.organization_id)
    return {
        "token": signed.token,
        "user": user_to_dict(signed.user),
        "organization": {"id": signed.organization_id, "name": signed.organization_name},
    }


async def logout(store: AccountStore, runtime: AuthRuntime, principal: Principal) -> None:
    """Revoke the caller's session; every process refuses the token within a second."""
    if principal.kind != "session":
        raise BadRequest("Logout ends a session; revoke API keys with DELETE /v1/api-keys/{key_id}")
    await store.revoke_session(principal.id)
    await runtime.invalidate()


async def profile(store: AccountStore, principal: Principal) -> dict[str, Any]:
    if principal.user_id is None:
        raise NotFound("This API key was made from the CLI and has no user")
    return profile_to_dict(await store.user(principal.user_id))
