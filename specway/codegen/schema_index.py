"""The IR's named schemas, looked up by name: what every language's type translation needs."""

from __future__ import annotations

from specway.codegen.ir import ApiIR, NamedSchema, Property, Schema


class SchemaIndex:
    """``named``: the IR's component schemas by name, with ``$ref`` and ``allOf`` resolution."""

    def __init__(self, ir: ApiIR) -> None:
        self.ir = ir
        self.named: dict[str, NamedSchema] = {n.name: n for n in ir.schemas}

    def resolve(self, schema: Schema) -> Schema:
        """``schema`` with its chain of ``$ref``s followed (a cycle stops where it repeats)."""
        seen: set[str] = set()
        while schema.kind == "ref" and schema.ref and schema.ref not in seen:
            seen.add(schema.ref)
            schema = self.named[schema.ref].schema
        return schema

    def object_properties(self, schema: Schema) -> tuple[Property, ...] | None:
        """The properties of an object (``allOf`` parts merged); ``None`` if not an object."""
        schema = self.resolve(schema)
        if schema.kind == "object":
            return schema.properties
        if schema.kind == "all_of":
            merged: dict[str, Property] = {}
            for part in schema.variants:
                props = self.object_properties(part)
                if props is None:
                    return None
                merged.update({p.name: p for p in props})
            merged.update({p.name: p for p in schema.properties})
            return tuple(merged.values())
        return None
