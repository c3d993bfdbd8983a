"""``AppState``: the services one app instance shares between plugins and handlers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from specway.settings import Settings
from specway.spec import SpecModel

if TYPE_CHECKING:
    from specway.storage.database import Database

Hook = Callable[[], Awaitable[None]]


@dataclass(slots=True)
class AppState:
    """Shared runtime services. Plugins keep their own services in ``services`` by name."""

    spec: SpecModel
    settings: Settings
    database: Database
    services: dict[str, Any] = field(default_factory=dict)

    def service(self, name: str) -> Any:
        """A plugin's service (e.g. ``"webhooks"``); ``KeyError`` when that plugin is off."""
        return self.services[name]
