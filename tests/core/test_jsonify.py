from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from specway.jsonify import OrjsonJsonifier


def test_dumps_matches_json_semantics() -> None:
    out = OrjsonJsonifier().dumps({"n": 2**70, "d": Decimal("1.5"), "s": {"b", "a"}, "u": "ü"})
    assert json.loads(out) == {"n": 2**70, "d": 1.5, "s": ["a", "b"], "u": "ü"}


def test_datetimes_are_rfc3339() -> None:
    out = OrjsonJsonifier().dumps({"t": datetime(2024, 2, 26, 12, 0, tzinfo=UTC)})
    assert json.loads(out) == {"t": "2024-02-26T12:00:00+00:00"}


def test_json_columns_round_trip_through_orjson_with_stdlib_fallbacks() -> None:
    from specway.jsonify import column_dumps, column_loads

    value = {"name": "é", "n": [1, 2.5, None, True], 3: "int key"}
    text = column_dumps(value)
    assert text == '{"name":"é","n":[1,2.5,null,true],"3":"int key"}'
    assert column_loads(text) == {"name": "é", "n": [1, 2.5, None, True], "3": "int key"}
    # orjson refuses integers beyond 64 bits: the standard library writes them exactly.
    assert column_dumps({"big": 2**70}) == '{"big":1180591620717411303424}'
    # Text an older standard-library encoder wrote (NaN) still reads.
    loaded = column_loads('{"x": NaN}')
    assert loaded["x"] != loaded["x"]


def test_a_json_column_of_a_real_table_uses_them(tmp_path: Any) -> None:
    import asyncio

    from sqlalchemy import JSON, Column, Integer, MetaData, Table, insert, select, text

    from specway.storage.database import Database

    table = Table("docs", MetaData(), Column("id", Integer, primary_key=True), Column("doc", JSON))
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/j.db")

    async def run() -> tuple[str, Any]:
        async with database.engine.begin() as connection:
            await connection.run_sync(table.metadata.create_all)
            await connection.execute(insert(table), {"id": 1, "doc": {"a": [1, "é"]}})
            raw = (await connection.execute(text("SELECT doc FROM docs"))).scalar_one()
            doc = (await connection.execute(select(table.c.doc))).scalar_one()
        await database.dispose()
        return raw, doc

    raw, doc = asyncio.run(run())
    assert raw == '{"a":[1,"é"]}'  # orjson's compact text, not json.dumps' '{"a": [1, "\\u00e9"]}'
    assert doc == {"a": [1, "é"]}
