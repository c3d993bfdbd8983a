"""Spec → intermediate model → jinja2 templates → API reference docs and SDKs.

Imports only :mod:`spec` (never the runtime). Three stages: :mod:`codegen.parse` builds the
:class:`codegen.ir.ApiIR`, :mod:`codegen.render` renders a generator's templates into a
temporary directory and moves the result into place; :mod:`codegen.generators` names them.
"""

from __future__ import annotations

from specway.codegen.ir import ApiIR
from specway.codegen.parse import CodegenError, build_ir, load_ir

__all__ = ["ApiIR", "CodegenError", "build_ir", "load_ir"]
