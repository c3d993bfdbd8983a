"""``Audit Logs``: the reference handler."""

from __future__ import annotations

from specway.parts.audit_logs.handlers import list_audit_logs

__all__ = ["list_audit_logs"]
