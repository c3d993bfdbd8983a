"""Hexabase's GraphQL endpoint (seed 001, "GraphQL Queries"), built on graphql-core.

``schema.graphql`` is the schema; :mod:`.schema` binds its fields to :mod:`.reads` (the
organisation's workspaces, their projects and the projects' deployments, one SQL statement per
level of the query, not per row); :mod:`.limits` holds the depth and size limits every query is
validated against; :mod:`.run` parses, validates and executes a request.
"""
