"""Connexion validates a spec against the OpenAPI schema each time an app is built from it.

That check (:func:`specway.compat.spec_check`) is most of ``create_app``'s time, ~0.9 s for the
reference spec, and a process that builds several apps from one spec (workers, tests, the batch
and example servers) repeats it on an identical document. :func:`install` wraps it so a
document that passed once, identified by a digest of its canonical JSON, is not checked again.
A document that fails is never remembered: it fails every time, with Connexion's own error.
An app built with ``SPECWAY_FAST_PATHS=0`` calls :func:`uninstall`: Connexion's check runs on
every document again.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
from connexion.spec import Specification

from specway import compat

_MAX_REMEMBERED = 256
_remembered: set[tuple[type[Specification], bytes]] = set()
# Connexion's own check, kept when install() wraps it.
_CONNEXION_CHECK: compat.SpecCheck = compat.spec_check()
jsonschema_validate: compat.SpecCheck = _CONNEXION_CHECK


def _digest(spec: Any) -> bytes | None:
    try:
        canonical = orjson.dumps(spec, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    except (TypeError, orjson.JSONEncodeError):
        return None  # not JSON-like: always validate
    return hashlib.sha256(canonical).digest()


def install() -> None:
    """Memoise successful validations (idempotent)."""
    if compat.spec_check() is _validate:
        return
    compat.replace_spec_check(_validate)


def uninstall() -> None:
    """Put Connexion's own check back (idempotent)."""
    if compat.spec_check() is _validate:
        compat.replace_spec_check(_CONNEXION_CHECK)


def _validate(cls: type[Specification], spec: Any) -> None:
    digest = _digest(spec)
    if digest is not None and (cls, digest) in _remembered:
        return
    jsonschema_validate(cls, spec)  # raises InvalidSpecification: never remembered
    if digest is not None and len(_remembered) < _MAX_REMEMBERED:
        _remembered.add((cls, digest))
