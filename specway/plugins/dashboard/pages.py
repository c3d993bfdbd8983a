"""The dashboard's pages: sign-in (and sign-up), API tokens, webhooks, sign-out.

Each handler takes the Starlette :class:`Request` and returns a :class:`Response`. Everything
goes through the platform's own services, so a page follows the API's rules exactly:

- sign-in: the auth plugin's :class:`AccountStore` and password functions, as
  ``POST /auth/login`` (one answer for an unknown email and a wrong password, re-hashing an
  old hash, a session row whose token the cookie holds); sign-out revokes that session;
- API tokens: :mod:`specway.parts.api_keys.service` over its :class:`ApiKeyStore` (scopes
  capped by the user's role, members revoke only their own keys, the secret shown once);
- webhooks: the webhooks plugin's :class:`EndpointStore` (events from the spec's catalogue,
  the URL allow-list, the signing secret shown once);
- audit: the same rows (actions named as the API's operations would be), ``via: dashboard``.

A refused or invalid form comes back re-rendered with a message and the API's status code;
a failed CSRF check is a 403 page. No password or secret is ever put back into a page, except
a new key's or endpoint's secret on the one response that creates it.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from specway.errors import APIError, BadRequest, Forbidden
from specway.pagination import PageRequest
from specway.parts.accounts.service import INVALID_LOGIN, check_registration
from specway.parts.api_keys import service as api_keys
from specway.parts.api_keys.store import ApiKeyStore
from specway.plugins.api import client_ip as resolve_client_ip
from specway.plugins.audit.middleware import build_row
from specway.plugins.audit.plan import derive_action
from specway.plugins.auth import AuthRuntime
from specway.plugins.auth.account_store import AccountStore
from specway.plugins.auth.passwords import (
    burn_verification,
    hash_password_async,
    needs_rehash,
    verify_password_async,
)
from specway.plugins.dashboard.config import DashboardConfig
from specway.plugins.dashboard.rendering import page, stylesheet
from specway.plugins.dashboard.security import (
    CSRF_FIELD,
    FORM_COOKIE,
    SESSION_COOKIE,
    clear_cookie,
    new_form_token,
    same,
    session_csrf,
    set_cookie,
)
from specway.plugins.ratelimit.algorithms import SLIDING_WINDOW
from specway.plugins.ratelimit.backends import PolicyCheck
from specway.plugins.ratelimit.limiter import RateLimiter
from specway.plugins.webhooks.endpoint_store import EndpointStore
from specway.plugins.webhooks.service import WebhookService
from specway.principal import Principal
from specway.spec import SpecModel
from specway.state import AppState
from specway.types import SCOPE_PRINCIPAL, SCOPE_REQUEST_ID

# A form is a few short fields; anything larger is refused before it is parsed.
MAX_FORM_BYTES = 64 * 1024
KEYS_PER_PAGE = 50
ENDPOINTS_PER_PAGE = 100
NAME_MAX = 200
URL_MAX = 2048
DESCRIPTION_MAX = 500
NOTICES = {
    "revoked": "The API key was revoked.",
    "deleted": "The webhook endpoint was deleted.",
    "signed_out": "You are signed out.",
}
_ID = r"[A-Za-z0-9_-]{1,64}"

Handler = Callable[[Request, dict[str, str]], Awaitable[Response]]


class FormRefused(Exception):
    """A form the dashboard will not read: no valid CSRF token, or too large."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class Viewer:
    """The signed-in user of a request: their session's principal, token and CSRF token."""

    principal: Principal
    token: str
    csrf: str
    email: str

    @property
    def organization(self) -> str:
        return str(self.principal.organization_id)


SignedInHandler = Callable[["Dashboard", Request, dict[str, str], "Viewer"], Awaitable[Response]]


