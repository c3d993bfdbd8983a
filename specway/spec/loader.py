"""Load an OpenAPI document from YAML or JSON and bundle its ``$ref``s into one document.

Local references (``#/components/...``) are kept. References into other files are resolved
relative to the file that holds them: schemas under ``components/schemas`` are hoisted into the
root document's ``components/schemas`` (so recursive schemas keep working), anything else is
inlined; the siblings of a ``$ref`` (OpenAPI 3.1) are kept beside it. The parts
``x-specway-include`` names are merged in last (:mod:`specway.spec.include`). In an OpenAPI 3.1
document, ``nullable`` (3.0) is then rewritten as a 2020-12 type array
(:func:`specway.spec.dialect.normalise_nullable`).
"""

from __future__ import annotations

import copy
import hashlib
import json
import pickle
from pathlib import Path
from typing import Any

import yaml

from specway.spec.dialect import is_oas31, normalise_nullable
from specway.spec.include import apply_includes
from specway.spec.problems import Level, Problem, SpecError, escape_pointer_token

Document = dict[str, Any]
# libyaml's safe loader when PyYAML was built with it (the wheels are): the same documents,
# parsed ~10x faster than the pure-Python loader (every app start parses its spec).
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Parsed documents by content digest, pickled: a process that loads one spec many times (tests,
# example servers, workers) parses it once and gets a fresh, independent copy each time.
_PARSED: dict[tuple[bool, bytes], bytes] = {}
_MAX_PARSED = 64


def read_document(path: Path) -> Any:
    """Parse one YAML or JSON file; a parse error becomes a :class:`SpecError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError([Problem("", f"cannot read file: {exc.strerror}", file=str(path))]) from exc
    key = (path.suffix == ".json", hashlib.sha256(text.encode("utf-8")).digest())
    cached = _PARSED.get(key)
    if cached is not None:
        return pickle.loads(cached)  # noqa: S301 (bytes this process pickled itself)
    try:
        if path.suffix == ".json":
            document = json.loads(text)
        else:
            document = yaml.load(text, Loader=_SAFE_LOADER)  # noqa: S506 (a safe loader)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise SpecError([Problem("", f"not valid YAML/JSON: {exc}", file=str(path))]) from exc
    if len(_PARSED) < _MAX_PARSED:
        _PARSED[key] = pickle.dumps(document)
    return document


def resolve_pointer(doc: Any, ref_pointer: str) -> Any:
    """Follow a JSON pointer (``/a/b``) inside ``doc``; raises ``KeyError`` when absent."""
    node = doc
    if not ref_pointer:
        return node
    for raw in ref_pointer.lstrip("/").split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            node = node[int(token)]
        elif isinstance(node, dict):
            node = node[token]
        else:
            raise KeyError(token)
    return node


class _Bundler:
    def __init__(self, root_path: Path, root: Document) -> None:
        self.root_path = root_path.resolve()
        self.root = root
        self.problems: list[Problem] = []
        self.cache: dict[Path, Any] = {self.root_path: root}
        self.hoisted: dict[str, Any] = {}
        self.local: list[tuple[str, str, str]] = []

    def load(self, path: Path) -> Any:
        path = path.resolve()
        if path not in self.cache:
            self.cache[path] = read_document(path)
        return self.cache[path]

    def walk(self, node: Any, base: Path, at: str, stack: tuple[str, ...]) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                target = self.follow(ref, base, at, stack)
                if len(node) == 1 or not isinstance(target, dict):
                    return target
                # Siblings of a $ref (OpenAPI 3.1: 2020-12 schemas, Reference summaries) stay.
                siblings = {
                    k: self.walk(v, base, f"{at}/{escape_pointer_token(k)}", stack)
                    for k, v in node.items()
                    if k != "$ref"
                }
                return {**target, **siblings}
            return {
                k: self.walk(v, base, f"{at}/{escape_pointer_token(k)}", stack)
                for k, v in node.items()
            }
        if isinstance(node, list):
            return [self.walk(v, base, f"{at}/{i}", stack) for i, v in enumerate(node)]
        return node

    def follow(self, ref: str, base: Path, at: str, stack: tuple[str, ...]) -> Any:
        file_part, _, frag = ref.partition("#")
        target_file = (base.parent / file_part).resolve() if file_part else base.resolve()
        if target_file == self.root_path:
            if not file_part:
                self.local.append((at, ref, frag))  # checked once the includes are merged
                return {"$ref": "#" + frag}
            return {"$ref": "#" + frag}
        try:
            doc = self.load(target_file)
            target = resolve_pointer(doc, frag)
        except SpecError as exc:
            self.problems.extend(
                Problem(at, f"unresolved $ref {ref!r}: {p.message}", "fix the file path")
                for p in exc.problems
            )
            return {}
        except (KeyError, IndexError, ValueError):
            self.problems.append(
                Problem(at, f"unresolved $ref {ref!r}", "point it at an existing node")
            )
            return {}
        key = f"{target_file}#{frag}"
        parts = frag.lstrip("/").split("/")
        if len(parts) == 3 and parts[:2] == ["components", "schemas"]:
            name = parts[2]
            if key not in stack and name not in self.hoisted:
                self.hoisted[name] = None
                self.hoisted[name] = self.walk(
                    copy.deepcopy(target), target_file, at, (*stack, key)
                )
            return {"$ref": f"#/components/schemas/{name}"}
        if key in stack:
            self.problems.append(
                Problem(
                    at, f"$ref cycle through {ref!r} cannot be inlined", "move it to components"
                )
            )
            return {}
        return self.walk(copy.deepcopy(target), target_file, at, (*stack, key))


def load_spec_document(path: str | Path) -> Document:
    """Read ``path`` and return one bundled document with only local ``$ref``s left."""
    path = Path(path)
    root = read_document(path)
    if not isinstance(root, dict):
        raise SpecError([Problem("", "the document is not a mapping", file=str(path))])
    bundler = _Bundler(path, root)
    bundled: Document = bundler.walk(root, path.resolve(), "", ())
    if bundler.hoisted:
        schemas = bundled.setdefault("components", {}).setdefault("schemas", {})
        for name, schema in bundler.hoisted.items():
            schemas.setdefault(name, schema)
    # Only the includes' errors stop loading; their warnings come again from build_model (lint).
    bundler.problems += [p for p in include_parts(bundled) if p.level is Level.ERROR]
    for at, ref, frag in bundler.local:
        try:
            resolve_pointer(bundled, frag)
        except (KeyError, IndexError, ValueError):
            bundler.problems.append(
                Problem(at, f"unresolved $ref {ref!r}", "point it at an existing node")
            )
    if is_oas31(bundled):
        normalise_nullable(bundled)  # shared files written for 3.0, too
        bundler.problems += inline_path_item_refs(bundled)
    if bundler.problems:
        raise SpecError([_with_file(p, str(path)) for p in bundler.problems])
    return bundled


def inline_path_item_refs(document: Document) -> list[Problem]:
    """Replace each path item (and webhook) that is a local ``$ref`` (OpenAPI 3.1's
    ``#/components/pathItems/...``) by a copy of its target, in place: every reader of the
    document finds the operations where they are served."""
    problems: list[Problem] = []
    for key in ("paths", "webhooks"):
        items = document.get(key)
        if not isinstance(items, dict):
            continue
        for name, item in items.items():
            ref = item.get("$ref") if isinstance(item, dict) else None
            if not isinstance(ref, str) or not ref.startswith("#"):
                continue
            try:
                target = resolve_pointer(document, ref[1:])
            except (KeyError, IndexError, ValueError):
                target = None
            if not isinstance(target, dict) or isinstance(target.get("$ref"), str):
                problems.append(
                    Problem(
                        f"/{key}/{escape_pointer_token(name)}",
                        f"path item $ref {ref!r} does not name a path item",
                        "point it at one under #/components/pathItems",
                    )
                )
                continue
            siblings = {k: v for k, v in item.items() if k != "$ref"}
            items[name] = {**copy.deepcopy(target), **siblings}
    return problems


def include_parts(document: Document) -> list[Problem]:
    """Merge the parts ``x-specway-include`` names into ``document`` (in place, idempotent).

    The parts are written for both versions: in an OpenAPI 3.1 document their ``nullable`` is
    rewritten as a 2020-12 type array. Returns the include's problems.
    """
    problems = apply_includes(document, read_document)
    if is_oas31(document):
        normalise_nullable(document)
    return problems


def _with_file(problem: Problem, file: str) -> Problem:
    return Problem(problem.pointer, problem.message, problem.fix, problem.level, file)
