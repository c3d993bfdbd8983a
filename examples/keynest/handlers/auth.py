"""``Auth``: the reference handlers as they are (KeyNest's shapes are the reference's)."""

from __future__ import annotations

from specway.parts.accounts.handlers import get_profile, login_user, logout_user, register_user

__all__ = ["get_profile", "login_user", "logout_user", "register_user"]