def requires_viewer(
    handler: SignedInHandler,
) -> Callable[[Dashboard, Request, dict[str, str]], Awaitable[Response]]:
    """A page for signed-in users only: anyone else is sent to the sign-in page."""

    @functools.wraps(handler)
    async def page_of(self: Dashboard, request: Request, match: dict[str, str]) -> Response:
        viewer = await self.viewer(request)
        if viewer is None:
            return self.redirect("/login")
        return await handler(self, request, match, viewer)

    return page_of


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler


def _may_manage(principal: Principal, write_scopes: frozenset[str]) -> bool:
    """Admins, or a role holding ``write_scopes`` (none: admins only)."""
    if principal.role == "admin":
        return True
    return bool(write_scopes) and write_scopes <= principal.scopes


def _scopes_of_part(spec: SpecModel, part: str) -> frozenset[str]:
    """The scopes the part's create operation requires, when the spec serves that part."""
    for op in spec.operations.values():
        if (
            op.raw.get("x-specway-part") == part
            and op.method.lower() == "post"
            and "{" not in op.path
        ):
            return op.scopes
    return frozenset()


class Dashboard:
    """The pages of one app (built once at install, shared by every request)."""

    def __init__(
        self,
        config: DashboardConfig,
        spec: SpecModel,
        state: AppState,
        auth: AuthRuntime,
        limiter: RateLimiter,
        key_prefix: str,
    ) -> None:
        self.config = config
        self.spec = spec
        self.state = state
        self.auth = auth
        self.limiter = limiter
        self.key_prefix = key_prefix
        self.keys_write_scopes = _scopes_of_part(spec, "api-keys")
        self.webhooks_write_scopes = _scopes_of_part(spec, "webhooks")
        self.routes = self._routes()

    # --- dispatch ----------------------------------------------------------------------------

    def _routes(self) -> list[Route]:
        table: list[tuple[str, str, Handler]] = [
            ("GET", "/?", self.home),
            ("GET", "/dashboard.css", self.css),
            ("GET", "/login", self.login_form),
            ("POST", "/login", self.login),
            ("POST", "/logout", self.logout),
            ("GET", "/api-tokens", self.tokens),
            ("POST", "/api-tokens", self.create_token),
            ("POST", f"/api-tokens/(?P<key_id>{_ID})/revoke", self.revoke_token),
        ]
        if self.config.signup:
            table += [("GET", "/signup", self.signup_form), ("POST", "/signup", self.signup)]
        if self.webhooks is not None:
            table += [
                ("GET", "/webhooks", self.webhooks_page),
                ("POST", "/webhooks", self.create_webhook),
                ("POST", f"/webhooks/(?P<webhook_id>{_ID})/delete", self.delete_webhook),
            ]
        prefix = re.escape(self.config.path)
        return [Route(m, re.compile(f"{prefix}{p}"), h) for m, p, h in table]

    async def dispatch(self, request: Request) -> Response:
        path = request.url.path
        allowed: list[str] = []
        for route in self.routes:
            found = route.pattern.fullmatch(path)
            if found is None:
                continue
            if route.method == request.method or (
                route.method == "GET" and request.method == "HEAD"
            ):
                try:
                    return await route.handler(request, found.groupdict())
                except FormRefused as refused:
                    return self.error_page(request, refused.status, refused.message)
                except APIError as exc:  # one a page did not turn into a form message
                    return self.error_page(request, exc.status, exc.message)
            allowed.append(route.method)
        if allowed:
            response = self.error_page(request, 405, "This page does not accept that method.")
            response.headers["Allow"] = ", ".join(sorted(set(allowed)))
            return response
        return self.error_page(request, 404, "There is no such page.")

    # --- shared pieces -----------------------------------------------------------------------

    @property
    def webhooks(self) -> WebhookService | None:
        found = self.state.services.get("webhooks")
        return found if isinstance(found, WebhookService) else None

    @property
    def accounts(self) -> AccountStore:
        return AccountStore(self.state.database, self.auth.hasher)

    @property
    def key_store(self) -> ApiKeyStore:
        return ApiKeyStore(self.state.database, self.auth.hasher, self.auth.key_format)

    def url(self, sub: str = "") -> str:
        return self.config.path + sub

    def common(self, request: Request, viewer: Viewer | None = None) -> dict[str, Any]:
        """What every page's layout shows."""
        return {
            "title": self.config.title,
            "base": self.config.path,
            "request_id": str(request.scope.get(SCOPE_REQUEST_ID, "")),
            "viewer": viewer,
            "csrf_field": CSRF_FIELD,
            "csrf": viewer.csrf if viewer else "",
            "has_webhooks": self.webhooks is not None,
            "signup": self.config.signup,
            "error": None,
            "notice": NOTICES.get(request.query_params.get("notice", "")),
        }

    def error_page(self, request: Request, status: int, message: str) -> Response:
        return page("error.html.j2", status, **{**self.common(request), "message": message})

    def redirect(self, sub: str) -> Response:
        return RedirectResponse(self.url(sub), status_code=303)

    async def form(self, request: Request) -> FormData:
        length = request.headers.get("content-length")
        if length is None or not length.isdigit():
            raise FormRefused(411, "Send the form from the dashboard's page.")
        if int(length) > MAX_FORM_BYTES:
            raise FormRefused(413, "The form is too large.")
        kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if kind != "application/x-www-form-urlencoded":
            raise FormRefused(415, "Send the form from the dashboard's page.")
        return await request.form(max_files=0, max_fields=100)

    async def viewer(self, request: Request) -> Viewer | None:
        """The signed-in user, from the session cookie; ``None`` when there is none (or it is
        revoked, expired, or not a session)."""
        token = request.cookies.get(SESSION_COOKIE)
        if not token:
            return None
        try:
            principal = await self.auth.authenticator.authenticate(token, client_ip(request))
        except APIError:
            return None
        if principal.kind != "session" or principal.user_id is None:
            return None
        try:
            user = await self.accounts.user(principal.user_id)
        except APIError:  # the user is gone
            return None
        request.scope[SCOPE_PRINCIPAL] = principal
        return Viewer(principal, token, session_csrf(self.auth.hasher, token), str(user["email"]))

    async def signed_in_form(self, request: Request, viewer: Viewer) -> FormData:
        form = await self.form(request)
        if not same(viewer.csrf, _text(form, CSRF_FIELD)):
            raise FormRefused(403, _CSRF_MESSAGE)
        return form

    async def anonymous_form(self, request: Request) -> FormData:
        form = await self.form(request)
        if not same(request.cookies.get(FORM_COOKIE), _text(form, CSRF_FIELD)):
            raise FormRefused(403, _CSRF_MESSAGE)
        return form

    async def throttled(self, request: Request) -> int | None:
        """Seconds to wait when this IP has used up its sign-in attempts, else ``None``."""
        ip = client_ip(request)
        key = f"{self.key_prefix}{{ip:{ip}}}:dashboard_signin"
        window_ms = self.config.login_window * 1000
        check = PolicyCheck(key, SLIDING_WINDOW, self.config.login_limit, window_ms)
        outcome = await self.limiter.check([check], ["dashboard_signin"], 1, "open")
        if outcome.admitted:
            return None
        waits = [v.retry_ms for v in outcome.verdicts if not v.allowed]
        return max(1, math.ceil(max(waits, default=window_ms) / 1000))

    def audit(
        self,
        request: Request,
        operation_id: str,
        status: int,
        *,
        target_type: str,
        target_id: str | None = None,
        user_id: str | None = None,
        organization_id: str | None = None,
    ) -> None:
        """The audit row the API's ``operation_id`` would write, marked ``via: dashboard``."""
        writer = self.state.services.get("audit")
        submit = getattr(writer, "submit", None)
        if submit is None:
            return
        row = build_row(
            request.scope,
            action=derive_action(operation_id),
            target_type=target_type,
            target_id=target_id,
            status=status,
            details={"via": "dashboard"},
        )
        if user_id is not None:
            row["user_id"] = user_id
        if organization_id is not None:
            row["organization_id"] = organization_id
        submit(row)

    # --- sign-in, sign-up, sign-out ----------------------------------------------------------

    async def home(self, request: Request, _: dict[str, str]) -> Response:
        signed_in = await self.viewer(request) is not None
        return self.redirect("/api-tokens" if signed_in else "/login")

    async def css(self, request: Request, _: dict[str, str]) -> Response:
        return stylesheet()

    def anonymous_page(
        self, request: Request, template: str, status: int = 200, **values: Any
    ) -> Response:
        """A sign-in or sign-up page with its double-submit CSRF token (kept if it has one)."""
        token = request.cookies.get(FORM_COOKIE) or new_form_token()
        values = {**self.common(request), "csrf": token, "email": "", **values}
        response = page(template, status, **values)
        set_cookie(response, request, self.config.path, FORM_COOKIE, token)
        return response

    def signed_in(self, request: Request, token: str) -> Response:
        response = self.redirect("/api-tokens")
        set_cookie(response, request, self.config.path, SESSION_COOKIE, token)
        clear_cookie(response, request, self.config.path, FORM_COOKIE)
        return response

    async def login_form(self, request: Request, _: dict[str, str]) -> Response:
        if await self.viewer(request) is not None:
            return self.redirect("/api-tokens")
        return self.anonymous_page(request, "login.html.j2")

    async def login(self, request: Request, _: dict[str, str]) -> Response:
        form = await self.anonymous_form(request)
        email, password = _text(form, "email").strip(), _text(form, "password")

        def again(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
            response = self.anonymous_page(
                request, "login.html.j2", status, email=email, error=message
            )
            response.headers.update(headers or {})
            return response

        wait = await self.throttled(request)
        if wait is not None:
            message = f"Too many sign-in attempts. Try again in {wait} seconds."
            return again(429, message, {"Retry-After": str(wait)})
        if not email or not password:
            return again(400, "Enter your email and password.")
        params = self.auth.password_params
        user = await self.accounts.user_by_email(email)
        if user is None:
            await burn_verification(password, params)
            self.audit(request, "loginUser", 401, target_type="user")
            return again(401, INVALID_LOGIN)
        if (
            not await verify_password_async(password, user["password_hash"])
            or not user["is_active"]
        ):
            self.audit(
                request,
                "loginUser",
                401,
                target_type="user",
                target_id=user["id"],
                user_id=user["id"],
                organization_id=user["default_organization_id"],
            )
            return again(401, INVALID_LOGIN)
        new_hash = None
        if needs_rehash(user["password_hash"], params):
            new_hash = await hash_password_async(password, params)
        requested = _text(form, "organization_id").strip() or None
        signed = await self.accounts.sign_in(user, requested, new_hash)
        if signed is None:
            return again(403, "You are not a member of that organization.")
        self.audit(
            request,
            "loginUser",
            200,
            target_type="user",
            target_id=user["id"],
            user_id=user["id"],
            organization_id=signed.organization_id,
        )
        return self.signed_in(request, signed.token)

    async def signup_form(self, request: Request, _: dict[str, str]) -> Response:
        if await self.viewer(request) is not None:
            return self.redirect("/api-tokens")
        return self.anonymous_page(request, "signup.html.j2")

    async def signup(self, request: Request, _: dict[str, str]) -> Response:
        form = await self.anonymous_form(request)
        email = _text(form, "email").strip()
        body = {
            "email": email,
            "password": _text(form, "password"),
            "confirm_password": _text(form, "confirm_password"),
        }

        def again(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
            response = self.anonymous_page(
                request, "signup.html.j2", status, email=email, error=message
            )
            response.headers.update(headers or {})
            return response

        wait = await self.throttled(request)
        if wait is not None:
            message = f"Too many attempts. Try again in {wait} seconds."
            return again(429, message, {"Retry-After": str(wait)})
        try:
            check_registration(body)
            password_hash = await hash_password_async(body["password"], self.auth.password_params)
            signed = await self.accounts.register(email=email, password_hash=password_hash)
        except APIError as exc:
            return again(exc.status, _explained(exc))
        self.audit(
            request,
            "registerUser",
            201,
            target_type="user",
            target_id=signed.user["id"],
            user_id=signed.user["id"],
            organization_id=signed.organization_id,
        )
        return self.signed_in(request, signed.token)

    @requires_viewer
    async def logout(self, request: Request, _: dict[str, str], viewer: Viewer) -> Response:
        await self.signed_in_form(request, viewer)
        await self.accounts.revoke_session(viewer.principal.id)
        await self.auth.invalidate()
        self.audit(request, "logoutUser", 200, target_type="session", target_id=viewer.principal.id)
        response = self.redirect("/login?notice=signed_out")
        clear_cookie(response, request, self.config.path, SESSION_COOKIE)
        return response

    # --- API tokens --------------------------------------------------------------------------

    def may_manage_keys(self, principal: Principal) -> bool:
        """Admins, or a role holding the api-keys part's write scope (when the spec has it)."""
        return _may_manage(principal, self.keys_write_scopes)

    async def tokens_page(
        self, request: Request, viewer: Viewer, status: int = 200, **values: Any
    ) -> Response:
        number = request.query_params.get("page", "1")
        current = int(number) if number.isdigit() and 0 < int(number) <= 100_000 else 1
        request_page = PageRequest(current, KEYS_PER_PAGE)
        items, total = await api_keys.list_api_keys(self.key_store, viewer.principal, request_page)
        principal = viewer.principal
        context = {
            **self.common(request, viewer),
            "keys": items,
            "total": total,
            "page": current,
            "pages": max(1, math.ceil(total / KEYS_PER_PAGE)),
            "may_manage": self.may_manage_keys(principal),
            "user_id": principal.user_id,
            "admin": principal.role == "admin",
            "scopes": [s for s in self.spec.scopes.names if s in principal.scopes],
            "new_key": None,
            "name": "",
            "chosen": [],
            **values,
        }
        return page("api_tokens.html.j2", status, **context)

    @requires_viewer
    async def tokens(self, request: Request, _: dict[str, str], viewer: Viewer) -> Response:
        return await self.tokens_page(request, viewer)

    @requires_viewer
    async def create_token(self, request: Request, _: dict[str, str], viewer: Viewer) -> Response:
        form = await self.signed_in_form(request, viewer)
        name = _text(form, "name").strip()
        chosen = [str(s) for s in form.getlist("scopes")]
        try:
            if not self.may_manage_keys(viewer.principal):
                raise Forbidden("Only admins can create API keys.")
            if not 0 < len(name) <= NAME_MAX:
                raise BadRequest(f"Name the key (1 to {NAME_MAX} characters).")
            created = await api_keys.create_api_key(
                self.key_store, self.auth, viewer.principal, {"name": name, "scopes": chosen}
            )
        except APIError as exc:
            return await self.tokens_page(
                request, viewer, exc.status, error=_explained(exc), name=name, chosen=chosen
            )
        self.audit(request, "createApiKey", 201, target_type="api_key", target_id=created["id"])
        return await self.tokens_page(request, viewer, 201, new_key=created)

    @requires_viewer
    async def revoke_token(
        self, request: Request, match: dict[str, str], viewer: Viewer
    ) -> Response:
        await self.signed_in_form(request, viewer)
        key_id = match["key_id"]
        try:
            if not self.may_manage_keys(viewer.principal):
                raise Forbidden("Only admins can revoke API keys.")
            await api_keys.revoke_api_key(self.key_store, viewer.principal, key_id)
        except APIError as exc:
            return await self.tokens_page(request, viewer, exc.status, error=_explained(exc))
        await self.auth.invalidate()
        self.audit(request, "revokeApiKey", 204, target_type="api_key", target_id=key_id)
        return self.redirect("/api-tokens?notice=revoked")

    # --- webhooks ----------------------------------------------------------------------------

    def may_manage_webhooks(self, principal: Principal) -> bool:
        """Admins, or a role holding the webhooks part's write scope (when the spec has it)."""
        return _may_manage(principal, self.webhooks_write_scopes)

    def endpoint_store(self) -> EndpointStore:
        service = self.webhooks
        if service is None:  # the routes exist only with the webhooks plugin
            raise LookupError("the webhooks plugin is not enabled")
        return EndpointStore(self.state.database, service)

    async def hooks_page(
        self, request: Request, viewer: Viewer, status: int = 200, **values: Any
    ) -> Response:
        store = self.endpoint_store()
        items, total = await store.page(viewer.organization, PageRequest(1, ENDPOINTS_PER_PAGE))
        context = {
            **self.common(request, viewer),
            "endpoints": items,
            "total": total,
            "events": store.service.catalogue.names(),
            "may_manage": self.may_manage_webhooks(viewer.principal),
            "created": None,
            "url_value": "",
            "description": "",
            "chosen": [],
            **values,
        }
        return page("webhooks.html.j2", status, **context)

    @requires_viewer
    async def webhooks_page(self, request: Request, _: dict[str, str], viewer: Viewer) -> Response:
        return await self.hooks_page(request, viewer)

    @requires_viewer
    async def create_webhook(self, request: Request, _: dict[str, str], viewer: Viewer) -> Response:
        form = await self.signed_in_form(request, viewer)
        url = _text(form, "url").strip()
        description = _text(form, "description").strip()
        chosen = [str(e) for e in form.getlist("events")]
        try:
            if not self.may_manage_webhooks(viewer.principal):
                raise Forbidden("Only admins can register webhook endpoints.")
            if not 0 < len(url) <= URL_MAX:
                raise BadRequest(f"Enter the endpoint's URL (at most {URL_MAX} characters).")
            if len(description) > DESCRIPTION_MAX:
                raise BadRequest(f"The description is longer than {DESCRIPTION_MAX} characters.")
            if not chosen:
                raise BadRequest("Choose at least one event.")
            body = {"url": url, "events": chosen, "description": description}
            created = await self.endpoint_store().create(viewer.organization, body)
        except APIError as exc:
            return await self.hooks_page(
                request,
                viewer,
                exc.status,
                error=_explained(exc),
                url_value=url,
                description=description,
                chosen=chosen,
            )
        self.audit(request, "createWebhook", 201, target_type="webhook", target_id=created["id"])
        return await self.hooks_page(request, viewer, 201, created=created)

    @requires_viewer
    async def delete_webhook(
        self, request: Request, match: dict[str, str], viewer: Viewer
    ) -> Response:
        await self.signed_in_form(request, viewer)
        webhook_id = match["webhook_id"]
        try:
            if not self.may_manage_webhooks(viewer.principal):
                raise Forbidden("Only admins can delete webhook endpoints.")
            await self.endpoint_store().delete(viewer.organization, webhook_id)
        except APIError as exc:
            return await self.hooks_page(request, viewer, exc.status, error=_explained(exc))
        self.audit(request, "deleteWebhook", 204, target_type="webhook", target_id=webhook_id)
        return self.redirect("/webhooks?notice=deleted")


_CSRF_MESSAGE = (
    "This form has expired or did not come from this dashboard. Reload the page and try again."
)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _explained(exc: APIError) -> str:
    """The error's message, with the reasons its details give (a field's rule, a URL's)."""
    reasons: list[str] = []
    details = exc.details
    items = details if isinstance(details, list) else [details]
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("reason"), str):
            reasons.append(item["reason"])
    return f"{exc.message}: {'; '.join(reasons)}" if reasons else exc.message


def client_ip(request: Request) -> str:
    return resolve_client_ip(request.scope)
