"""Per-owner migrations: the core, each enabled plugin, then the project, each its own history.

Every owner of tables keeps its Alembic revisions in its own folder and its applied revision in
its own version table, and the owners are migrated in this order:

========================  ==========================================  ===========================
owner                     revisions                                   version table
========================  ==========================================  ===========================
core                      ``specway/storage/migrations/versions/``    ``specway_version_core``
each enabled plugin,      the plugin class's ``migrations`` folder    ``specway_version_<name>``
in install order          (``specway/plugins/<name>/migrations/``)
the project               ``versions/`` of each ``x-specway-          ``alembic_version``
                          migrations`` folder (default ``migrations``)
========================  ==========================================  ===========================

A plugin that the spec does not enable is never migrated, so its tables are never created. The
project's history uses Alembic's standard version table, so its ``migrations/`` folder is plain
Alembic; one shared ``env.py`` and ``script.py.mako`` (``specway/storage/migrations/``) serve
every owner, and a project folder needs nothing but ``versions/``.

A plugin declares its revisions with a class attribute, read without building the plugin::

    class ShopPlugin:
        name = "shop"
        migrations: ClassVar[Path | None] = Path(__file__).parent / "migrations"

:meth:`specway.storage.Database.migrate` runs :func:`upgrade` inside one lock;
``specway db upgrade | current | revision`` (:mod:`specway.cli.db`) are the command line.
"""

from __future__ import annotations

import logging
import os
import re
import traceback
import warnings
from argparse import Namespace
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Connection

from specway.errors import ConfigError, StorageError
from specway.plugins import registry
from specway.storage import legacy

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from specway.spec import SpecModel

logger = logging.getLogger("specway.storage.migrate")

# The shared env.py and script.py.mako; ``versions/`` beside them holds the core's revisions.
SCRIPTS = Path(__file__).parent / "migrations"
CORE_VERSIONS = SCRIPTS / "versions"
PROJECT_VERSION_TABLE = "alembic_version"
# Alembic's warning for a down_revision that names no revision of the history.
_MISSING = re.compile(r"Revision (?P<parent>\S+) referenced from \S+ -> (?P<child>\S+)")


@dataclass(frozen=True, slots=True)
class MigrationSource:
    """One owner of tables: where its revisions are and which table records its revision."""

    owner: str
    version_table: str
    folders: tuple[Path, ...]


@dataclass(frozen=True, slots=True)
class OwnerRevision:
    """An owner's applied revisions next to its newest ones (``specway db current``)."""

    owner: str
    current: tuple[str, ...]
    heads: tuple[str, ...]

    @property
    def up_to_date(self) -> bool:
        return set(self.current) == set(self.heads)


def core_source() -> MigrationSource:
    return MigrationSource("core", "specway_version_core", (CORE_VERSIONS,))


def plugin_sources(names: Iterable[str]) -> list[MigrationSource]:
    """The enabled plugins (``names`` plus the required ones) that own tables, in install order."""
    sources = []
    for name in registry.ordered(tuple(names)):
        folder = getattr(registry.plugin_class(name), "migrations", None)
        if folder is not None:
            sources.append(MigrationSource(name, f"specway_version_{name}", (Path(str(folder)),)))
    return sources


def project_source(model: SpecModel) -> MigrationSource | None:
    """The project's revisions: ``versions/`` of each ``x-specway-migrations`` folder.

    The default folder (``migrations`` beside the spec) may be absent: the project has no
    tables. A folder the spec names must exist.
    """
    declared = "x-specway-migrations" in model.document
    folders = []
    for raw in model.migrations:
        folder = Path(raw)
        if not folder.is_dir():
            if declared:
                raise ConfigError(
                    f"{model.file}: x-specway-migrations: no folder {folder} "
                    "(paths are relative to the spec's folder)"
                )
            continue
        folders.append(folder / "versions")
    return MigrationSource("project", PROJECT_VERSION_TABLE, tuple(folders)) if folders else None


def sources_for(model: SpecModel) -> list[MigrationSource]:
    """Every owner ``model`` enables, in migration order: core, plugins, project."""
    project = project_source(model)
    return [core_source(), *plugin_sources(model.plugins), *([project] if project else [])]


