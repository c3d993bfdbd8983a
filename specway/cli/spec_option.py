"""``--spec``: the one rule every command that reads a project's spec follows.

The spec is ``--spec`` if given, else ``SPECWAY_SPEC_PATH``, else ``./openapi.yaml``. The
project (its handlers package, its migrations) is then found from the spec's folder, so a
command works the same from any current directory. A spec that does not exist is one line and
exit 2, before anything else is read.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from specway.errors import ConfigError
from specway.settings import Settings

DEFAULT_SPEC = "openapi.yaml"
ENV_VAR = "SPECWAY_SPEC_PATH"
HELP = f"OpenAPI document (default: ${ENV_VAR}, else ./{DEFAULT_SPEC})"


def add_spec_argument(
    parser: argparse.ArgumentParser, *, positional: bool = False, subcommand: bool = False
) -> None:
    """Add ``--spec`` (or an optional positional ``file``) to ``parser``, defaulting to ``None``.

    ``None`` means "apply the rule": :func:`spec_path` resolves it when the command runs, so an
    environment variable set after the parser was built still counts. ``subcommand``: ``parser``
    is a subcommand of one that takes ``--spec`` too; given before the subcommand's name
    (``codegen --spec F python``), the parent's value then stands instead of being reset.
    """
    default = argparse.SUPPRESS if subcommand else None
    if positional:
        parser.add_argument("spec", nargs="?", default=default, metavar="FILE", help=HELP)
    else:
        parser.add_argument("--spec", default=default, metavar="FILE", help=HELP)


def spec_path(args: argparse.Namespace) -> Path:
    """The spec the command reads, as given; ``ConfigError`` (exit 2) if there is no such file.

    Kept as given (not made absolute) so messages show the path the user typed; everything that
    finds the project from it resolves it itself.
    """
    given = getattr(args, "spec", None) or os.environ.get(ENV_VAR) or DEFAULT_SPEC
    path = Path(given).expanduser()
    if not path.is_file():
        raise ConfigError(f"spec not found: {given} (pass --spec or set {ENV_VAR})")
    return path


def settings_for(args: argparse.Namespace) -> Settings:
    """``SPECWAY_*`` settings with ``spec_path`` set by the rule (and checked to exist)."""
    return Settings.from_env(spec_path=str(spec_path(args)))
