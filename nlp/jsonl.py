"""The offline ``vocservice analyze`` command: JSON lines in, one JSON line of analysis out each.

Input lines are ``{"id": ..., "text": ...}``; output lines are ``{"id", "sentiment", "themes"}``
(plus ``intent``, ``language`` and ``cues``) in input order (DESIGN.md section 3). Valid lines
are analysed in batches through ``Analyzer.analyze_many``; a malformed line (bad JSON, not an
object, missing or non-string text) yields ``{"id": <its id or null>, "error": "..."}`` in its
place and processing continues. Blank lines are skipped. No database, network or model download
is involved.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from nlp.analyzer import DEFAULT_BATCH_SIZE, Analyzer
from nlp.taxonomy import DEFAULT_TAXONOMY, Taxonomy

_Item = tuple[Any, str | None, str | None]  # (id, text, error)


def _parse(line: str) -> _Item:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, None, f"invalid JSON: {exc.msg} at column {exc.colno}"
    if not isinstance(record, dict):
        return None, None, "each line must be a JSON object with 'id' and 'text'"
    item_id = record.get("id")
    if isinstance(item_id, dict | list):
        return None, None, "'id' must be a string, number or null"
    text = record.get("text")
    if not isinstance(text, str):
        return item_id, None, "'text' is required and must be a string"
    return item_id, text, None


def _flush(batch: list[_Item], analyzer: Analyzer, out_stream: IO[str], batch_size: int) -> None:
    texts = [text for _, text, error in batch if error is None and text is not None]
    analyses = iter(analyzer.analyze_many(texts, batch_size=batch_size))
    for item_id, _, error in batch:
        if error is not None:
            row: dict[str, Any] = {"id": item_id, "error": error}
        else:
            result = next(analyses).to_dict()
            row = {"id": item_id, "sentiment": result["sentiment"], "themes": result["themes"]}
            # DESIGN.md section 3's keys, then what issue 13 added: intent, language and cues.
            row.update({key: result[key] for key in ("intent", "language", "cues")})
        out_stream.write(json.dumps(row, ensure_ascii=False) + "\n")
    out_stream.flush()
    batch.clear()


def run(
    in_stream: Iterable[str],
    out_stream: IO[str],
    taxonomy: str | Path | Taxonomy | Analyzer = DEFAULT_TAXONOMY,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> int:
    """Analyse every JSON line of ``in_stream`` into ``out_stream``; return the lines written."""
    analyzer = taxonomy if isinstance(taxonomy, Analyzer) else Analyzer(taxonomy)
    batch: list[_Item] = []
    count = 0
    for line in in_stream:
        if not line.strip():
            continue
        batch.append(_parse(line))
        count += 1
        if len(batch) >= batch_size:
            _flush(batch, analyzer, out_stream, batch_size)
    if batch:
        _flush(batch, analyzer, out_stream, batch_size)
    return count
