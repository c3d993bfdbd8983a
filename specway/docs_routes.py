"""``/docs``, ``/openapi.json`` and ``/openapi.yaml``: the reference and the bundled spec.

A pure ASGI wrapper just outside Connexion: these three paths are answered before Connexion's
routing, security and rate limiting (so they need no credentials and count against no limit)
but inside the outer plugin wrappers (so they still get an ``X-Request-ID``). Everything else
passes through untouched.

The HTML is rendered from the app's own :class:`spec.SpecModel` by :mod:`codegen` on first use
and cached, so it always describes the spec being served (the runtime may import codegen; codegen
never imports the runtime). A spec codegen cannot render gets a 503 page listing the problems.
"""

from __future__ import annotations

import html
import json
import logging
import threading
from collections.abc import Callable

import anyio.to_thread
import yaml

from specway.spec import SpecModel
from specway.types import ASGIApp, Receive, Scope, Send

logger = logging.getLogger("specway.docs")

DOCS_PATH = "/docs"
JSON_PATH = "/openapi.json"
YAML_PATH = "/openapi.yaml"


def render_reference_html(model: SpecModel) -> tuple[int, str]:
    """``(status, html)`` of the reference page for ``model``."""
    from specway.codegen import CodegenError, build_ir
    from specway.codegen.docs import generate_docs

    try:
        return 200, generate_docs(build_ir(model))["index.html"]
    except CodegenError as exc:
        logger.warning("reference docs unavailable: %d spec problem(s)", len(exc.problems))
        items = "".join(f"<li>{html.escape(p.render())}</li>" for p in exc.problems)
        page = (
            "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<title>Reference unavailable</title></head><body><h1>Reference unavailable</h1>"
            f"<p>The spec has problems codegen cannot render:</p><ul>{items}</ul></body></html>"
        )
        return 503, page


class _Cached:
    """A value computed once, on first use, off the event loop."""

    def __init__(self, compute: Callable[[], tuple[int, bytes]]) -> None:
        self._compute = compute
        self._value: tuple[int, bytes] | None = None
        self._lock = threading.Lock()

    def _get(self) -> tuple[int, bytes]:
        with self._lock:
            if self._value is None:
                self._value = self._compute()
            return self._value

    async def get(self) -> tuple[int, bytes]:
        if self._value is not None:
            return self._value
        return await anyio.to_thread.run_sync(self._get)


class ReferenceRoutes:
    """Answer the docs and spec paths; pass everything else to ``app``."""

    def __init__(self, app: ASGIApp, model: SpecModel) -> None:
        self.app = app
        document = model.document
        self.routes: dict[str, tuple[str, _Cached]] = {
            DOCS_PATH: (
                "text/html; charset=utf-8",
                _Cached(lambda: _encode(render_reference_html(model))),
            ),
            JSON_PATH: (
                "application/json",
                _Cached(lambda: (200, json.dumps(document, ensure_ascii=False).encode())),
            ),
            YAML_PATH: (
                "application/yaml",
                _Cached(
                    lambda: (
                        200,
                        yaml.safe_dump(document, sort_keys=False, allow_unicode=True).encode(),
                    )
                ),
            ),
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in self.routes:
            await self.app(scope, receive, send)
            return
        if scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        media, cached = self.routes[scope["path"]]
        status, body = await cached.get()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", media.encode()),
                    (b"content-length", str(len(body)).encode()),
                    (b"cache-control", b"no-cache"),
                ],
            }
        )
        await send(
            {"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body}
        )


def _encode(result: tuple[int, str]) -> tuple[int, bytes]:
    return result[0], result[1].encode("utf-8")
