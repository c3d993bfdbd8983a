"""specway-ip-allowlist: refuse callers whose IP address is not on their organisation's list.

```yaml
x-specway-plugins: [request_id, errors, auth, ip_allowlist]
x-ipallow:
  default: [192.0.2.0/24, 127.0.0.1/32]      # anonymous callers and unlisted organisations
  organizations:
    org_8c1f...: [198.51.100.0/24]           # replaces the default for this organisation
paths:
  /health:
    get:
      x-ipallow: {exempt: true}              # never checked
```

A refused request gets 403 ``ip_not_allowed`` in the spec's error envelope.
"""

from __future__ import annotations

from .allowlist import Allowlist, Decision
from .middleware import IPAllowlistMiddleware
from .plugin import SCHEMA, IPAllowlistPlugin

__all__ = ["SCHEMA", "Allowlist", "Decision", "IPAllowlistMiddleware", "IPAllowlistPlugin"]
