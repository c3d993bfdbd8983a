"""The `security` part: handlers, and the OpenAPI fragment `openapi.yaml` they serve."""
