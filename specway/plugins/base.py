"""The plugin contract.

A plugin is one class with a ``name``, built as ``cls(config, spec_model, settings)`` and then
asked to ``install(builder)``: it adds its middleware at a named position, its security and
error handlers and its lifespan hooks. Built-ins are listed in :mod:`plugins.registry`;
third-party plugins load from the ``specway.plugins`` entry-point group.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from specway.builder import AppBuilder
from specway.settings import Settings
from specway.spec import SpecModel


@runtime_checkable
class Plugin(Protocol):
    """What every plugin class provides."""

    name: str

    def install(self, builder: AppBuilder) -> None:
        """Register middleware, handlers and hooks on ``builder``."""


class PluginFactory(Protocol):
    def __call__(
        self, config: Mapping[str, Any], spec_model: SpecModel, settings: Settings
    ) -> Plugin: ...
