from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

from specway.jsonify import OrjsonJsonifier


def test_dumps_matches_json_semantics() -> None:
    out = OrjsonJsonifier().dumps({"n": 2**70, "d": Decimal("1.5"), "s": {"b", "a"}, "u": "ü"})
    assert json.loads(out) == {"n": 2**70, "d": 1.5, "s": ["a", "b"], "u": "ü"}


def test_datetimes_are_rfc3339() -> None:
    out = OrjsonJsonifier().dumps({"t": datetime(2024, 2, 26, 12, 0, tzinfo=UTC)})
    assert json.loads(out) == {"t": "2024-02-26T12:00:00+00:00"}
