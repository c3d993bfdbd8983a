"""Hexabase.AI (seed 001) served from ``examples/hexabase/openapi.yaml``."""
