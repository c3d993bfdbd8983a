"""specway: a spec-first API gateway framework.

One OpenAPI document drives routing, validation, API keys, rate limits, idempotency, audit logs,
metrics, signed webhooks, SDKs and docs.
"""

from __future__ import annotations

import warnings

# Connexion 3.3 imports Starlette's TestClient at import time; Starlette 1.x warns about it.
warnings.filterwarnings("ignore", message=r"Using `httpx` with `starlette\.testclient`")

__version__ = "0.1.0"

__all__ = ["__version__"]
