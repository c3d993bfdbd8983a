"""The pages' templates (jinja2, autoescaped, from this package) and the page response."""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2
from starlette.responses import HTMLResponse, Response

from specway.plugins.dashboard.security import PAGE_HEADERS

STYLESHEET = "dashboard.css.j2"


@cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("specway.plugins.dashboard", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def page(template: str, status: int = 200, **values: Any) -> Response:
    """The rendered page ``template`` with the security headers every page carries."""
    body = environment().get_template(template).render(**values)
    return HTMLResponse(body, status_code=status, headers=PAGE_HEADERS)


def stylesheet() -> Response:
    body = environment().get_template(STYLESHEET).render()
    headers = {**PAGE_HEADERS, "Cache-Control": "public, max-age=3600"}
    return Response(body, media_type="text/css", headers=headers)
