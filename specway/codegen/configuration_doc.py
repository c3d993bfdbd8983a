"""``docs/configuration.md``: every ``SPECWAY_*`` environment variable, from the settings class.

The table is rendered from the fields of a settings dataclass (``specway.settings.Settings``,
passed in by the caller so that codegen never imports the runtime): the variable is
``SPECWAY_<FIELD>``, the type and default come from the field, the meaning from its
``metadata["doc"]`` (and ``metadata["default"]`` where the bare default would mislead). A field
with ``metadata["env"] is False`` is not read from the environment and is left out.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from specway.codegen.parse import CodegenError
from specway.codegen.render import environment, render
from specway.spec import Problem

ENV_PREFIX = "SPECWAY_"
# How ``Settings.from_env`` reads each annotation (it looks at the annotation's text, too).
_TYPES = (
    ("tuple", "comma-separated list"),
    ("bool", "boolean"),
    ("int", "integer"),
    ("float", "number"),
    ("str", "string"),
)


@dataclass(frozen=True, slots=True)
class SettingDoc:
    """One row of the configuration table."""

    variable: str
    type: str
    default: str
    meaning: str


def _type_text(annotation: Any) -> str:
    text = str(annotation)
    optional = " (empty: unset)" if "None" in text else ""
    for prefix, reading in _TYPES:
        if text.startswith(prefix):
            return reading + optional
    return text


def _default_text(field: dataclasses.Field[Any]) -> str:
    if "default" in field.metadata:
        return str(field.metadata["default"])
    value = field.default
    if value is None:
        return "unset"
    if value == ():
        return "none"
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    return f"`{value}`"


def setting_docs(settings_type: type[Any]) -> list[SettingDoc]:
    """One row per environment variable of ``settings_type``, in field order."""
    if not dataclasses.is_dataclass(settings_type):
        raise CodegenError([Problem("", f"{settings_type!r} is not a dataclass", "")])
    rows: list[SettingDoc] = []
    undocumented: list[str] = []
    for field in dataclasses.fields(settings_type):
        if field.metadata.get("env") is False:
            continue
        if "doc" not in field.metadata:
            undocumented.append(field.name)
            continue
        rows.append(
            SettingDoc(
                variable=f"{ENV_PREFIX}{field.name.upper()}",
                type=_type_text(field.type),
                default=_default_text(field),
                meaning=str(field.metadata["doc"]),
            )
        )
    if undocumented:
        raise CodegenError(
            [
                Problem(
                    "",
                    f"setting {name!r} has no description",
                    "add metadata=_doc('…') to its field in specway/settings.py",
                )
                for name in undocumented
            ]
        )
    return rows


def render_configuration_doc(settings_type: type[Any], templates: Path | None = None) -> str:
    """The text of ``docs/configuration.md``."""
    env = environment("framework", templates)
    return render(env, "configuration.md.j2", settings=setting_docs(settings_type))
