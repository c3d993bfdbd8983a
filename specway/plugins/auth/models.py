"""Tables of the auth plugin: organisations, users, memberships, API keys and sessions.

No foreign keys: every row carries a plain indexed ``organization_id`` (the house rule across
plugins), and deletes are done by :mod:`plugins.auth.accounts` explicitly.
Credentials are stored only as peppered HMAC-SHA256 hex digests (``key_hash``, ``token_hash``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from specway.ids import new_id, rfc3339, utcnow
from specway.storage import Base


class Organization(Base):
    """A tenant: every resource row belongs to exactly one organisation."""

    __tablename__ = "organizations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("org"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # The rate-limit tier of every key and session of the organisation, set by the operator
    # (``specway orgs set-plan``), never by a caller; ``None``: the spec's default tier.
    plan: Mapped[str | None] = mapped_column(String(40))
    # CIDR ranges every key and session of the organisation must call from (``None`` or empty:
    # anywhere), set by its admins (the ``security`` part); a key's own list narrows it further.
    allowed_ips: Mapped[list[str] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    """A person who logs in with email and password."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("usr"))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    username: Mapped[str | None] = mapped_column(String(150), unique=True)
    first_name: Mapped[str] = mapped_column(String(150), default="")
    last_name: Mapped[str] = mapped_column(String(150), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    default_organization_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column()


class Membership(Base):
    """A user's role (``admin``, ``member`` or ``viewer``) in one organisation."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("organization_id", "user_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("mem"))
    organization_id: Mapped[str] = mapped_column(String(40), index=True)
    user_id: Mapped[str] = mapped_column(String(40), index=True)
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKey(Base):
    """An API key of one organisation; the secret itself is never stored."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("key"))
    organization_id: Mapped[str] = mapped_column(String(40), index=True)
    created_by: Mapped[str | None] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(32))
    last4: Mapped[str] = mapped_column(String(4))
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    allowed_ips: Mapped[list[str]] = mapped_column(JSON, default=list)
    # An operator's per-key tier override (``specway keys generate --plan``); the API never
    # sets it. ``None``: the organisation's plan.
    plan: Mapped[str | None] = mapped_column(String(40))
    test_mode: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column()
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()

    def metadata_dict(self) -> dict[str, Any]:
        """Everything about the key that may be shown again (never the secret)."""
        return {
            "id": self.id,
            "name": self.name,
            "prefix": self.prefix,
            "last4": self.last4,
            "scopes": list(self.scopes or []),
            "allowed_ips": list(self.allowed_ips or []),
            "plan": self.plan,
            "test_mode": self.test_mode,
            "organization_id": self.organization_id,
            "created_by": self.created_by,
            "created_at": rfc3339(self.created_at),
            "last_used_at": rfc3339(self.last_used_at),
            "expires_at": rfc3339(self.expires_at),
        }


class Session(Base):
    """A login session: a 40-hex token bound to one user and one organisation."""

    __tablename__ = "auth_sessions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("sess"))
    organization_id: Mapped[str] = mapped_column(String(40), index=True)
    user_id: Mapped[str] = mapped_column(String(40), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
