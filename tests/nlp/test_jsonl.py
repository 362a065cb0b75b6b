"""Tests for nlp.jsonl: the offline ``vocservice analyze`` line protocol."""

from __future__ import annotations

import io
import json

from nlp.analyzer import Analyzer
from nlp.jsonl import run


def test_jsonl_run_writes_one_line_per_input_in_order(restaurant: Analyzer) -> None:
    lines = [
        json.dumps({"id": 1, "text": "great food but slow service"}),
        "{broken",
        json.dumps({"id": "b", "text": 42}),
        "",
        json.dumps([1, 2]),
        json.dumps({"id": 4, "text": "Cheap and cheerful."}),
    ]
    out = io.StringIO()
    count = run(io.StringIO("\n".join(lines) + "\n"), out, restaurant, batch_size=2)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert count == 5 and len(rows) == 5
    assert [r["id"] for r in rows] == [1, None, "b", None, 4]
    assert set(rows[0]) == {"id", "sentiment", "themes", "intent", "language", "cues"}
    assert {t["name"]: t["sentiment"]["label"] for t in rows[0]["themes"]} == {
        "food": "positive",
        "service": "negative",
    }
    assert "error" in rows[1] and "error" in rows[2] and "error" in rows[3]
    assert [t["name"] for t in rows[4]["themes"]] == ["price"]


def test_jsonl_run_accepts_a_taxonomy_name() -> None:
    out = io.StringIO()
    assert run(['{"id": "x", "text": "The invoice was wrong"}\n'], out, "saas") == 1
    (row,) = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [t["name"] for t in row["themes"]] == ["billing"]
