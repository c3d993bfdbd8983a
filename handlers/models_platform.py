"""Tables of workspaces, environments and their encrypted variables (migration 0005).

Every row carries ``organization_id`` (tenant isolation). Environments belong to a project and
variables to an environment; deleting a project or an environment deletes what it holds
(``ON DELETE CASCADE``). A variable's value is stored only sealed by
:class:`specway.crypto.SecretBox`, with the row id as associated data, and the id of the key that
sealed it kept beside it so that rotation can find what still uses an older key.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from handlers import models as _project_models  # noqa: F401 - ``projects``, the FK target
from specway.ids import new_id, utcnow
from specway.storage import Base


class Workspace(Base):
    """An isolated area of an organisation (seeds 000/001) with a resource quota."""

    __tablename__ = "workspaces"
    __table_args__ = (Index("ix_workspaces_org_created", "organization_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("ws"))
    organization_id: Mapped[str | None] = mapped_column(String(40), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    region: Mapped[str | None] = mapped_column(String(64))
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    resource_quota: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Environment(Base):
    """A project's deployment environment (seed 004); names are unique per project."""

    __tablename__ = "environments"
    __table_args__ = (UniqueConstraint("project_id", "name", name="uq_environments_project_name"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("env"))
    organization_id: Mapped[str | None] = mapped_column(String(40), index=True)
    project_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    environment_type: Mapped[str] = mapped_column(String(20), default="development")
    description: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str | None] = mapped_column(String(40))
    created_by_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Variable(Base):
    """One environment variable; keys are unique per environment, values sealed at rest."""

    __tablename__ = "variables"
    __table_args__ = (UniqueConstraint("environment_id", "key", name="uq_variables_env_key"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("var"))
    organization_id: Mapped[str | None] = mapped_column(String(40), index=True)
    environment_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("environments.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(256))
    value_ciphertext: Mapped[str] = mapped_column(Text)
    key_id: Mapped[str] = mapped_column(String(16), index=True)
    created_by: Mapped[str | None] = mapped_column(String(40))
    created_by_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
