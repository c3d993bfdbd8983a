"""The services of the Go SDK: one Go method per operation, one page type per list response.

:class:`GoSdkPlanner` writes each service's methods (path ids first, then the body, then a params
struct for the query and header parameters, then ``opts ...Option``) and collects the page types
that ``pages.go`` declares. Methods are written in Python rather than templates: their shape
varies per operation and gofmt's layout is easier to keep here.
"""

from __future__ import annotations

from dataclasses import dataclass

from specway.codegen.go_types import GoField, GoTypes, go_local, go_name, go_string
from specway.codegen.ir import ApiIR, Operation, Pagination, Parameter, Property, Schema
from specway.codegen.naming import singular
from specway.spec.naming import snake

_SKIPPED_HEADERS = frozenset({"idempotency-key", "authorization", "content-type"})
_RESERVED_LOCALS = frozenset({"ctx", "opts", "body", "params", "s", "r", "out", "err", "pg"})
_ID_TYPES = frozenset({"string"})


@dataclass(frozen=True, slots=True)
class GoResource:
    field: str
    service: str
    doc: str
    file: str
    methods: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PageType:
    page: str
    iter: str
    response: str
    item: str
    embedded: bool


class GoSdkPlanner:
    """Turns the IR into Go declarations: models, services and page types."""

    def __init__(self, ir: ApiIR) -> None:
        self.ir = ir
        self._param_fields: dict[str, GoField] = {}
        self.paged: set[str] = set()
        self.service_fields: dict[str, str] = {}  # operationId → client.<Field>
        # operationId → (method, body type, params type, {parameter: Go field}) for the README.
        self.signatures: dict[str, tuple[str, str | None, str | None, dict[str, str]]] = {}
        self.types = GoTypes(ir)
        self.pages: dict[str, PageType] = {}
        # The SDK's own stream types (stream.go), named once a method needs them and past any
        # component of the same name: "EventStream" and "ServerSentEvent".
        self.stream_types: dict[str, str] = {}
        self.resources: list[GoResource] = []
        self.service_text: dict[str, str] = {}
        for tag in ir.sdk_tags:
            self._resource(tag.operations, tag.name, tag.description)
        self.types.break_cycles()

    def _resource(self, operations: tuple[Operation, ...], tag: str, description: str) -> None:
        if not operations:
            return
        resource = operations[0].sdk.resource
        field = go_name(resource)
        service = self.types.reserve(field + "Service")
        methods = [text for op in operations if (text := self.method(op, service)) is not None]
        if not methods:
            return
        doc = " ".join((description or tag).split())
        head = [
            f"// {service} holds the {tag} operations: client.{field}.",
            f"type {service} struct {{",
            "\tclient *Client",
            "}",
        ]
        body = "\n\n".join(["\n".join(head), *methods])
        names = []
        for op in operations:
            self.service_fields[op.operation_id] = field
            if op.operation_id in self.signatures:
                name = self.signatures[op.operation_id][0]
                names += [name, f"{name}AutoPaging"] if op.operation_id in self.paged else [name]
        file = f"{snake(resource)}_service.go"
        self.resources.append(GoResource(field, service, doc, file, tuple(names)))
        self.service_text[service] = body

    # --- one method ----------------------------------------------------------------------------

    def method(self, op: Operation, service: str) -> str | None:
        success = op.success
        content = (success.content_type or "") if success else ""
        streams = content.startswith("text/event-stream")
        name = go_name(op.sdk.method, "Call")
        prefix = go_name(singular(op.sdk.resource)) + name
        # A stream connects on its first Next(ctx): its method takes no context.
        args = [] if streams else ["ctx context.Context"]
        pre: list[str] = []
        locals_: set[str] = set(_RESERVED_LOCALS)
        path_expr = go_string(op.path)
        for p in op.path_parameters:
            local = go_local(p.name)
            while local in locals_:
                local += "_"
            locals_.add(local)
            go_type = self.types.type(p.schema, prefix + go_name(p.name))
            args.append(f"{local} {go_type}")
            if go_type in _ID_TYPES:
                pre.append(f"\tif err := requireID({go_string(local)}, {local}); err != nil {{")
                pre.append("\t\treturn {fail}")
                pre.append("\t}")
            path_expr = path_expr.replace("{" + p.name + "}", f'"+pathSegment({local})+"')
        path_expr = path_expr.replace('+""', "").removeprefix('""+')
        build = [f"\tr := newRequest({go_string(op.method.upper())}, {path_expr})"]
        if op.body is not None:
            body_type = self.types.type(op.body.schema, prefix + "Body")
            args.append(f"body {body_type}")
            if op.body.content_type.startswith("multipart/"):
                build += self._multipart(op, body_type)
            else:
                build += [
                    "\tif err := r.jsonBody(body); err != nil {",
                    "\t\treturn {fail}",
                    "\t}",
                ]
        params = [p for p in op.parameters if self._is_param(p)]
        if params:
            params_type, required = self._params_struct(prefix + "Params", params, op)
            args.append(f"params {'' if required else '*'}{params_type}")
            build += self._encode_params(params, required)
        args.append("opts ...Option")
        self.signatures[op.operation_id] = (
            name,
            body_type if op.body is not None else None,
            params_type if params else None,
            {p.name: self._param_fields[p.name].name for p in params},
        )
        doc = self._doc(name, op)
        page = self._page(op, prefix) if op.pagination is not None else None
        if page is not None and op.pagination is not None:
            self.paged.add(op.operation_id)
            return self._paged(service, name, args, pre, build, doc, page, op, op.pagination)
        if streams:
            stream = self._stream_type("EventStream")
            self._stream_type("ServerSentEvent")
            event = self.types.type(op.event_data, prefix + "Event") if op.event_data else "string"
            returns, fail = f"(*{stream}[{event}], error)", "nil, err"
            tail = [f"\treturn newEventStream[{event}](s.client, r, opts), nil"]
        else:
            returns, fail, tail = self._returns(op, prefix)
        lines = [
            *doc,
            f"func (s *{service}) {name}({', '.join(args)}) {returns} {{",
            *[line.replace("{fail}", fail) for line in pre + build],
            *tail,
            "}",
        ]
        return "\n".join(lines)

    @property
    def streams(self) -> bool:
        """Whether any method returns an event stream (``stream.go`` is rendered)."""
        return bool(self.stream_types)

    def _stream_type(self, name: str) -> str:
        if name not in self.stream_types:
            self.stream_types[name] = self.types.reserve(name)
        return self.stream_types[name]

    def _doc(self, name: str, op: Operation) -> list[str]:
        summary = " ".join(op.summary.split()) or op.operation_id
        lines = [f"// {name}: {summary}", "//", f"// {op.method.upper()} {op.path}"]
        if op.deprecated:
            lines += ["//", "// Deprecated: the API marks this operation deprecated."]
        return lines

    @staticmethod
    def _is_param(p: Parameter) -> bool:
        if p.location == "query":
            return True
        return p.location == "header" and p.name.lower() not in _SKIPPED_HEADERS

    def _params_struct(self, name: str, params: list[Parameter], op: Operation) -> tuple[str, bool]:
        struct = self.types.reserve(name)
        self.types.struct(
            struct,
            Schema(
                kind="object",
                pointer=op.pointer,
                properties=tuple(
                    Property(p.name, p.schema, p.required, p.python_name, p.ts_name) for p in params
                ),
            ),
            f"the query and header parameters of {op.sdk.resource}.{op.sdk.method}.",
        )
        plan = self.types.structs[struct]
        for f, p in zip(plan.fields, params, strict=True):
            f.doc = p.description
            f.wire = p.name
            f.nullable_optional = False
            f.value_struct = None
        self._param_fields = {p.name: f for p, f in zip(params, plan.fields, strict=True)}
        return struct, any(p.required for p in params)

    def _encode_params(self, params: list[Parameter], required: bool) -> list[str]:
        lines: list[str] = []
        indent = "\t" if required else "\t\t"
        for p in params:
            f: GoField = self._param_fields[p.name]
            target = f"params.{f.name}"
            wire = go_string(p.name)
            if p.location == "header":
                setter = f"r.header.Set({wire}, formatValue(%s))"
            else:
                setter = f"r.setQuery({wire}, %s)"
            if f.type.startswith("[]"):
                adder = (
                    f"r.header.Add({wire}, formatValue(v))"
                    if p.location == "header"
                    else f"r.addQuery({wire}, v)"
                )
                lines += [
                    f"{indent}for _, v := range {target} {{",
                    f"{indent}\t{adder}",
                    f"{indent}}}",
                ]
            elif f.type.startswith("*"):
                lines += [
                    f"{indent}if {target} != nil {{",
                    f"{indent}\t{setter % ('*' + target)}",
                    f"{indent}}}",
                ]
            elif f.type.startswith("map[") or f.type in ("interface{}", "json.RawMessage"):
                lines += [
                    f"{indent}if {target} != nil {{",
                    f"{indent}\t{setter % target}",
                    f"{indent}}}",
                ]
            else:
                lines.append(f"{indent}{setter % target}")
        if required:
            return lines
        return ["\tif params != nil {", *lines, "\t}"]

    def _multipart(self, op: Operation, body_type: str) -> list[str]:
        props = self.types.object_properties(op.body.schema) if op.body else None
        plan = self.types.structs.get(body_type)
        if props is None or plan is None:
            return ["\tif err := r.jsonBody(body); err != nil {", "\t\treturn {fail}", "\t}"]
        lines = ["\tvar parts []formPart"]
        for f, prop in zip(plan.fields, props, strict=True):
            wire = go_string(prop.name)
            target = f"body.{f.name}"
            if f.type == "[]byte":
                part = f"formPart{{name: {wire}, filename: {wire}, data: {target}}}"
                lines.append(f"\tparts = append(parts, {part})")
                continue
            value = "*" + target if f.type.startswith("*") else target
            part = f"formPart{{name: {wire}, data: []byte(formatValue({value}))}}"
            if f.type.startswith("*"):
                lines += [f"\tif {target} != nil {{", f"\t\tparts = append(parts, {part})", "\t}"]
            else:
                lines.append(f"\tparts = append(parts, {part})")
        lines += ["\tif err := r.multipartBody(parts); err != nil {", "\t\treturn {fail}", "\t}"]
        return lines

    def _returns(self, op: Operation, prefix: str) -> tuple[str, str, list[str]]:
        success = op.success
        if success is None or success.schema is None:
            return "error", "err", ["\t_, err := s.client.do(ctx, r, nil, opts)", "\treturn err"]
        if (success.content_type or "").startswith("text/"):
            return (
                "(string, error)",
                '"", err',
                [
                    "\tdata, err := s.client.do(ctx, r, nil, opts)",
                    "\tif err != nil {",
                    '\t\treturn "", err',
                    "\t}",
                    "\treturn string(data), nil",
                ],
            )
        go_type = self.types.type(success.schema, prefix + "Response")
        if self.types.pointable(go_type) and go_type not in _PLAIN:
            return (
                f"(*{go_type}, error)",
                "nil, err",
                [
                    f"\tvar out {go_type}",
                    "\tif _, err := s.client.do(ctx, r, &out, opts); err != nil {",
                    "\t\treturn nil, err",
                    "\t}",
                    "\treturn &out, nil",
                ],
            )
        zero = _ZERO.get(go_type, "nil")
        return (
            f"({go_type}, error)",
            f"{zero}, err",
            [
                f"\tvar out {go_type}",
                "\t_, err := s.client.do(ctx, r, &out, opts)",
                "\treturn out, err",
            ],
        )

    # --- list operations --------------------------------------------------------------------------

    def _page(self, op: Operation, prefix: str) -> PageType | None:
        success = op.success
        pagination = op.pagination
        if success is None or success.schema is None or pagination is None:
            return None
        response = self.types.type(success.schema, prefix + "Response")
        if response in self.pages:
            return self.pages[response]
        item = "json.RawMessage"
        if pagination.item_schema is not None:
            item = self.types.type(pagination.item_schema, prefix + "Item")
        page = PageType(
            page=self.types.reserve(response + "Page"),
            iter=self.types.reserve(response + "Iter"),
            response=response,
            item=item,
            embedded=response in self.types.structs,
        )
        self.pages[response] = page
        return page

    def _paged(
        self,
        service: str,
        name: str,
        args: list[str],
        pre: list[str],
        build: list[str],
        doc: list[str],
        page: PageType,
        op: Operation,
        pagination: Pagination,
    ) -> str:
        helper = name[0].lower() + name[1:] + "Pager"
        call_args = ", ".join(a.split(" ")[0] for a in args[1:-1])
        call = f"s.{helper}({call_args}{', ' if call_args else ''}opts)"
        style = (
            f"pageStyle{{style: {go_string(pagination.style)}, "
            f"key: {go_string(_items_key(pagination))}, pageSize: {pagination.default_per_page}}}"
        )
        pager_args = ", ".join([*args[1:-1], "opts []Option"])
        pager_lines = [
            f"func (s *{service}) {helper}({pager_args}) (*pager, error) {{",
            *[line.replace("{fail}", "nil, err") for line in pre + build],
            f"\treturn &pager{{client: s.client, req: r, style: {style}, opts: opts}}, nil",
            "}",
        ]
        list_lines = [
            *doc,
            "//",
            "// It returns the first page: HasNextPage and NextPage move on, Iter walks every",
            "// item.",
            f"func (s *{service}) {name}({', '.join(args)}) (*{page.page}, error) {{",
            f"\tpg, err := {call}",
            "\tif err != nil {",
            "\t\treturn nil, err",
            "\t}",
            f"\treturn fetch{page.page}(ctx, pg)",
            "}",
        ]
        auto_lines = [
            f"// {name}AutoPaging iterates over every item of {name} across pages, fetching",
            "// each page when the iterator reaches it:",
            "//",
            f"//\tit := client.{go_name(op.sdk.resource)}.{name}AutoPaging(ctx, ...)",
            "//\tfor it.Next() {",
            "//\t\titem := it.Current()",
            "//\t}",
            "//\tif err := it.Err(); err != nil { ... }",
            f"func (s *{service}) {name}AutoPaging({', '.join(args)}) *{page.iter} {{",
            f"\tpg, err := {call}",
            f"\treturn &{page.iter}{{ctx: ctx, next: pg, err: err}}",
            "}",
        ]
        return "\n\n".join(["\n".join(list_lines), "\n".join(auto_lines), "\n".join(pager_lines)])


_PLAIN = frozenset({"string", "int64", "float64", "bool", "time.Time"})
_ZERO = {"string": '""', "int64": "0", "float64": "0", "bool": "false", "time.Time": "time.Time{}"}


def _items_key(pagination: Pagination) -> str:
    """Where a page's items are: the ``drf`` style keeps them in ``results``."""
    if pagination.style == "drf" and pagination.key == "data":
        return "results"
    return pagination.key
