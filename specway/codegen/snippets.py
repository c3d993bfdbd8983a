"""Request snippets for one operation: curl, the Python SDK and the TypeScript SDK.

They use the same example values as the docs (path and required query parameters, the request
body example) and the SDK surface from :mod:`codegen.naming`.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

from specway.codegen.describe import py_literal, ts_literal
from specway.codegen.ir import ApiIR, Operation, Schema
from specway.codegen.naming import python_identifier
from specway.spec.naming import snake


def _scalar_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _path(op: Operation) -> str:
    path = op.path
    for param in op.path_parameters:
        path = path.replace("{" + param.name + "}", quote(_scalar_text(param.example), safe=""))
    return path


def _required_query(op: Operation) -> list[tuple[str, Any]]:
    return [(p.name, p.example) for p in op.query_parameters if p.required]


def _body_fields(op: Operation) -> dict[str, Any] | None:
    body = op.body
    if body is None or not isinstance(body.example, dict):
        return None
    return body.example


def _is_binary(schema: Schema | None) -> bool:
    return schema is not None and schema.format == "binary"


def _multipart_binary_fields(ir: ApiIR, op: Operation) -> set[str]:
    if op.body is None or "form" not in op.body.content_type:
        return set()
    schema = op.body.schema
    if schema.kind == "ref" and schema.ref:
        schema = ir.schema(schema.ref).schema
    return {p.name for p in schema.properties if _is_binary(p.schema)}


def _auth_header(ir: ApiIR, op: Operation) -> str | None:
    if op.public:
        return None
    names = [name for name, _scopes in op.security[0]] if op.security else []
    for scheme in ir.security_schemes:
        if scheme.name in names:
            if scheme.type == "http" and (scheme.scheme or "").lower() == "bearer":
                return f"Authorization: Bearer ${ir.sdk.env_var}"
            if scheme.type == "apiKey" and (scheme.header_name or "").lower() == "authorization":
                return "Authorization: Token $TOKEN"
            if scheme.type == "apiKey" and scheme.location == "header":
                return f"{scheme.header_name}: ${ir.sdk.env_var}"
    return f"Authorization: Bearer ${ir.sdk.env_var}"


def curl(ir: ApiIR, op: Operation) -> str:
    """A curl command for ``op`` with its example values."""
    url = ir.base_url + _path(op)
    query = _required_query(op)
    if query:
        url += "?" + urlencode([(k, _scalar_text(v)) for k, v in query])
    first = f'curl -X {op.method.upper()} "{url}"' if op.method != "get" else f'curl "{url}"'
    lines = [first]
    auth = _auth_header(ir, op)
    if auth:
        lines.append(f'-H "{auth}"')
    for param in op.parameters:
        if param.location == "header" and param.required:
            lines.append(f'-H "{param.name}: {_scalar_text(param.example)}"')
    if op.idempotent:
        lines.append('-H "Idempotency-Key: $(uuidgen)"')
    body = op.body
    if body is not None:
        binary = _multipart_binary_fields(ir, op)
        if "form" in body.content_type and isinstance(body.example, dict):
            for key, value in body.example.items():
                if key in binary:
                    lines.append(f'-F "{key}=@{key}"')
                else:
                    lines.append(f'-F "{key}={_scalar_text(value)}"')
        else:
            text = json.dumps(body.example, indent=2, ensure_ascii=False).replace("'", "'\\''")
            lines.append(f'-H "Content-Type: {body.content_type}"')
            lines.append(f"-d '{text}'")
    return " \\\n  ".join(lines)


def _result_name(ir: ApiIR, op: Operation) -> str | None:
    success = op.success
    if success is None or success.schema is None:
        return None
    if op.pagination is not None:
        return "page"
    if success.schema.kind == "ref" and success.schema.ref:
        return python_identifier(success.schema.ref)
    return "result"


def _item_name(op: Operation) -> str:
    item = op.pagination.item_schema if op.pagination else None
    if item is not None and item.kind == "ref" and item.ref:
        return snake(item.ref)
    return "item"


def python(ir: ApiIR, op: Operation) -> str:
    """The Python SDK call for ``op``."""
    args = [py_literal(p.example) for p in op.path_parameters]
    kwargs: list[tuple[str, Any]] = [
        (p.python_name, p.example) for p in op.query_parameters if p.required
    ]
    fields = _body_fields(op)
    binary = _multipart_binary_fields(ir, op)
    if fields is not None:
        kwargs += [(python_identifier(k), v) for k, v in fields.items()]
    elif op.body is not None:
        kwargs.append(("body", op.body.example))
    rendered = args + [
        f'{name}=open("{name}", "rb")' if name in binary else f"{name}={py_literal(value, 4)}"
        for name, value in kwargs
    ]
    call = f"{op.sdk.python_call}({', '.join(rendered)})"
    if len(call) > 80:
        call = f"{op.sdk.python_call}(\n" + "".join(f"    {a},\n" for a in rendered) + ")"
    result = _result_name(ir, op)
    lines = [
        f"from {ir.sdk.python_package} import {ir.sdk.client_class}",
        "",
        f"client = {ir.sdk.client_class}()  # API key from ${ir.sdk.env_var}",
        f"{result} = {call}" if result else call,
    ]
    if op.pagination is not None and result:
        item = _item_name(op)
        lines += ["", "# this page and every page after it, fetched as you iterate"]
        lines += [f"for {item} in {result}:", f"    print({item})"]
    return "\n".join(lines)


def typescript(ir: ApiIR, op: Operation) -> str:
    """The TypeScript SDK call for ``op``."""
    args = [json.dumps(p.example, ensure_ascii=False) for p in op.path_parameters]
    params: dict[str, Any] = {p.ts_name: p.example for p in op.query_parameters if p.required}
    fields = _body_fields(op)
    if fields is not None:
        params.update(fields)
    elif op.body is not None:
        params["body"] = op.body.example
    if params:
        args.append(ts_literal(params))
    call = f"await {op.sdk.ts_call}({', '.join(args)})"
    result = _result_name(ir, op)
    lines = [
        f'import {{ {ir.sdk.ts_client_class} }} from "{ir.sdk.npm_package}";',
        "",
        f"const client = new {ir.sdk.ts_client_class}(); // API key from {ir.sdk.env_var}",
        f"const {_camel(result)} = {call};" if result else f"{call};",
    ]
    if op.pagination is not None and result:
        item = _camel(_item_name(op))
        lines += ["", "// this page and every page after it, fetched as you iterate"]
        loop = f"for await (const {item} of {_camel(result)}) {{"
        lines += [loop, f"  console.log({item});", "}"]
    return "\n".join(lines)


def _camel(name: str | None) -> str:
    parts = (name or "result").split("_")
    return parts[0] + "".join(p.title() for p in parts[1:])
