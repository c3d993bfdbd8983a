"""``GraphQL``: ``POST /graphql`` (seed 001's "GraphQL Queries"; :mod:`examples.hexabase.graph`)."""

from __future__ import annotations

from typing import Any

from examples.hexabase.graph.reads import Reads
from examples.hexabase.graph.run import Answer, run
from specway import context

__all__ = ["execute_graphql"]


async def execute_graphql(body: dict[str, Any]) -> Answer:
    principal = context.principal()
    reads = Reads(context.database(), principal.organization_id if principal else None)
    return await run(body, reads, context.request_id())
