"""``AccountStore``: users, their sessions and personal organisations on the store path.

What registration, login, logout and the profile need, as prebuilt statements
(:class:`~specway.storage.prepared.Prepared`) run by ``Database.rows`` / ``write``: each read
is one statement, and each change one ``Database.write`` (one statement on PostgreSQL, one
transaction on SQLite). A registration's user, personal organisation, admin membership and
first session are one write; a login's session, last-login stamp (and re-hashed password, and
personal organisation when the user has none left) another. The session-based functions of
:mod:`plugins.auth.accounts` remain for the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, case, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from specway.errors import Conflict, NotFound
from specway.ids import new_id, utcnow
from specway.plugins.auth.accounts import normalize_email
from specway.plugins.auth.hashing import CredentialHasher
from specway.plugins.auth.models import Membership, Organization, Session, User
from specway.plugins.auth.tokens import new_session_token
from specway.storage.database import Database, Write
from specway.storage.prepared import Prepared

USERS = cast(Table, User.__table__)
ORGANIZATIONS = cast(Table, Organization.__table__)
MEMBERSHIPS = cast(Table, Membership.__table__)
SESSIONS = cast(Table, Session.__table__)
_u, _m, _o, _s = USERS.c, MEMBERSHIPS.c, ORGANIZATIONS.c, SESSIONS.c

_USER_COLUMNS = (
    _u.id,
    _u.email,
    _u.username,
    _u.first_name,
    _u.last_name,
    _u.password_hash,
    _u.is_active,
    _u.default_organization_id,
    _u.created_at,
    _u.last_login_at,
)
_USER_BY_EMAIL = Prepared(select(*_USER_COLUMNS).where(_u.email == bindparam("email")))
_USER_BY_ID = Prepared(select(*_USER_COLUMNS).where(_u.id == bindparam("user_id")))
_TAKEN = Prepared(
    select(_u.email).where(
        or_(_u.email == bindparam("email"), _u.username == bindparam("username"))
    )
)


def _acting_in(requested: bool) -> Prepared:
    """The organisation a new session acts in, and its name: the ``requested`` one if the user
    is a member; else the user's default organisation while a member, else the oldest
    membership."""
    where = [_m.user_id == bindparam("user_id")]
    if requested:
        where.append(_m.organization_id == bindparam("requested"))
    preferred = case((_m.organization_id == bindparam("default_org"), 0), else_=1)
    return Prepared(
        select(_m.organization_id, _o.name)
        .select_from(MEMBERSHIPS.outerjoin(ORGANIZATIONS, _o.id == _m.organization_id))
        .where(*where)
        .order_by(preferred, _m.created_at, _m.id)
        .limit(1)
    )


_ACTING_IN = {requested: _acting_in(requested) for requested in (False, True)}
_INSERT_USER = Prepared(insert(USERS))
_INSERT_ORGANIZATION = Prepared(insert(ORGANIZATIONS))
_INSERT_MEMBERSHIP = Prepared(insert(MEMBERSHIPS))
_INSERT_SESSION = Prepared(insert(SESSIONS))
# A user's live sessions in one organisation, newest first (per-user tokens: the one to reuse).
_LIVE_SESSIONS = Prepared(
    select(_s.id, _s.token_hash)
    .where(
        _s.user_id == bindparam("user_id"),
        _s.organization_id == bindparam("org"),
        _s.revoked_at.is_(None),
    )
    .order_by(_s.created_at.desc(), _s.id.desc())
    .limit(5)
)
_CHANGE_USER = Prepared(update(USERS).where(_u.id == bindparam("user_id")))
_REVOKE_SESSION = Prepared(
    update(SESSIONS)
    .where(_s.id == bindparam("session_id"), _s.revoked_at.is_(None))
    .values(revoked_at=bindparam("now"))
)


def personal_organization_name(user: Any) -> str:
    """The name of a user's own organisation (``user``: a row with the user's columns)."""
    name = user.first_name or user.username or user.email.split("@", 1)[0]
    return f"{name}'s Organization"


@dataclass(frozen=True, slots=True)
class Signed:
    """A new session: its token (shown once), the user's row as it now is, and the
    organisation it acts in."""

    token: str
    user: dict[str, Any]
    organization_id: str
    organization_name: str


class AccountStore:
    """Users and sessions of one database (see the module docstring)."""

    def __init__(
        self, database: Database, hasher: CredentialHasher, *, token_per_user: bool = False
    ) -> None:
        self.database = database
        self.hasher = hasher
        # x-specway-auth.session_tokens: per-user — a login hands out the token of the user's
        # live session in that organisation (if any) instead of a new one.
        self.token_per_user = token_per_user

    async def user_by_email(self, email: str) -> dict[str, Any] | None:
        rows = await self.database.rows(_USER_BY_EMAIL, {"email": normalize_email(email)})
        return rows[0]._asdict() if rows else None

    async def user(self, user_id: str) -> dict[str, Any]:
        rows = await self.database.rows(_USER_BY_ID, {"user_id": user_id})
        if not rows:
            raise NotFound(
                "User not found", details={"resource_type": "user", "resource_id": user_id}
            )
        found: dict[str, Any] = rows[0]._asdict()
        return found

    async def register(
        self,
        *,
        email: str,
        password_hash: str,
        username: str | None = None,
        first_name: str = "",
        last_name: str = "",
    ) -> Signed:
        """A user, their personal organisation (they are its admin) and a first session, in one
        write. 409 on a taken email or username."""
        user, writes = await self.new_user(
            email=email,
            password_hash=password_hash,
            username=username,
            first_name=first_name,
            last_name=last_name,
        )
        org_id = user["default_organization_id"]
        token, session = self._session(user["id"], org_id, user["created_at"])
        user["last_login_at"] = user["created_at"]
        writes.append((_INSERT_SESSION, session))
        await self.write_new_user(writes)
        return Signed(token, user, org_id, user.pop("organization_name"))

    async def new_user(
        self,
        *,
        email: str,
        password_hash: str,
        username: str | None = None,
        first_name: str = "",
        last_name: str = "",
        member_of: tuple[str, str] | None = None,
    ) -> tuple[dict[str, Any], list[Write]]:
        """The row of a new user and the writes that make it (the user, their personal
        organisation with them its admin, and a membership ``(organization id, role)`` of
        ``member_of``), for a caller to commit with :meth:`write_new_user` or with more writes
        of its own (an event). No session, no login. 409 on a taken email or username.

        The row carries ``organization_name``, the personal organisation's name."""
        email = normalize_email(email)
        username = username or None
        taken = await self.database.rows(_TAKEN, {"email": email, "username": username})
        if taken:
            if any(row.email == email for row in taken):
                raise Conflict(
                    "A user with this email already exists",
                    details=[{"field": "email", "in": "body"}],
                )
            raise Conflict(
                "A user with this username already exists",
                details=[{"field": "username", "in": "body"}],
            )
        now = utcnow()
        org_id, user_id = new_id("org"), new_id("usr")
        user: dict[str, Any] = {
            "id": user_id,
            "email": email,
            "username": username,
            "first_name": first_name,
            "last_name": last_name,
            "password_hash": password_hash,
            "is_active": True,
            "default_organization_id": org_id,
            "created_at": now,
            "last_login_at": None,
        }
        name = personal_organization_name(_Named(first_name, username, email))
        writes: list[Write] = [
            (_INSERT_USER, user),
            *organization_writes(org_id, name, user_id, now),
        ]
        if member_of is not None:
            writes += membership_writes(member_of[0], user_id, member_of[1], now)
        return {**user, "organization_name": name}, writes

    async def write_new_user(self, writes: list[Write]) -> None:
        """Commit :meth:`new_user`'s writes; a registration that raced for the same email (the
        unique key) is the same 409."""
        try:
            await self.database.write(writes)
        except IntegrityError:
            raise Conflict("A user with this email already exists") from None

    async def sign_in(
        self, user: dict[str, Any], requested: str | None, password_hash: str | None
    ) -> Signed | None:
        """A new session for ``user`` (a row :meth:`user_by_email` returned) in ``requested``
        (``None`` if the user is not a member of it), else in their default organisation,
        else their oldest, else a new personal one; ``password_hash``: a re-hash to store."""
        params = {"user_id": user["id"], "default_org": user["default_organization_id"]}
        if requested is not None:
            params["requested"] = requested
        rows = await self.database.rows(_ACTING_IN[requested is not None], params)
        if not rows and requested is not None:
            return None
        now = utcnow()
        change: dict[str, Any] = {"user_id": user["id"], "last_login_at": now}
        if password_hash is not None:
            change["password_hash"] = password_hash
        writes: list[Write] = []
        if rows:
            org_id, name = rows[0][0], rows[0][1] or ""
        else:
            org_id, name = new_id("org"), personal_organization_name(_Named.of(user))
            writes.extend(organization_writes(org_id, name, user["id"], now))
            change["default_organization_id"] = org_id
        token = await self._live_token(user["id"], org_id) if self.token_per_user else None
        if token is None:
            token, session = self._session(user["id"], org_id, now)
            writes.append((_INSERT_SESSION, session))
        writes.append((_CHANGE_USER, change))
        await self.database.write(writes)
        changed = {**user, **{k: v for k, v in change.items() if k != "user_id"}}
        return Signed(token, changed, org_id, name)

    async def revoke_session(self, session_id: str) -> None:
        await self.database.write([(_REVOKE_SESSION, {"session_id": session_id, "now": utcnow()})])

    async def _live_token(self, user_id: str, org_id: str) -> str | None:
        """The token of the user's newest unrevoked session in ``org_id`` that was made with a
        derived token (``per-user`` mode, under the current secret key), else ``None``."""
        rows = await self.database.rows(_LIVE_SESSIONS, {"user_id": user_id, "org": org_id})
        for row in rows:
            token = self.hasher.session_token(row.id)
            if any(self.hasher.matches(row.token_hash, d) for d in self.hasher.candidates(token)):
                return token
        return None

    def _session(self, user_id: str, org_id: str, now: Any) -> tuple[str, dict[str, Any]]:
        session_id = new_id("sess")
        token = (
            self.hasher.session_token(session_id) if self.token_per_user else new_session_token()
        )
        return token, {
            "id": session_id,
            "organization_id": org_id,
            "user_id": user_id,
            "token_hash": self.hasher.digest(token),
            "created_at": now,
        }


