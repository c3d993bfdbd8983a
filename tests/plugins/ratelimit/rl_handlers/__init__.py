"""Handlers of the rate-limit scenario spec (``tests/fixtures/ratelimit/openapi.yaml``)."""
