"""CSV import of answers collected elsewhere (``vocservice import responses``).

Columns: ``score`` (required), ``comment``, ``submitted_at`` (RFC 3339), ``id`` (the sender's id:
makes re-running the import harmless), ``external_id``, ``email``, ``name``, ``locale`` for the
contact, and any ``attributes.NAME`` / ``metadata.NAME`` columns. Each row goes through the same
validation as ``POST /api/v1/responses``; bad rows are reported with their line number and
skipped. Good rows are stored like an API batch (:func:`surveys.response.batch.create_responses`),
a chunk of :data:`CHUNK` rows per statement and per commit, and ``progress`` is told after each.
"""

import csv
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TextIO

from marshmallow import ValidationError
from sqlalchemy.orm import Session

from surveys.core import values
from surveys.core.errors import DomainError, NotFound
from surveys.core.schemas import MAX_ATTRIBUTES
from surveys.response.batch import create_responses
from surveys.response.schemas import ResponseCreateSchema
from surveys.survey.models import Survey
from surveys.workspace.models import Workspace

# Rows stored per statement and per commit: a chunk is one set-based write (see surveys.response.batch).
CHUNK = 1000
CONTACT_COLUMNS = ("external_id", "email", "name", "locale")


@dataclass
class ImportReport:
    created: int = 0
    existing: int = 0
    errors: list[dict] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.created + self.existing + len(self.errors)


# A plain decimal number (no NaN, Infinity, hex or underscores); other cells stay text.
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def _value(raw: str):
    """CSV cells are text; numbers in attribute columns are kept as numbers (e.g. arr).

    A cell that reads as a number but is not a finite one within ±(2**53 - 1) (``1e400``, a
    400-digit integer) is refused with its row by the schema's free-form rules, not stored as text
    that reads like a number, nor as a number nothing downstream can add up."""
    text = raw.strip()
    if not _NUMBER.fullmatch(text):
        return raw
    if len(text) <= 40 and "." not in text and "e" not in text.lower():
        return int(text)
    return float(text)  # linear in the length, unlike int(); a 400-digit one is inf, refused


def _payload(row: dict, survey_id: str) -> dict:
    payload: dict = {"survey_id": survey_id, "source": "import"}
    contact: dict = {}
    attributes: dict = {}
    metadata: dict = {}
    for column, raw in row.items():
        if column is None or raw is None or raw == "":
            continue
        column = column.strip()
        if column == "score":
            payload["score"] = int(raw) if re.fullmatch(r"\s*-?[0-9]{1,4}\s*", raw) else raw
        elif column in ("comment", "submitted_at", "id"):
            payload[column] = raw
        elif column in CONTACT_COLUMNS:
            contact[column] = raw
        elif column.startswith("attributes."):
            attributes[column.split(".", 1)[1]] = _value(raw)
        elif column.startswith("metadata."):
            metadata[column.split(".", 1)[1]] = raw
        else:
            raise ValidationError({column: ["unknown column"]})
    if contact or attributes:
        payload["contact"] = {**contact, "attributes": attributes}
    if metadata:
        payload["metadata"] = metadata
    return payload


def count_rows(stream: TextIO) -> int:
    total = sum(1 for _ in csv.reader(stream)) - 1
    stream.seek(0)
    return max(total, 0)


def import_responses(
    session: Session,
    *,
    workspace: Workspace,
    survey_id: str,
    stream: TextIO,
    progress: Callable[[int], None] = lambda n: None,
) -> ImportReport:
    survey = session.get(Survey, survey_id)
    if survey is None or survey.workspace_id != workspace.id:
        raise NotFound(f"No survey with id {survey_id!r} in workspace {workspace.slug!r}.")
    report = ImportReport()
    schema = ResponseCreateSchema()
    reader = csv.DictReader(stream)
    if not reader.fieldnames or "score" not in [f.strip() for f in reader.fieldnames]:
        raise DomainError("The CSV needs a header row with at least a 'score' column.")
    chunk: list[tuple[int, dict]] = []
    for line, row in _numbered(reader):
        chunk.append((line, row))
        if len(chunk) == CHUNK:
            _import_chunk(session, workspace, survey_id, schema, chunk, report)
            progress(len(chunk))
            chunk = []
    if chunk:
        _import_chunk(session, workspace, survey_id, schema, chunk, report)
        progress(len(chunk))
    return report


def _import_chunk(
    session: Session,
    workspace: Workspace,
    survey_id: str,
    schema: ResponseCreateSchema,
    chunk: list[tuple[int, dict]],
    report: ImportReport,
) -> None:
    """Validate a chunk's rows one by one, store the good ones set-based and commit them (their
    analysis jobs are enqueued after the commit)."""
    lines, items = [], []
    for line, row in chunk:
        payload = None
        try:
            payload = _payload(row, survey_id)
            items.append(schema.load(payload))
            lines.append(line)
        except ValidationError as err:
            report.errors.append({"line": line, "errors": _by_column(err.messages, payload)})
        except DomainError as err:
            report.errors.append({"line": line, "errors": err.errors or {"row": [err.detail]}})
    for line, outcome in zip(lines, create_responses(session, workspace=workspace, items=items), strict=True):
        if isinstance(outcome, DomainError):
            report.errors.append({"line": line, "errors": outcome.errors or {"row": [outcome.detail]}})
        elif outcome.created:
            report.created += 1
        else:
            report.existing += 1
    report.errors.sort(key=lambda error: error["line"])
    session.commit()


def _by_column(messages: dict, payload: dict | None) -> dict:
    """The schema's errors, with a free-form problem in the contact's attributes or the metadata
    named by its CSV column (``attributes.arr``, ``metadata.ref``). Only refused rows pay for
    this second look; accepted ones are checked once, by the schema."""
    if payload is None:
        return messages
    errors = dict(messages)
    contact_errors = errors.get("contact")
    if isinstance(contact_errors, dict) and "attributes" in contact_errors:
        named = _columns(payload["contact"].get("attributes"), "attributes")
        if named:
            rest = {key: value for key, value in contact_errors.items() if key != "attributes"}
            errors.pop("contact")
            if rest:
                errors["contact"] = rest
            errors.update(named)
    if "metadata" in errors:
        named = _columns(payload.get("metadata"), "metadata")
        if named:
            errors.pop("metadata")
            errors.update(named)
    return errors


def _columns(obj, prefix: str) -> dict[str, list[str]]:
    named: dict[str, list[str]] = {}
    for path, message in values.problems(obj, max_keys=MAX_ATTRIBUTES):
        named.setdefault(f"{prefix}.{path}" if path else prefix, []).append(message)
    return named


def _numbered(reader: csv.DictReader) -> Iterator[tuple[int, dict]]:
    for row in reader:
        yield reader.line_num, row
