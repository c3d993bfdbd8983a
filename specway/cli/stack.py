"""``specway stack [--spec FILE] [--routes]``: every layer a request passes, in order.

The app is built exactly as ``serve`` builds it (same plugins, same settings), but never
started: ``create_app`` opens no database connection before lifespan startup, and this command
points the database at an in-memory SQLite URL and gives a placeholder secret key, so it writes
no file either. The layers are read from the built app itself: the outer wrappers by walking
their ``app`` chain, Connexion's stages from the list its stack is built from, each with the
plugin that added it (recorded by :class:`~specway.builder.AppBuilder`).

``--routes`` adds, per operation: method, path, operationId, scopes, rate limits, idempotency,
audit action and events. The README's "How a request flows" block is this command's output for
the reference API (``tests/cli/test_stack.py`` keeps them equal).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from connexion.middleware.main import ConnexionMiddleware

from specway.app import SpecwayApp, create_app
from specway.builder import MiddlewareSpec
from specway.cli.spec_option import add_spec_argument, settings_for
from specway.spec import SpecModel
from specway.spec.include import part_of

# Builds the app without touching a real database or the secret key file.
_NO_DATABASE = "sqlite+aiosqlite:///:memory:"
_PLACEHOLDER_KEY = "specway-stack-placeholder-key-not-used-for-anything"


@dataclass(frozen=True, slots=True)
class Layer:
    """One layer of the stack: its class name, who put it there and (plugin middleware) where."""

    name: str
    owner: str
    stage: str = ""

    def render(self, number: int) -> str:
        where = f" (Stage.{self.stage})" if self.stage else ""
        return f"{number}. {self.name} — {self.owner}{where}"


def _owners(specs: list[MiddlewareSpec]) -> dict[Any, list[MiddlewareSpec]]:
    """Class → the specs that added it, in the order added (a class may be added twice)."""
    found: dict[Any, list[MiddlewareSpec]] = {}
    for spec in specs:
        found.setdefault(spec.cls, []).append(spec)
    return found


def stack_layers(app: SpecwayApp) -> list[Layer]:
    """The layers of ``app``, outermost first, ending with the handler call."""
    outer = _owners(app.builder.outer if app.builder else [])
    inner = _owners(app.builder.middlewares if app.builder else [])
    layers: list[Layer] = []
    current: Any = app.asgi
    connexion_app = app.connexion_app
    while current is not connexion_app:
        wrapper = type(current)
        specs = outer.get(wrapper)
        owner = specs.pop(0).owner if specs else "specway"
        layers.append(Layer(wrapper.__name__, owner))
        current = getattr(current, "app", connexion_app)
    defaults = set(ConnexionMiddleware.default_middlewares)
    for entry in connexion_app.middleware.middlewares:
        cls: Any = entry.func if isinstance(entry, partial) else entry
        specs = inner.get(cls)
        if specs:
            spec = specs.pop(0)
            stage = spec.stage.name if spec.stage else ""
            layers.append(Layer(cls.__name__, spec.owner, stage))
        else:
            layers.append(Layer(cls.__name__, "connexion" if cls in defaults else "specway"))
    calls = type(connexion_app.middleware.app)  # Connexion's own with SPECWAY_FAST_PATHS=0
    layers.append(Layer(calls.__name__, calls.__module__.partition(".")[0]))
    return layers


def render_stack(app: SpecwayApp) -> str:
    """The numbered stack, one ``N. Class — owner`` line per layer."""
    return "\n".join(layer.render(n) for n, layer in enumerate(stack_layers(app), 1)) + "\n"


def _names(values: Any) -> str:
    items = [str(v) for v in values]
    return ",".join(items) if items else "-"


def render_routes(model: SpecModel) -> str:
    """Per operation: what the spec makes each plugin do, one line each, in path order."""
    rl = model.ratelimit
    limited = "ratelimit" in model.plugins
    lines: list[str] = []
    if limited:
        tiers = "; ".join(f"{t}={_names(p.name for p in ps)}" for t, ps in rl.tiers.items())
        lines.append(f"rate-limit tiers: {tiers or '-'}")
        lines.append(f"anonymous: {_names(p.name for p in rl.anonymous)}")
    for op in sorted(model.operations.values(), key=lambda o: (o.path, o.method)):
        if not limited:
            limits = "off"
        elif op.ratelimit.exempt:
            limits = "exempt"
        else:
            base = "anonymous" if op.public else "tier"
            extra = "".join(f"+{p.name}" for p in op.ratelimit.policies)
            limits = f"{base}{extra} cost={op.ratelimit.cost} failure={op.ratelimit.failure}"
        idempotent = "idempotency" in model.plugins and op.idempotency
        audited = op.audit if "audit" in model.plugins and op.audit else "-"
        lines.append(
            f"{op.method.upper()} {op.path} {op.operation_id}"
            f" | scopes={_names(sorted(op.scopes)) if not op.public else 'public'}"
            f" | ratelimit={limits}"
            f" | idempotency={'yes' if idempotent else 'no'}"
            f" | audit={audited}"
            f" | events={_names(op.events)}"
            + (f" | part={part.name}" if (part := part_of(op.raw)) else "")
        )
    return "\n".join(lines) + "\n"


def build_for_inspection(args: argparse.Namespace) -> SpecwayApp:
    """The app ``serve`` would run, built but not started (no database, no key file)."""
    settings = settings_for(args)
    settings = replace(
        settings,
        database_url=_NO_DATABASE,
        secret_key=settings.secret_key or _PLACEHOLDER_KEY,
    )
    return create_app(settings.spec_path, settings)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "stack", help="print every layer a request passes, in order, with its plugin"
    )
    add_spec_argument(parser)
    parser.add_argument(
        "--routes",
        action="store_true",
        help="also list each operation's scopes, rate limits, idempotency, audit and events",
    )
    parser.set_defaults(func=stack)


def stack(args: argparse.Namespace) -> int:
    app = build_for_inspection(args)
    sys.stdout.write(render_stack(app))
    if args.routes:
        sys.stdout.write("\n" + render_routes(app.state.spec))
    return 0
