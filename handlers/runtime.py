"""What the workspace, environment and variable handlers take from the current request.

Services never read the request context themselves: handlers build an :class:`Actor` (who acts,
in which organisation, whether they may see secret values) and hand it, with the app's
:class:`~specway.crypto.SecretBox`, to the service.
"""

from __future__ import annotations

from dataclasses import dataclass

from specway import context
from specway.crypto import SecretBox
from specway.principal import Principal
from specway.settings import secret_box

_BOX_SERVICE = "secret_box"


@dataclass(frozen=True, slots=True)
class Actor:
    """The caller as services see it.

    ``organization_id`` is ``None`` when no auth plugin runs (every row then belongs to "no
    organisation", exactly as for projects). ``can_read_values`` says whether decrypted
    variable values may be returned: callers holding the ``read`` scope (roles grant it), and
    anyone when authentication is off.
    """

    organization_id: str | None
    id: str | None = None
    name: str | None = None
    can_read_values: bool = True


def actor_of(principal: Principal | None) -> Actor:
    """The :class:`Actor` for ``principal`` (``None``: anonymous, authentication off)."""
    if principal is None:
        return Actor(organization_id=None)
    return Actor(
        organization_id=principal.organization_id,
        id=principal.user_id or principal.id,
        # Principals carry no display name yet; the accounts plugin will supply one.
        name=None,
        can_read_values="read" in principal.scopes,
    )


def current_actor() -> Actor:
    """The :class:`Actor` of the request being handled."""
    return actor_of(context.principal())


def current_secret_box() -> SecretBox:
    """The app's box for secrets at rest, built once from its settings' keys."""
    state = context.app_state()
    box = state.services.get(_BOX_SERVICE)
    if not isinstance(box, SecretBox):
        box = secret_box(state.settings)
        state.services[_BOX_SERVICE] = box
    return box
