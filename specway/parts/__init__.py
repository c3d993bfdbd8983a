"""Parts of the platform any spec can include (``x-specway-include``): one package per part.

Each holds ``openapi.yaml`` (its path items, schemas and events, merged into the including spec
by :mod:`specway.spec.include`) and ``handlers`` (a function per operationId, ``snake_case``).
:mod:`specway.parts.access` gives handlers the caller and the auth runtime.
"""