def organization_writes(
    org_id: str, name: str, admin_id: str, now: Any, description: str = ""
) -> list[Write]:
    """The writes of a new organisation with ``admin_id`` its first admin (a registration's
    personal organisation, or one the organizations part creates)."""
    organization = {
        "id": org_id,
        "name": name,
        "description": description,
        "created_at": now,
        "updated_at": now,
    }
    member = membership_row(org_id, admin_id, "admin", now)
    return [(_INSERT_ORGANIZATION, organization), (_INSERT_MEMBERSHIP, member)]


def membership_writes(org_id: str, user_id: str, role: str, now: Any) -> list[Write]:
    """The write that makes ``user_id`` a member of ``org_id`` with ``role``."""
    return [(_INSERT_MEMBERSHIP, membership_row(org_id, user_id, role, now))]


def membership_row(org_id: str, user_id: str, role: str, now: Any) -> dict[str, Any]:
    return {
        "id": new_id("mem"),
        "organization_id": org_id,
        "user_id": user_id,
        "role": role,
        "created_at": now,
    }


@dataclass(frozen=True, slots=True)
class _Named:
    first_name: str
    username: str | None
    email: str

    @classmethod
    def of(cls, user: dict[str, Any]) -> _Named:
        return cls(user["first_name"], user["username"], user["email"])
