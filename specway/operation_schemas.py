"""The JSON Schema 2020-12 schemas of one operation of an OpenAPI 3.1 document.

Connexion routes a 3.1 document through its 3.0 view (:mod:`specway.spec.oas30_view`), whose
schemas are only as close to the originals as 3.0 can say. Request validation must use the
originals: :class:`OperationSchemas` finds an operation's JSON body and parameter schemas in the
3.1 document itself and hands them out self-contained (``$schema`` set, components attached),
so the validators pick the 2020-12 draft from them.
"""

from __future__ import annotations

from typing import Any

from connexion.datastructures import MediaTypeDict

from specway.spec.dialect import Document, standalone_schema
from specway.spec.loader import resolve_pointer


class OperationSchemas:
    """``body_schema(media_type)`` and ``parameter(view_parameter)`` of one 3.1 operation."""

    def __init__(self, document: Document, path: str, method: str) -> None:
        self._document = document
        item = self._resolve(((document.get("paths") or {}).get(path)) or {})
        operation = self._resolve(item.get(method) or {})
        self._parameters: dict[tuple[str, str], dict[str, Any]] = {}
        for raw in [*(item.get("parameters") or []), *(operation.get("parameters") or [])]:
            param = self._resolve(raw)  # operation-level ones come last: they win
            if isinstance(param, dict) and "name" in param and "in" in param:
                self._parameters[(str(param["in"]), str(param["name"]))] = param
        body = self._resolve(operation.get("requestBody") or {})
        self._content = MediaTypeDict(body.get("content") or {}) if body else None
        self._bodies: dict[str, dict[str, Any] | None] = {}

    def _resolve(self, node: Any) -> Any:
        seen = 0
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and seen < 32:
            ref = node["$ref"]
            if not ref.startswith("#"):
                return {}
            try:
                node = resolve_pointer(self._document, ref[1:])
            except (KeyError, IndexError, ValueError):
                return {}
            seen += 1
        return node

    def body_schema(self, media_type: str) -> dict[str, Any] | None:
        """The 2020-12 schema of a JSON body sent as ``media_type``; ``None``: no schema."""
        if media_type in self._bodies:
            return self._bodies[media_type]
        found: dict[str, Any] | None = None
        if self._content is not None:
            media = self._content.get(media_type) or {}
            if isinstance(media, dict) and "schema" in media:
                found = standalone_schema(self._document, media["schema"])
        if len(self._bodies) < 64:  # media types are client input: bounded
            self._bodies[media_type] = found
        return found

    def parameter(self, view: dict[str, Any]) -> dict[str, Any]:
        """``view`` (a parameter of the 3.0 view) with the document's 2020-12 ``schema``.

        ``nullable`` is kept on the schema when the view has it: Connexion's parameter check
        lets the literal ``null`` through by it, before any schema is applied.
        """
        original = self._parameters.get((str(view.get("in")), str(view.get("name"))))
        if original is None or "schema" not in original:
            return view
        view_schema = view.get("schema") or {}
        extra = {"nullable": True} if view_schema.get("nullable") else {}
        return {**view, "schema": standalone_schema(self._document, original["schema"], **extra)}


__all__ = ["OperationSchemas"]