def sources_of(spec: SpecModel | str | Path | None) -> list[MigrationSource]:
    """:func:`sources_for` the spec given, or by path, or at ``SPECWAY_SPEC_PATH`` (default
    ``./openapi.yaml``); with no spec there, the core and every built-in plugin that owns tables.
    """
    from specway.spec import SpecModel, load_model

    if isinstance(spec, SpecModel):
        return sources_for(spec)
    if spec is None:
        spec = os.environ.get("SPECWAY_SPEC_PATH") or "openapi.yaml"
        if not Path(spec).is_file():
            return [core_source(), *plugin_sources(registry.BUILTIN)]
    return sources_for(load_model(spec))


def alembic_config(source: MigrationSource, connection: Connection | None = None) -> Config:
    """An Alembic ``Config`` for ``source``: the shared env.py, its folders, its version table."""
    from alembic.config import Config

    # quiet: Alembic's own status lines go nowhere; the CLI reports what was done.
    config = Config(cmd_opts=Namespace(quiet=True))
    config.set_main_option("script_location", str(SCRIPTS))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", os.pathsep.join(str(f) for f in source.folders))
    config.attributes["connection"] = connection
    config.attributes["version_table"] = source.version_table
    return config


def scripts(source: MigrationSource) -> ScriptDirectory:
    """``source``'s revisions, loaded and checked; ``ConfigError`` in one line if one is broken."""
    from alembic.script import ScriptDirectory

    error: Exception | None = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            directory = ScriptDirectory.from_config(alembic_config(source))
            for _ in directory.walk_revisions():
                pass
        except Exception as exc:
            error = exc
    for warning in caught:
        missing = _MISSING.search(" ".join(str(warning.message).split()))
        if missing:
            raise ConfigError(
                f"{_where(source)}: revision {missing['child']!r} names down_revision "
                f"{missing['parent']!r}, which is not among these revisions"
            )
    if error is not None:
        raise ConfigError(f"{_where(source)}: {_describe(error, source)}") from None
    return directory


def upgrade(connection: Connection, sources: Sequence[MigrationSource]) -> None:
    """Adopt a single-tree database, then upgrade every owner to its heads, in order.

    Runs on ``connection`` (synchronous: called through ``run_sync``) inside the caller's
    transaction and lock. Every owner's revisions are checked before anything is applied.
    """
    from alembic import command

    loaded = [(source, scripts(source)) for source in sources]
    legacy.adopt(connection)
    for source, directory in loaded:
        if _at_heads(connection, source, directory):
            continue  # the common start: nothing to apply, no second load of the revisions
        try:
            command.upgrade(alembic_config(source, connection), "heads")
        except ConfigError:
            raise
        except Exception as exc:
            raise StorageError(
                f"migration of {source.owner} failed: {type(exc).__name__}: {_first_line(exc)}"
            ) from exc


def _at_heads(connection: Connection, source: MigrationSource, directory: ScriptDirectory) -> bool:
    """Whether ``source``'s version table already names exactly its heads (an owner without
    revisions is never: upgrading it only creates its version table, and costs nothing)."""
    from alembic.runtime.migration import MigrationContext

    heads = set(directory.get_heads())
    context = MigrationContext.configure(connection, opts={"version_table": source.version_table})
    return bool(heads) and set(context.get_current_heads()) == heads


def current(connection: Connection, sources: Sequence[MigrationSource]) -> list[OwnerRevision]:
    """Each owner's applied revisions and its heads, read without changing anything."""
    from alembic.runtime.migration import MigrationContext

    states = []
    for source in sources:
        heads = tuple(scripts(source).get_heads())
        context = MigrationContext.configure(
            connection, opts={"version_table": source.version_table}
        )
        states.append(OwnerRevision(source.owner, tuple(context.get_current_heads()), heads))
    return states


def _where(source: MigrationSource) -> str:
    folders = ", ".join(str(f) for f in source.folders)
    return f"{source.owner} migrations ({folders})"


def _describe(exc: BaseException, source: MigrationSource) -> str:
    """One line: what is wrong, and in which revision file when the error came from one."""
    if isinstance(exc, SyntaxError):
        return f"SyntaxError: {exc.msg} ({exc.filename}, line {exc.lineno})"
    where = ""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if any(Path(frame.filename).parent == folder for folder in source.folders):
            where = f" ({frame.filename}, line {frame.lineno})"
            break
    if isinstance(exc, KeyError):
        return f"unknown revision {exc.args[0]!r}{where}"
    return f"{type(exc).__name__}: {_first_line(exc)}{where}"


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return re.sub(r"\s+", " ", text.splitlines()[0])[:300] if text else type(exc).__name__
