"""Segments over values stored before they were checked (a 400-digit integer, 1e300, "NaN",
booleans, objects): the SQL never fails and agrees with the Python rule
semantics, which count all of them as "not a number". (SQLite's own JSON SQL: tests/embedded.)"""

from sqlalchemy import select, text
from sqlalchemy.orm import Session

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


def poison_json(raw: str) -> str:
    return '{"v": ' + raw + "}"


def check_agreement(session: Session, rows: dict[str, dict]) -> None:
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
                "attrs": poison_json(raw),
            },
        )
    db_session.commit()
    rows = dict(db_session.execute(select(Response.id, Response.attributes)).all())
    assert len(rows) == len(POISON)
    check_agreement(db_session, rows)
