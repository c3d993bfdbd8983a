"""Storage: the SQLAlchemy 2 async database and the declarative base every model uses."""

from __future__ import annotations

from specway.storage.base import Base
from specway.storage.database import Database

__all__ = ["Base", "Database"]
