"""Segments over values stored before they were checked (a 400-digit integer, 1e300, "NaN",
booleans, objects): on PostgreSQL and on the embedded SQLite the SQL never fails and agrees with
the Python rule semantics, which count all of them as "not a number"."""

import json
from datetime import UTC, datetime

from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.orm import Session

import surveys.models  # noqa: F401 - every mapper, for the ORM-free SQLite engine too
from surveys.core.conditions import conditions_match
from surveys.core.values import MAX_SAFE_INTEGER
from surveys.response.models import Response
from surveys.segment.service import segment_clause
from tests.support.helpers import create_survey

# Raw JSON text, as a legacy row or a hand-written SQL insert would hold it.
POISON = [
    "9" * 400,
    "-" + "9" * 400,
    "1e300",
    str(MAX_SAFE_INTEGER + 1),
    str(MAX_SAFE_INTEGER),
    '"NaN"',
    '"Infinity"',
    '"12"',
    "true",
    "false",
    "null",
    '{"amount": 5}',
    "[1, 2]",
    "12",
    "12.5",
    "-3",
]
CONDITIONS = [
    {"field": "attributes.v", "op": op, "value": value}
    for op in ("gt", "gte", "lt", "lte", "eq", "ne")
    for value in (0, 12, 12.5, -(10**6), 10**15, "M")
] + [
    {"field": "attributes.v", "op": "in", "value": [12, "12", True, None]},
    {"field": "attributes.v", "op": "exists", "value": True},
]


def _json(raw: str) -> str:
    return '{"v": ' + raw + "}"


def _check_agreement(session: Session, rows: dict[str, dict]) -> None:
    numeric_matches = 0
    for condition in CONDITIONS:
        expected = {
            rid for rid, attrs in rows.items() if conditions_match([condition], {"attributes": attrs})
        }
        got = set(session.execute(select(Response.id).where(segment_clause(session, [condition]))).scalars())
        assert got == expected, condition
        numeric_matches += len(got) if condition["op"] == "gt" and condition["value"] == 0 else 0
    # Only 12, 12.5 and 2**53 - 1 are numbers above 0: the huge ones are not-a-number.
    assert numeric_matches == 3


def test_segment_poison_on_postgresql(client, db_session, workspace):
    survey = create_survey(client, workspace.headers)
    for raw in POISON:
        db_session.execute(
            text(
                "INSERT INTO responses (id, workspace_id, survey_id, score, completed, source, metadata,"
                " attributes, submitted_at, created_at, updated_at, analysis_status, analysis_attempts)"
                " VALUES (:id, :ws, :sv, 5, true, 'api', '{}', CAST(:attrs AS jsonb), now(), now(), now(),"
                " 'done', 0)"
            ),
            {
                "id": f"rsp_{len(raw)}_{abs(hash(raw))}",
                "ws": workspace.workspace.id,
                "sv": survey["id"],
                "attrs": _json(raw),
            },
        )
    db_session.commit()
    rows = dict(db_session.execute(select(Response.id, Response.attributes)).all())
    assert len(rows) == len(POISON)
    _check_agreement(db_session, rows)


def test_segment_poison_on_sqlite(tmp_path):
    """The embedded default (SQLite) has its own JSON SQL for segments: poison is read safely there too."""
    engine = create_engine(f"sqlite:///{tmp_path / 'voc.db'}")
    Response.__table__.create(engine)
    with Session(engine) as session:
        session.execute(
            insert(Response.__table__),
            [
                {
                    "id": f"rsp_{index}",
                    "workspace_id": "ws_1",
                    "survey_id": "sv_1",
                    "score": 5,
                    "completed": True,
                    "source": "api",
                    "metadata": {},
                    "attributes": json.loads(_json(raw)),
                    "submitted_at": datetime(2026, 6, 1, tzinfo=UTC),
                    "created_at": datetime(2026, 6, 1, tzinfo=UTC),
                    "updated_at": datetime(2026, 6, 1, tzinfo=UTC),
                    "analysis_status": "done",
                    "analysis_attempts": 0,
                }
                for index, raw in enumerate(POISON)
            ],
        )
        session.commit()
        rows = {f"rsp_{index}": json.loads(_json(raw)) for index, raw in enumerate(POISON)}
        _check_agreement(session, rows)
    engine.dispose()
