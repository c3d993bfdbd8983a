"""Example products served by specway, one per seed document (``examples/<name>/openapi.yaml``)."""
