"""``create_app``: build a Connexion ``AsyncApp`` from a spec, with plugins and handlers."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from connexion import AsyncApp
from connexion.middleware.main import ConnexionMiddleware
from connexion.middleware.request_validation import RequestValidationMiddleware
from connexion.middleware.response_validation import ResponseValidationMiddleware
from connexion.middleware.swagger_ui import SwaggerUIMiddleware
from connexion.resolver import Resolver

from specway import compat, spec_validation_cache
from specway.builder import AppBuilder
from specway.dispatch import CompiledASGIApp
from specway.docs_routes import ReferenceRoutes
from specway.envelope import with_envelopes
from specway.errors import ConfigError
from specway.jsonify import OrjsonJsonifier
from specway.plugins.registry import ordered, plugin_class
from specway.project import (
    Project,
    import_handler_module,
    import_handlers,
    locate,
    module_file,
)
from specway.settings import Settings
from specway.spec import SpecError, SpecModel, load_model
from specway.spec.dialect import is_oas31
from specway.spec.oas30_view import connexion_document
from specway.state import AppState
from specway.storage.database import Database
from specway.types import ASGIApp, Receive, Scope, Send
from specway.validation import PreparedValidationMiddleware

logger = logging.getLogger("specway.app")


class SpecwayApp:
    """The built ASGI application: Connexion inside specway's outer wrappers.

    ``builder`` is what the plugins installed, each layer with the plugin that added it
    (``specway stack`` reads it).
    """

    def __init__(
        self,
        connexion_app: AsyncApp,
        asgi: ASGIApp,
        state: AppState,
        builder: AppBuilder | None = None,
    ) -> None:
        self.connexion_app = connexion_app
        self.asgi = asgi
        self.state = state
        self.builder = builder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.asgi(scope, receive, send)


def resolve_handlers(
    model: SpecModel, project: Project | None = None
) -> dict[str, Callable[..., Any]]:
    """Import every operation's handler from the project's own handlers package.

    One ``ConfigError`` lists every operation whose module or function is missing, with the
    module and the file looked for (one line when only one is).
    """
    project = project or locate(model)
    import_handlers(project)
    found: dict[str, Callable[..., Any]] = {}
    missing: list[str] = []
    for op in model.operations.values():
        module = import_handler_module(project, op.handler_module)
        where = module_file(project, op.handler_module)
        if module is None:
            missing.append(
                f"operationId {op.operation_id!r}: no module {op.handler_module!r} "
                f"(looked for {op.handler_function}() in {where})"
            )
        elif not callable(getattr(module, op.handler_function, None)):
            missing.append(
                f"operationId {op.operation_id!r}: no function {op.handler_function!r} "
                f"in module {op.handler_module!r} ({where})"
            )
        else:
            found[op.operation_id] = getattr(module, op.handler_function)
    if len(missing) == 1:
        raise ConfigError(f"handler not found: {missing[0]}")
    if missing:
        raise ConfigError(f"{len(missing)} handlers not found:\n  " + "\n  ".join(missing))
    return found


class _PrebuiltResolver(Resolver):  # type: ignore[misc]
    def __init__(self, handlers: dict[str, Callable[..., Any]]) -> None:
        super().__init__()
        self.handlers = handlers

    def resolve_function_from_operation_id(self, operation_id: str) -> Callable[..., Any]:
        return self.handlers[operation_id]


def load_spec(spec_path: str | Path) -> SpecModel:
    try:
        return load_model(spec_path)
    except SpecError as exc:
        raise ConfigError(
            f"invalid spec {spec_path}:\n" + "\n".join(p.render() for p in exc.problems)
        ) from None


def create_app(
    spec_path: str | Path | None = None,
    settings: Settings | None = None,
    *,
    handlers: dict[str, Callable[..., Any]] | None = None,
    plugins: tuple[str, ...] | None = None,
    plugin_config: dict[str, dict[str, Any]] | None = None,
    configure: Callable[[AppBuilder], None] | None = None,
) -> SpecwayApp:
    """Build the app for ``spec_path`` (default: settings' spec path).

    ``handlers`` replaces handler lookup (operationId → callable), e.g. for fixed-response
    benchmarks; ``plugins`` replaces the spec's ``x-specway-plugins`` list; ``configure`` gets
    the builder after the plugins (e.g. the mock server's spec override).
    """
    settings = settings or Settings.from_env()
    if settings.fast_paths:
        spec_validation_cache.install()
    else:
        spec_validation_cache.uninstall()
    path = Path(spec_path or settings.spec_path)
    model = load_spec(path)
    if plugins is not None:
        # The plugins this app runs, for everything that reads them (migrations included).
        model = replace(model, plugins=tuple(plugins))
    resolved = with_envelopes(model, handlers if handlers is not None else resolve_handlers(model))
    database = Database(
        settings.database_url,
        pool_size=settings.db_pool_size,
        timeout=settings.db_timeout,
        fast_paths=settings.fast_paths,
    )
    state = AppState(spec=model, settings=settings, database=database)
    builder = AppBuilder(state=state)
    for name in ordered(model.plugins):
        cls = plugin_class(name)
        plugin = cls((plugin_config or {}).get(name, {}), model, settings)
        with builder.installing(name):
            plugin.install(builder)
    if handlers is None:
        with builder.installing("handlers"):
            install_handlers_package(model, builder)
    if configure is not None:
        with builder.installing("configure"):
            configure(builder)

    @asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        await startup(state, builder)
        try:
            yield
        finally:
            for hook in reversed(builder.shutdown):
                try:
                    await hook()
                except Exception:
                    logger.exception("shutdown hook failed")
            await database.dispose()

    document = model.document
    for override in builder.spec_overrides:
        override(document)
    # Connexion loads only OpenAPI 2.0/3.0: a 3.1 document reaches it as its 3.0 view, and
    # request validation gets the document's own 2020-12 schemas (specway.validation).
    json_schema_document = document if is_oas31(document) else None
    app = SpecwayConnexionApp(
        __name__,
        lifespan=lifespan,
        validate_responses=False,
        compiled_operations=settings.fast_paths,
        jsonifier=OrjsonJsonifier(),
        security_map=builder.security_map or None,
        validator_map=builder.validator_map or None,
    )
    for spec_mw in builder.middlewares:
        if spec_mw.stage is not None:
            app.add_middleware(spec_mw.cls, position=spec_mw.stage.position, **spec_mw.options)
    for exc, handler in builder.error_handlers:
        app.add_error_handler(exc, handler)
    if settings.fast_paths:
        app.prepare_validation()
    app.add_api(
        connexion_document(document),
        resolver=_PrebuiltResolver(resolved),
        pythonic_params=False,
        strict_validation=False,
        validate_responses=False,
        json_schema_document=json_schema_document,
    )
    for route in builder.routes:
        app.add_url_rule(route.path, route.name, route.endpoint, methods=route.methods)
    # Docs and the bundled spec: before Connexion (no auth, no rate limit), inside the outer
    # plugin wrappers (so they still get a request id).
    asgi: ASGIApp = ReferenceRoutes(app, model)
    for outer in reversed(builder.outer):
        asgi = outer.cls(asgi, **outer.options)
    # The outermost app, for handlers that dispatch sub-requests through the whole pipeline.
    state.services["asgi_app"] = asgi
    return SpecwayApp(app, asgi, state, builder)


def install_handlers_package(model: SpecModel, builder: AppBuilder) -> None:
    """Call ``install(builder)`` of the spec's handlers package, if it defines one."""
    package = import_handlers(locate(model))
    install = getattr(package, "install", None)
    if callable(install):
        install(builder)


async def startup(state: AppState, builder: AppBuilder) -> None:
    """Check the database, migrate the embedded default, then run plugin startup hooks."""
    db = state.database
    if state.settings.auto_migrate:
        await db.migrate(state.spec)
    else:
        await db.check()
    for hook in builder.startup:
        await hook()
    freeze_startup_objects(state.settings.gc_threshold)


_frozen = False


def freeze_startup_objects(young_threshold: int = 0) -> None:
    """Once per process: move everything loaded so far out of the collector's sight.

    The spec, compiled schemas, plans and modules live as long as the process; full
    collections triggered by request garbage stop walking them (0.08-0.19 ms per request
    saved, measured in-process). Only the first app of a process does it: objects frozen are
    never collected, so a process that builds many apps (tests) must not freeze each one.

    ``young_threshold`` (``SPECWAY_GC_THRESHOLD``) replaces Python's 700 allocations between
    young collections: each one walks every object of the requests in flight, and a request
    allocates a few thousand. 20,000 saved 3-10% of the CPU per request in-process (A/B
    rounds alternating in one process), with RSS flat over 100k requests in the benchmark.
    """
    global _frozen
    if not _frozen:
        _frozen = True
        gc.collect()
        gc.freeze()
        if young_threshold > 0:
            _, middle, old = gc.get_threshold()
            gc.set_threshold(young_threshold, middle, old)


class SpecwayConnexionApp(AsyncApp):  # type: ignore[misc]
    """Connexion's ``AsyncApp`` with the handler calls prepared at startup (``specway.dispatch``;
    ``compiled_operations=False``, as with ``SPECWAY_FAST_PATHS=0``, keeps Connexion's own) and
    without the layers specway never uses: the Swagger UI middleware (specway serves its own
    reference and spec before Connexion) and the response-validation middleware (off).
    """

    def __init__(
        self,
        import_name: str,
        *,
        validate_responses: bool,
        compiled_operations: bool = True,
        **kwargs: Any,
    ) -> None:
        unused = {SwaggerUIMiddleware} | (
            set() if validate_responses else {ResponseValidationMiddleware}
        )
        middlewares = [m for m in ConnexionMiddleware.default_middlewares if m not in unused]
        super().__init__(
            import_name, middlewares=middlewares, validate_responses=validate_responses, **kwargs
        )
        if compiled_operations:
            compat.replace_inner_app(self, CompiledASGIApp())

    def prepare_validation(self) -> None:
        """Swap in the prepared request validation once every middleware is positioned
        (``MiddlewarePosition.BEFORE_VALIDATION`` looks for Connexion's own class)."""
        stack = self.middleware.middlewares
        stack[stack.index(RequestValidationMiddleware)] = PreparedValidationMiddleware
