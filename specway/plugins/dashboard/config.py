"""``x-specway-dashboard`` read once at startup: where the pages live and what they offer.

The value was checked against its JSON Schema when the spec was loaded; what the schema cannot
say (the path must not shadow the API's own paths) is checked here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from specway.errors import ConfigError
from specway.spec import SpecModel

KEY = "x-specway-dashboard"
DEFAULT_LOGIN_LIMIT = 10
DEFAULT_LOGIN_WINDOW = 60


@dataclass(frozen=True, slots=True)
class DashboardConfig:
    """The pages' prefix (``/dashboard``), the title they show, sign-up, the sign-in limit."""

    path: str
    title: str
    signup: bool = False
    login_limit: int = DEFAULT_LOGIN_LIMIT
    login_window: int = DEFAULT_LOGIN_WINDOW

    @classmethod
    def of(cls, spec: SpecModel) -> DashboardConfig:
        raw: Any = spec.document.get(KEY)
        if not isinstance(raw, dict) or not isinstance(raw.get("path"), str):
            raise ConfigError(
                f"{spec.file}: the dashboard plugin needs {KEY}: {{path: /dashboard}}"
            )
        path = raw["path"].rstrip("/")
        served = (spec.base_path + str(p) for p in spec.document.get("paths") or {})
        clash = sorted(p for p in served if _under(p, path))
        if clash:
            raise ConfigError(
                f"{spec.file}#/{KEY}/path: {path} would hide the API's own paths "
                f"({', '.join(clash)}); pick another prefix"
            )
        info = spec.document.get("info") or {}
        limit = raw.get("login_limit") or {}
        return cls(
            path=path,
            title=str(raw.get("title") or info.get("title") or "Dashboard"),
            signup=bool(raw.get("signup", False)),
            login_limit=int(limit.get("limit", DEFAULT_LOGIN_LIMIT)),
            login_window=int(limit.get("window", DEFAULT_LOGIN_WINDOW)),
        )

    def owns(self, path: str) -> bool:
        """``path`` is one of the dashboard's (the prefix itself or below it)."""
        return _under(path, self.path)


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")
