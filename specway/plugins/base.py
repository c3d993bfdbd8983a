"""The plugin contract.

A plugin is one class with a ``name``, built as ``cls(config, spec_model, settings)`` and then
asked to ``install(builder)``: it adds its middleware at a named :class:`~specway.stages.Stage`,
its security and error handlers and its lifespan hooks. Built-ins are listed in
:mod:`specway.plugins.registry`; third-party plugins load from the ``specway.plugins``
entry-point group.

:class:`Plugin` is the structural minimum every plugin (built-ins included) meets.
:class:`SpecwayPlugin` is the base class third-party plugins subclass (exported by
:mod:`specway.plugins.api`): it adds the optional parts lint and the migration runner read
from the class, without building it —

=====================  ============================================================
``extension_key``      the ``x-`` key the plugin reads from the spec (not ``x-specway-*``)
``extension_schema``   that key's JSON Schema (draft 7); ``spec lint`` checks the value
``extension_levels``   where the key may appear: ``document``, ``path``, ``operation``
``migrations``         a folder of Alembic revisions, version table ``specway_version_<name>``
=====================  ============================================================
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

from specway.builder import AppBuilder
from specway.settings import Settings
from specway.spec import SpecModel
from specway.spec.plugin_names import ExtensionLevel


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


class SpecwayPlugin(abc.ABC):
    """Base class of a third-party plugin: declare the class attributes, implement install.

    ``config`` is what ``create_app(plugin_config={name: ...})`` passes (usually empty); the
    spec's configuration is :attr:`extension` (document level) and
    :meth:`operation_extension` (merged document → path item → operation), already checked
    against ``extension_schema`` when the spec was loaded.
    """

    name: ClassVar[str]
    extension_key: ClassVar[str | None] = None
    extension_schema: ClassVar[Mapping[str, Any] | None] = None
    extension_levels: ClassVar[tuple[ExtensionLevel, ...]] = ("document",)
    migrations: ClassVar[Path | None] = None

    def __init__(
        self, config: Mapping[str, Any], spec_model: SpecModel, settings: Settings
    ) -> None:
        self.config = config
        self.spec = spec_model
        self.settings = settings

    @abc.abstractmethod
    def install(self, builder: AppBuilder) -> None:
        """Register middleware (``builder.add_middleware(cls, Stage.X, **options)``), outer
        wrappers, error handlers and startup/shutdown hooks."""

    @property
    def extension(self) -> Any:
        """The document-level value of :attr:`extension_key` (``None`` when absent)."""
        if self.extension_key is None:
            return None
        return self.spec.document.get(self.extension_key)

    def operation_extension(self, operation_id: str) -> Any:
        """:attr:`extension_key`'s value for one operation: document → path item → operation.

        Mappings merge key by key (the inner level wins); any other value replaces the outer
        one. ``None`` when no level sets it.
        """
        key = self.extension_key
        if key is None:
            return None
        op = self.spec.operation(operation_id)
        path_item = (self.spec.document.get("paths") or {}).get(op.path) or {}
        value: Any = None
        for level in (self.spec.document, path_item, op.raw):
            if key not in level:
                continue
            inner = level[key]
            if isinstance(value, dict) and isinstance(inner, dict):
                value = {**value, **inner}
            else:
                value = inner
        return value
