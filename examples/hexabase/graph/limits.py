"""How big a GraphQL query may be: its depth and its field count, fragments expanded.

The parser's own ``max_tokens`` caps the document's size before anything else runs;
:class:`QueryLimitsRule` then measures each operation as it would execute (every fragment
spread replaced by its fragment) and reports one error per operation over a limit. Introspection
goes through the same limits, plus graphql-core's :class:`MaxIntrospectionDepthRule` (no
``fields { type { fields … } }`` chains).
"""

from __future__ import annotations

from typing import Any

from graphql import (
    ASTValidationRule,
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
)

# The seed's query is 5 deep (workspace → projects → deployments → resources → cpu) with 9
# fields; graphql-core's own introspection query (`get_introspection_query()`) is 15 deep with
# 220 fields.
MAX_DEPTH = 15
MAX_FIELDS = 300
# Tokens the parser reads before it gives up ("Document contains more than … tokens").
MAX_TOKENS = 3000


class _Measure:
    """Depth and field count of one operation; stops counting once past ``MAX_FIELDS``."""

    def __init__(self, context: ValidationContext) -> None:
        self.context = context
        self.depth = 0
        self.fields = 0

    def walk(self, selections: SelectionSetNode, depth: int, fragments: frozenset[str]) -> None:
        for selection in selections.selections:
            if self.fields > MAX_FIELDS:
                return
            if isinstance(selection, FieldNode):
                self.fields += 1
                self.depth = max(self.depth, depth)
                if selection.selection_set is not None:
                    self.walk(selection.selection_set, depth + 1, fragments)
            elif isinstance(selection, InlineFragmentNode):
                self.walk(selection.selection_set, depth, fragments)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.context.get_fragment(name)
                # An unknown or cyclic spread is NoFragmentCycles' and KnownFragmentNames' error.
                if fragment is not None and name not in fragments:
                    self.walk(fragment.selection_set, depth, fragments | {name})


class QueryLimitsRule(ASTValidationRule):
    """An operation nested deeper than ``MAX_DEPTH`` fields, or selecting more than
    ``MAX_FIELDS`` fields, is invalid."""

    def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> None:
        measure = _Measure(self.context)  # type: ignore[arg-type]
        measure.walk(node.selection_set, 1, frozenset())
        name = f"Operation '{node.name.value}'" if node.name else "The operation"
        if measure.depth > MAX_DEPTH:
            self.report_error(
                GraphQLError(
                    f"{name} is nested {measure.depth} fields deep; at most {MAX_DEPTH} are"
                    " allowed.",
                    node,
                    extensions={"code": "QUERY_TOO_DEEP"},
                )
            )
        if measure.fields > MAX_FIELDS:
            self.report_error(
                GraphQLError(
                    f"{name} selects more than {MAX_FIELDS} fields (fragments expanded).",
                    node,
                    extensions={"code": "QUERY_TOO_LARGE"},
                )
            )
