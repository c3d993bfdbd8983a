"""specway's named stages: where in Connexion's pipeline a plugin's middleware runs.

Plugins say *what they need to know* (:class:`Stage`), not which Connexion class they sit in
front of; the one mapping to Connexion 3's ``MiddlewarePosition`` is :data:`_POSITIONS`, so a
change of Connexion's stage list is one edit here and plugins never import Connexion.

Connexion's stages, outermost first (those specway keeps, see ``SpecwayConnexionApp``):
server error → exception → routing → security → request validation → lifespan → context →
the prepared handler call. A stage's middleware runs just before the Connexion stage it is
mapped to; two added at the same stage nest in install order (first = outer).
"""

from __future__ import annotations

import enum

from connexion.middleware import MiddlewarePosition


class Stage(enum.Enum):
    """Where a plugin's middleware runs, named by what is known there."""

    RESPONSES = "responses"
    """Outside Connexion's exception handling: sees every response, errors included (headers
    on every reply, envelopes). No operation is known yet."""

    UNROUTED = "unrouted"
    """Inside exception handling, before routing: a request that matches no operation still
    passes (CORS preflights)."""

    ROUTED = "routed"
    """The operation is known (``scope["extensions"]["connexion_routing"]``); the caller is not
    authenticated yet (audit of authentication failures)."""

    AUTHENTICATED = "authenticated"
    """The caller is known (``connexion_context``'s ``token_info``); the request is not
    validated yet (rate limits, idempotency, audit)."""

    VALIDATED = "validated"
    """The request passed validation; next is the handler call."""

    @property
    def position(self) -> MiddlewarePosition:
        """The Connexion position this stage inserts before."""
        return _POSITIONS[self]


_POSITIONS: dict[Stage, MiddlewarePosition] = {
    Stage.RESPONSES: MiddlewarePosition.BEFORE_EXCEPTION,
    Stage.UNROUTED: MiddlewarePosition.BEFORE_ROUTING,
    Stage.ROUTED: MiddlewarePosition.BEFORE_SECURITY,
    Stage.AUTHENTICATED: MiddlewarePosition.BEFORE_VALIDATION,
    Stage.VALIDATED: MiddlewarePosition.BEFORE_CONTEXT,
}
