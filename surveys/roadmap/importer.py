"""Roadmap items from other systems: CSV files (CLI and API upload) and single updates from an
issue tracker (the signed webhook).

A CSV row is an item's full state (columns ``title``, ``description``, ``status``, ``themes`` and
``keywords`` separated by ``;``, ``external_ref``); rows with an ``external_ref`` already known
update that item, the others create one. Each row is stored in its own savepoint: a bad row is
reported with its line and reasons and skipped, the good ones are kept. Cells are stored as they
are (a cell starting with ``=`` is just text here; exports neutralise such cells).
"""

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from surveys.analysis.schemas import _clean_keywords
from surveys.core.errors import DomainError, Invalid
from surveys.roadmap.models import RoadmapItem
from surveys.roadmap.service import create_item, find_by_ref, normalise_status, themes_by_name, update_item
from surveys.workspace.models import Workspace

COLUMNS = ("title", "description", "status", "themes", "keywords", "external_ref")
MAX_ROWS = 5000
_LIMITS = {"title": 200, "description": 10_000, "external_ref": 200}


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    failed: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    results: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "updated": self.updated,
            "failed": self.failed,
            "ignored_columns": self.ignored_columns,
            "results": self.results,
        }


def read_csv(raw: bytes | str) -> tuple[list[str], list[tuple[int, dict]]]:
    """Header and (line number, row) pairs; Invalid when the file cannot be read as a CSV."""
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw.removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise Invalid("The file is not UTF-8 text.", errors={"file": ["not UTF-8"]}) from None
    if "\x00" in text:
        raise Invalid("The file contains NUL characters.", errors={"file": ["NUL character"]})
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader, [])]
        if "title" not in header:
            raise Invalid(
                "The CSV needs a header row with at least a 'title' column.",
                errors={"file": [f"columns are {', '.join(COLUMNS)}"]},
            )
        rows = []
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue  # blank lines, e.g. at the end of a hand-edited file
            rows.append((reader.line_num, dict(zip(header, cells, strict=False))))
    except csv.Error as exc:
        raise Invalid(f"The CSV cannot be read: {exc}.", errors={"file": [str(exc)]}) from None
    return header, rows


def _cell(row: dict, name: str) -> str:
    value = (row.get(name) or "").strip()
    if name in _LIMITS and len(value) > _LIMITS[name]:
        raise Invalid(
            f"{name} is longer than {_LIMITS[name]} characters.",
            errors={name: [f"at most {_LIMITS[name]} characters"]},
        )
    return value


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(";") if part.strip()]


def _row_data(session: Session, workspace: Workspace, row: dict, existing: RoadmapItem | None) -> dict:
    title = " ".join(_cell(row, "title").split())
    if not title:
        raise Invalid("Every row needs a title.", errors={"title": ["required"]})
    keywords = _clean_keywords(_split(_cell(row, "keywords")))
    if any(len(k) > 100 for k in keywords) or len(keywords) > 200:
        raise Invalid(
            "Keywords are at most 100 characters each, 200 per item.",
            errors={"keywords": ["too long or too many"]},
        )
    status = _cell(row, "status")
    return {
        "title": title,
        "description": _cell(row, "description"),
        "status": normalise_status(status) if status else (existing.status if existing else "idea"),
        "theme_ids": themes_by_name(session, workspace_id=workspace.id, names=_split(_cell(row, "themes"))),
        "keywords": keywords,
    }


def upsert_row(session: Session, *, workspace: Workspace, row: dict) -> tuple[RoadmapItem, bool]:
    """Create or (by external_ref) update one item from a CSV row; True when created."""
    ref = _cell(row, "external_ref") or None
    existing = find_by_ref(session, workspace_id=workspace.id, external_ref=ref) if ref else None
    data = _row_data(session, workspace, row, existing)
    if existing is not None:
        return update_item(session, workspace=workspace, item_id=existing.id, data=data), False
    return create_item(session, workspace=workspace, data={**data, "external_ref": ref}), True


def import_rows(
    session: Session,
    *,
    workspace: Workspace,
    header: list[str],
    rows: Iterable[tuple[int, dict]],
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Store every good row (each in a savepoint) and report every row. The caller commits."""
    report = ImportReport(ignored_columns=[h for h in header if h not in COLUMNS])
    for line, row in rows:
        try:
            with session.begin_nested():
                item, created = upsert_row(session, workspace=workspace, row=row)
        except DomainError as err:
            report.failed += 1
            report.results.append(
                {"line": line, "status": "failed", "detail": err.detail, "errors": err.errors or {}}
            )
        else:
            report.created += created
            report.updated += not created
            report.results.append(
                {
                    "line": line,
                    "status": "created" if created else "updated",
                    "id": item.id,
                    "external_ref": item.external_ref,
                }
            )
        if progress is not None:
            progress(1)
    return report


def apply_tracker_update(session: Session, *, workspace: Workspace, data: dict) -> tuple[RoadmapItem, bool]:
    """An issue tracker's view of one item (``external_ref`` and any of title, status,
    description): update the item with that reference, or create it (a title is then needed)."""
    changes = {k: data[k] for k in ("title", "description") if data.get(k) is not None}
    if data.get("status") is not None:
        changes["status"] = normalise_status(data["status"])
    existing = find_by_ref(session, workspace_id=workspace.id, external_ref=data["external_ref"])
    if existing is not None:
        return update_item(session, workspace=workspace, item_id=existing.id, data=changes), False
    if not changes.get("title"):
        raise Invalid("A new item needs a title.", errors={"title": ["required to create"]})
    return create_item(
        session, workspace=workspace, data={**changes, "external_ref": data["external_ref"]}
    ), True
