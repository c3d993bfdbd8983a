"""List responses in the pagination style an operation declares (``x-specway-pagination``).

=================  ==========================================================================
``page``           ``{"data", "pagination": {page, per_page, total, pages}, "links"}`` + Link
``drf``            ``{"count", "next", "previous", "results"}`` (Django REST framework)
``meta``           ``{"data", "meta": {current_page, total_pages, total_count}}``
``keyed``          ``{"<key>": [...]}`` (e.g. ``{"projects": [...]}``)
``status-wrapped`` ``{"status": "success", "data", "meta": {page, per_page, total_items, …}}``
=================  ==========================================================================

Page links carry the list's filters and ``per_page`` and are paths, unless the operation's
``x-specway-pagination`` says ``link_query: sent`` (only what the request sent, its ``page``
replaced) or ``links: absolute`` (the request's scheme and host in front, as Django REST
framework and the seeds write them).
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from specway.spec import PaginationConfig


@dataclass(frozen=True, slots=True)
class PageRequest:
    page: int
    per_page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


# A Host header as links may carry it: a name or an IPv4/IPv6 address, and a port.
_HOST = re.compile(rb"[A-Za-z0-9.-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")

# Far past any real list, and small enough that the OFFSET fits a 64-bit integer in SQL.
MAX_PAGE = 10_000_000


def page_request(config: PaginationConfig, page: int | None, per_page: int | None) -> PageRequest:
    """Clamp ``page`` and ``per_page`` to the configured defaults and bounds."""
    size = per_page or config.default_per_page
    return PageRequest(min(max(1, page or 1), MAX_PAGE), max(1, min(size, config.max_per_page)))


def _links(
    path: str, query: dict[str, Any], page: int, per_page: int, pages: int
) -> tuple[tuple[tuple[str, str | None], ...], str]:
    """``(first, prev, next, last)`` links and the ``Link`` header, for one page of one list.

    Each link is ``path?<the other query parameters>&page=N&per_page=M``. Most lists are read
    with the same few filters, and urlencode's quoting is most of the cost: cached.
    """
    items = tuple(
        (k, v) for k, v in query.items() if v is not None and k not in ("page", "per_page")
    )
    try:
        return _cached_links(path, items, page, per_page, pages)
    except TypeError:  # a list value (an array parameter): not hashable, so not cached
        return _make_links(path, items, page, per_page, pages)


def _make_links(
    path: str, items: tuple[tuple[str, Any], ...], page: int, per_page: int, pages: int
) -> tuple[tuple[tuple[str, str | None], ...], str]:
    encoded = urlencode(items, doseq=True)
    prefix = f"{path}?{encoded}&" if encoded else f"{path}?"

    return _link_set(prefix, f"&per_page={per_page}", page, pages)


def _link_set(
    prefix: str, suffix: str, page: int, pages: int
) -> tuple[tuple[tuple[str, str | None], ...], str]:
    """first/prev/next/last as ``{prefix}page=N{suffix}``, and their RFC 8288 ``Link`` header."""

    def url(n: int) -> str:
        return f"{prefix}page={n}{suffix}"

    links = (
        ("first", url(1)),
        ("prev", url(page - 1) if page > 1 else None),
        ("next", url(page + 1) if page < pages else None),
        ("last", url(max(pages, 1))),
    )
    header = ", ".join(f'<{href}>; rel="{rel}"' for rel, href in links if href)
    return links, header


_cached_links = functools.lru_cache(maxsize=4096)(_make_links)


def _request_links(
    config: PaginationConfig,
    path: str,
    query: dict[str, Any],
    page: int,
    per_page: int,
    pages: int,
) -> tuple[tuple[tuple[str, str | None], ...], str]:
    """The links of ``links: absolute`` or ``link_query: sent``, read off the request."""
    from specway import context  # the request being handled; relative links need none

    scope = context.current_scope()
    if config.link_query == "sent":
        raw = bytes(scope.get("query_string") or b"").decode("latin-1")
        sent = [(k, v) for k, v in parse_qsl(raw, keep_blank_values=True) if k != "page"]
        encoded = urlencode(sent)
        suffix = ""
    else:
        items = [
            (k, v) for k, v in query.items() if v is not None and k not in ("page", "per_page")
        ]
        encoded = urlencode(items, doseq=True)
        suffix = f"&per_page={per_page}"
    prefix = f"{path}?{encoded}&" if encoded else f"{path}?"
    if config.links == "absolute":
        prefix = _origin(scope) + prefix
    return _link_set(prefix, suffix, page, pages)


def _origin(scope: Any) -> str:
    """``scheme://host[:port]`` the request was sent to (its ``Host`` header, else the server)."""
    scheme = str(scope.get("scheme") or "http")
    for name, value in scope.get("headers") or ():
        # Only a well-formed host: the links go into a header and into JSON bodies.
        if name == b"host" and _HOST.fullmatch(value):
            return f"{scheme}://{value.decode('ascii')}"
    server = scope.get("server")
    if server:
        host, port = server[0], server[1]
        default = (scheme == "https" and port == 443) or (scheme == "http" and port == 80)
        return f"{scheme}://{host}" if default or port is None else f"{scheme}://{host}:{port}"
    return ""


def list_response(
    config: PaginationConfig,
    items: list[dict[str, Any]],
    total: int,
    request: PageRequest,
    path: str,
    query: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, str]]:
    """``(body, headers)`` for one page of ``items`` out of ``total``."""
    pages = max(1, math.ceil(total / request.per_page)) if total else 0
    page = request.page

    if config.links == "relative" and config.link_query == "all":
        link_items, link_header = _links(path, query, page, request.per_page, pages)
    else:
        link_items, link_header = _request_links(config, path, query, page, request.per_page, pages)
    links: dict[str, str | None] = dict(link_items)  # a dict of its own: bodies may be changed
    headers = {"Link": link_header, "X-Total-Count": str(total)}
    if config.style == "drf":
        return {
            "count": total,
            "next": links["next"],
            "previous": links["prev"],
            "results": items,
        }, headers
    if config.style == "meta":
        return {
            "data": items,
            "meta": {"current_page": page, "total_pages": pages, "total_count": total},
        }, headers
    if config.style == "keyed":
        return {config.key: items}, headers
    if config.style == "status-wrapped":
        meta = {
            "page": page,
            "per_page": request.per_page,
            "total_items": total,
            "total_pages": pages,
            "has_next": page < pages,
            "has_previous": page > 1,
        }
        return {"status": "success", "data": items, "meta": meta}, headers
    body = {
        "data": items,
        "pagination": {"page": page, "per_page": request.per_page, "total": total, "pages": pages},
        "links": links,
    }
    return body, headers
