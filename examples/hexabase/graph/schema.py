"""The schema of ``schema.graphql`` with its fields bound to :class:`~.reads.Reads`.

Fields without a resolver of their own read the row's key of the same name (graphql-core's
default resolver). ``workspace(id:)`` of another organisation, or of none, is ``null`` with a
``RESOURCE_NOT_FOUND`` error, exactly as an id that does not exist.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from graphql import GraphQLError, GraphQLObjectType, GraphQLResolveInfo, GraphQLSchema, build_schema

from examples.hexabase.graph.reads import Reads, Row

SDL = Path(__file__).with_name("schema.graphql")
MAX_LAST = 100
Info = GraphQLResolveInfo[Reads]


async def resolve_workspace(_root: None, info: Info, id: str) -> Row:
    workspace = await info.context.workspaces.load(id)
    if workspace is None:
        raise GraphQLError(
            f"Workspace '{id}' not found",
            extensions={
                "code": "RESOURCE_NOT_FOUND",
                "resource_type": "workspace",
                "resource_id": id,
            },
        )
    return workspace


def resolve_projects(workspace: Row, info: Info) -> Any:
    return info.context.projects.load(workspace["id"])


def resolve_deployments(project: Row, info: Info, last: int) -> Any:
    if not 1 <= last <= MAX_LAST:
        raise GraphQLError(
            f"'last' must be between 1 and {MAX_LAST}, not {last}",
            extensions={"code": "INVALID_ARGUMENT"},
        )
    return info.context.deployments(last).load(project["id"])


def build() -> GraphQLSchema:
    schema = build_schema(SDL.read_text("utf-8"))
    resolvers = {
        ("Query", "workspace"): resolve_workspace,
        ("Workspace", "projects"): resolve_projects,
        ("Project", "deployments"): resolve_deployments,
    }
    for (type_name, field), resolve in resolvers.items():
        owner = schema.get_type(type_name)
        assert isinstance(owner, GraphQLObjectType), type_name
        owner.fields[field].resolve = resolve
    return schema


SCHEMA = build()
