"""Codegen: spec → intermediate model → jinja2 templates → SDKs and docs."""
