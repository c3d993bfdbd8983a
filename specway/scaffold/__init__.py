"""``specway init``'s project template: the files of a new project, rendered into a folder.

The template lives beside this module as package data (``project/**.j2``, so none of it is
imported, linted or collected as this repository's code); each file is rendered with jinja2
(``StrictUndefined``: a misspelt variable is an error, not an empty string) and written to the
same relative path without ``.j2``. ``gitignore.j2`` becomes ``.gitignore`` (dot files are easy
to lose from package data).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path, PurePosixPath

import jinja2

from specway.errors import ConfigError

TEMPLATE = "project"
SUFFIX = ".j2"
RENAMES = {"gitignore": ".gitignore"}
Entry = tuple[PurePosixPath, Traversable]
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$")


def template_files() -> Iterator[Entry]:
    """Each template file with the project-relative path it renders to, sorted."""
    root = resources.files(__name__) / TEMPLATE

    def walk(folder: Traversable, rel: PurePosixPath) -> Iterator[Entry]:
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if entry.is_dir():
                yield from walk(entry, rel / entry.name)
            elif entry.name.endswith(SUFFIX):
                name = entry.name.removesuffix(SUFFIX)
                yield rel / RENAMES.get(name, name), entry

    yield from walk(root, PurePosixPath())


def check_name(name: str) -> str:
    """The project's display name (the spec's title); ``ConfigError`` if it is unusable."""
    if not _NAME.match(name):
        raise ConfigError(
            f"--name: {name!r} is not a project name (letters, digits, space, '.', '_', '-'; "
            "at most 64 characters, starting with a letter or digit)"
        )
    return name


def is_empty(folder: Path) -> bool:
    """Whether ``folder`` is missing or has no entries (hidden ones count)."""
    return not folder.exists() or not any(folder.iterdir())


def render_project(folder: Path, name: str, *, force: bool = False) -> list[Path]:
    """Write a new project named ``name`` into ``folder``; return the files written.

    ``folder`` must be empty or missing unless ``force``, which overwrites the template's files
    and leaves every other file alone.
    """
    check_name(name)
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{folder} exists and is not a folder")
    if not force and not is_empty(folder):
        raise ConfigError(f"{folder} is not empty (pass --force to write the project into it)")
    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701 - YAML, Python and Markdown, not HTML
    )
    written: list[Path] = []
    for rel, source in template_files():
        text = env.from_string(source.read_text(encoding="utf-8")).render(title=name)
        target = folder.joinpath(*rel.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written
