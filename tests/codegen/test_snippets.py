"""Snippets in the docs are real code: Python parses, the verification code verifies."""

from __future__ import annotations

import ast
import base64
import json
import re
import time
from typing import Any

import pytest
from standardwebhooks import Webhook

from specway.codegen import load_ir, snippets
from specway.codegen.docs import generate_docs
from specway.codegen.python_sdk import python_program
from tests.codegen.conftest import FIXTURES, GOLDEN_SCENARIOS


@pytest.mark.parametrize("scenario", GOLDEN_SCENARIOS)
def test_python_snippets_parse(scenario: str) -> None:
    ir = load_ir(FIXTURES / scenario / "openapi.yaml")
    for op in ir.operations:
        ast.parse(snippets.python(ir, op), filename=op.operation_id)
    ast.parse(python_program(ir))


def test_curl_quotes_single_quotes_in_bodies() -> None:
    ir = load_ir(FIXTURES / "reference" / "openapi.yaml")
    op = next(o for o in ir.operations if o.operation_id == "createProject")
    text = snippets.curl(ir, op)
    assert text.startswith('curl -X POST "http://127.0.0.1:8000/v1/projects"')
    assert "-d '{" in text
    assert '"name": "New Project"' in text


def _verify_function() -> Any:
    docs = generate_docs(load_ir(FIXTURES / "errors-flat" / "openapi.yaml"))["webhooks.md"]
    code = re.search(r"```python\n(.*?)```", docs, re.S)
    assert code is not None
    namespace: dict[str, Any] = {}
    exec(compile(code.group(1), "webhooks.md", "exec"), namespace)  # noqa: S102 - our own docs
    return namespace["verify_webhook"]


def test_documented_python_verification_accepts_a_standard_webhooks_signature() -> None:
    verify = _verify_function()
    secret = "whsec_" + base64.b64encode(b"k" * 32).decode()
    payload = json.dumps({"id": "msg_1", "event": "variable.created", "data": {}}).encode()
    now = int(time.time())
    signature = Webhook(secret).sign("msg_1", _datetime(now), payload.decode())
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(now), "webhook-signature": signature}
    assert verify(payload, headers, secret)["event"] == "variable.created"
    with pytest.raises(ValueError, match="signature"):
        verify(payload + b" ", headers, secret)
    with pytest.raises(ValueError, match="tolerance"):
        verify(payload, {**headers, "webhook-timestamp": str(now - 600)}, secret)


def _datetime(ts: int) -> Any:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ts, tz=UTC)
