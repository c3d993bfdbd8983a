"""Helpers of the dashboard tests: a spec variant with the dashboard on, and a browser."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import httpx
from starlette.testclient import TestClient

from specway.spec import load_spec_document

ROOT = Path(__file__).resolve().parents[3]
_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')
_SECRET = re.compile(r"<pre><code>([^<]+)</code></pre>")


def dashboard_document(**config: Any) -> dict[str, Any]:
    """The reference spec with the dashboard at ``/dashboard`` (plus ``config``)."""
    document = copy.deepcopy(load_spec_document(ROOT / "openapi.yaml"))
    document["x-specway-plugins"] = [*document["x-specway-plugins"], "dashboard"]
    document["x-specway-dashboard"] = {"path": "/dashboard", **config}
    return document


def csrf_of(page: httpx.Response) -> str:
    found = _CSRF.search(page.text)
    assert found is not None, page.text
    return found.group(1)


def secret_of(page: httpx.Response) -> str:
    """The secret a create page shows once."""
    found = _SECRET.search(page.text)
    assert found is not None, page.text
    return found.group(1)


class Browser:
    """A browser on the dashboard: cookies kept by the client, forms posted with the token
    the page they come from carries."""

    def __init__(self, client: TestClient, base: str = "/dashboard") -> None:
        self.client = client
        self.base = base

    def get(self, sub: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(self.base + sub, **kwargs)

    def submit(self, sub: str, form: dict[str, Any], *, page: str | None = None) -> httpx.Response:
        """Post ``form`` to ``sub`` with the CSRF token of the page at ``page`` (default
        ``sub``), without following the redirect."""
        token = csrf_of(self.get(page or sub))
        return self.client.post(
            self.base + sub, data={"csrf_token": token, **form}, follow_redirects=False
        )

    def login(self, email: str, password: str, **extra: str) -> httpx.Response:
        return self.submit("/login", {"email": email, "password": password, **extra})

    def create_key(self, name: str, scopes: list[str]) -> httpx.Response:
        return self.submit("/api-tokens", {"name": name, "scopes": scopes})
