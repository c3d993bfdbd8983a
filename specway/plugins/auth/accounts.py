"""Users, organisations, memberships and sessions: the storage operations behind the auth
endpoints and the CLI. Handlers' services validate input and shape responses; these functions
keep the rows consistent (an organisation always has an admin, a user a personal
organisation) and never see a plaintext credential except to hash it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from specway.errors import Conflict, NotFound
from specway.ids import utcnow
from specway.plugins.auth.hashing import CredentialHasher
from specway.plugins.auth.models import ApiKey, Membership, Organization, Session, User
from specway.plugins.auth.tokens import new_session_token


def normalize_email(email: str) -> str:
    """Emails compare case-insensitively: stored trimmed and lower-cased."""
    return email.strip().lower()


def personal_organization_name(user: User) -> str:
    name = user.first_name or user.username or user.email.split("@", 1)[0]
    return f"{name}'s Organization"


async def find_user_by_email(session: AsyncSession, email: str) -> User | None:
    query = select(User).where(User.email == normalize_email(email))
    user: User | None = (await session.execute(query)).scalar_one_or_none()
    return user


async def get_user(session: AsyncSession, user_id: str) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("User not found", details={"resource_type": "user", "resource_id": user_id})
    return user


async def create_organization(
    session: AsyncSession, name: str, description: str = "", admin_user_id: str | None = None
) -> Organization:
    """A new organisation; ``admin_user_id`` (if any) becomes its first admin."""
    now = utcnow()
    org = Organization(name=name, description=description, created_at=now, updated_at=now)
    session.add(org)
    await session.flush()
    if admin_user_id is not None:
        session.add(
            Membership(organization_id=org.id, user_id=admin_user_id, role="admin", created_at=now)
        )
        await session.flush()
    return org


async def register_user(
    session: AsyncSession,
    *,
    email: str,
    password_hash: str,
    username: str | None = None,
    first_name: str = "",
    last_name: str = "",
) -> tuple[User, Organization]:
    """Create a user and their personal organisation (they are its admin). 409 on a taken
    email or username."""
    email = normalize_email(email)
    if await find_user_by_email(session, email) is not None:
        raise Conflict(
            "A user with this email already exists", details=[{"field": "email", "in": "body"}]
        )
    if (
        username
        and (await session.execute(select(User.id).where(User.username == username))).first()
    ):
        raise Conflict(
            "A user with this username already exists",
            details=[{"field": "username", "in": "body"}],
        )
    now = utcnow()
    user = User(
        email=email,
        username=username or None,
        first_name=first_name,
        last_name=last_name,
        password_hash=password_hash,
        created_at=now,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError:
        # Two registrations raced for the same email: the loser gets the same 409.
        raise Conflict("A user with this email already exists") from None
    org = await create_organization(session, personal_organization_name(user), "", user.id)
    user.default_organization_id = org.id
    await session.flush()
    return user, org


async def membership(
    session: AsyncSession, organization_id: str, user_id: str
) -> Membership | None:
    query = select(Membership).where(
        Membership.organization_id == organization_id, Membership.user_id == user_id
    )
    found: Membership | None = (await session.execute(query)).scalar_one_or_none()
    return found


async def session_organization(
    session: AsyncSession, user: User, requested: str | None = None
) -> str | None:
    """The organisation a new session acts in: ``requested`` if the user belongs to it, else
    their default organisation, else their oldest membership."""
    if requested is not None:
        return requested if await membership(session, requested, user.id) else None
    if user.default_organization_id and await membership(
        session, user.default_organization_id, user.id
    ):
        return user.default_organization_id
    query = (
        select(Membership.organization_id)
        .where(Membership.user_id == user.id)
        .order_by(Membership.created_at, Membership.id)
        .limit(1)
    )
    first: str | None = (await session.execute(query)).scalar_one_or_none()
    return first


@dataclass(frozen=True, slots=True)
class NewSession:
    """A created session and its token (returned to the client once, never stored)."""

    row: Session
    token: str


async def create_session(
    session: AsyncSession, hasher: CredentialHasher, user: User, organization_id: str
) -> NewSession:
    token = new_session_token()
    now = utcnow()
    row = Session(
        organization_id=organization_id,
        user_id=user.id,
        token_hash=hasher.digest(token),
        created_at=now,
    )
    session.add(row)
    user.last_login_at = now
    await session.flush()
    return NewSession(row, token)


async def revoke_session(session: AsyncSession, session_id: str) -> bool:
    result = await session.execute(
        update(Session)
        .where(Session.id == session_id, Session.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return bool(getattr(result, "rowcount", 0))


async def member_count(session: AsyncSession, organization_id: str) -> int:
    query = select(func.count()).where(Membership.organization_id == organization_id)
    return int((await session.execute(query)).scalar_one())


async def admin_count(session: AsyncSession, organization_id: str) -> int:
    query = select(func.count()).where(
        Membership.organization_id == organization_id, Membership.role == "admin"
    )
    return int((await session.execute(query)).scalar_one())


async def delete_organization(session: AsyncSession, organization_id: str) -> None:
    """Remove the organisation with its memberships, API keys and sessions."""
    for model in (Membership, ApiKey, Session):
        await session.execute(delete(model).where(model.organization_id == organization_id))
    await session.execute(delete(Organization).where(Organization.id == organization_id))
    await session.execute(
        update(User)
        .where(User.default_organization_id == organization_id)
        .values(default_organization_id=None)
    )


@dataclass(frozen=True, slots=True)
class RemovedMember:
    """What leaving an organisation revoked: the member's sessions and API keys there."""

    sessions_revoked: int
    keys_revoked: int


async def remove_member(session: AsyncSession, organization_id: str, user_id: str) -> RemovedMember:
    """Remove ``user_id`` from the organisation and revoke their sessions and keys in it.

    Merely deleting the membership left those credentials dormant: they stopped acting only
    because their creator had no role, and adding the user back revived them all. Revoking
    them here makes a removal final; a member added again logs in and mints keys anew. The
    caller enforces who may remove whom, and invalidates auth caches after committing
    (``AuthRuntime.invalidate``).
    """
    now = utcnow()
    await session.execute(
        delete(Membership).where(
            Membership.organization_id == organization_id, Membership.user_id == user_id
        )
    )
    sessions = await session.execute(
        update(Session)
        .where(
            Session.organization_id == organization_id,
            Session.user_id == user_id,
            Session.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    keys = await session.execute(
        update(ApiKey)
        .where(
            ApiKey.organization_id == organization_id,
            ApiKey.created_by == user_id,
            ApiKey.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    return RemovedMember(int(getattr(sessions, "rowcount", 0)), int(getattr(keys, "rowcount", 0)))
