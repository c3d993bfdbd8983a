"""``Audit Logs``: the reference handler."""

from __future__ import annotations

from handlers.audit_logs import list_audit_logs

__all__ = ["list_audit_logs"]
