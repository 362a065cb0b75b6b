"""surveys.response.batch.create_responses against real PostgreSQL: the same answers as storing
them one by one with create_response, one outcome per item, rollups exact without a flush."""

import io
import threading
from datetime import UTC, datetime

from marshmallow import ValidationError
from sqlalchemy import insert, select

from surveys.core.db import db
from surveys.core.errors import Invalid, NotFound
from surveys.metrics.models import SCORE_COLUMNS, DailyRollup
from surveys.metrics.rollups import rebuild
from surveys.response import importer
from surveys.response.batch import Stored, create_responses
from surveys.response.importer import import_responses
from surveys.response.models import Response
from surveys.response.schemas import ResponseCreateSchema
from surveys.response.service import create_response
from surveys.survey.models import Survey
from surveys.workspace.models import Workspace
from surveys.workspace.service import create_workspace

ITEMS = [
    {
        "id": "a",
        "score": 9,
        "contact": {"external_id": "c-1", "attributes": {"plan": "free"}, "locale": "de"},
    },
    {"id": "b", "score": 3, "comment": " slow\r\nexport ", "contact": {"email": "x@example.com"}},
    {"score": 7, "contact": {"external_id": "c-1", "attributes": {"region": "eu", "arr": 10}}},
    {"id": "a", "score": 1, "contact": {"external_id": "c-1", "attributes": {"plan": "gone"}}},
    {"score": 12},
    {"score": 6, "metadata": {"n": float("inf")}},
    {"score": 8, "contact": {"external_id": "c-1", "attributes": {"plan": "pro"}, "locale": "fr"}},
    {"score": 0, "submitted_at": datetime(2026, 9, 30, 23, 30, tzinfo=UTC), "source": "zendesk"},
]


def _surveys(db_session, workspace):
    ws = db_session.get(Workspace, workspace.workspace.id)
    one = Survey(workspace_id=ws.id, name="one by one", kind="nps", question="Q?")
    batch = Survey(workspace_id=ws.id, name="batch", kind="nps", question="Q?")
    db_session.add_all([one, batch])
    db_session.commit()
    return ws, one, batch


def _run_one_by_one(db_session, ws, survey) -> list:
    outcomes = []
    for item in ITEMS:
        try:
            data = {"survey_id": survey.id, "source": "api", "metadata": {}, **item}
            response, created = create_response(db_session, workspace=ws, data=data)
            outcomes.append((_shape(response), created))
        except (Invalid, NotFound) as err:
            outcomes.append(type(err))
    db_session.commit()
    return outcomes


def _shape(response: Response) -> tuple:
    contact = response.contact.external_id if response.contact else None
    return (
        response.score,
        response.comment,
        response.source,
        response.submitted_at if response.source == "zendesk" else None,
        contact,
        response.attributes,
        response.locale,
        response.meta,
        response.completed,
    )


def test_create_responses_stores_what_create_response_would(db_session, workspace):
    """Two workspaces, so each run starts without contacts: the same items give the same answers."""
    ws, one, _ = _surveys(db_session, workspace)
    expected = _run_one_by_one(db_session, ws, one)
    other = create_workspace(db_session, name="Other", slug="other")
    survey = Survey(workspace_id=other.id, name="batch", kind="nps", question="Q?")
    db_session.add(survey)
    db_session.flush()
    # The batch takes ResponseCreateSchema output, as the API and the importer give it: the
    # schema is the one place free-form values are refused (item 5's infinite metadata).
    schema = ResponseCreateSchema()
    items, refused = [], {}
    for index, item in enumerate(ITEMS):
        try:
            items.append(schema.load({"survey_id": survey.id, **item}))
        except ValidationError as err:
            refused[index] = err.messages
    assert list(refused) == [5] and "metadata" in refused[5]
    stored = iter(create_responses(db_session, workspace=other, items=items))
    outcomes = [Invalid(str(refused[i])) if i in refused else next(stored) for i in range(len(ITEMS))]
    db_session.commit()
    got = [
        (_shape(db_session.get(Response, o.id)), o.created) if isinstance(o, Stored) else type(o)
        for o in outcomes
    ]
    assert got == expected
    assert expected[3][1] is False and outcomes[3].id == outcomes[0].id  # a repeated sender id
    assert [type(o) for o in outcomes[4:6]] == [Invalid, Invalid]
    assert outcomes[1].created and db_session.get(Response, outcomes[1].id).comment == "slow\nexport"


def test_create_responses_rollups_match_a_rebuild_without_any_flush(db_session, workspace):
    ws, _, batch = _surveys(db_session, workspace)
    items = [
        {
            "survey_id": batch.id,
            "score": n % 11,
            "comment": "x" if n % 2 else None,
            "submitted_at": datetime(2026, 10, 1 + n % 3, n % 24, tzinfo=UTC),
            "contact": {"external_id": f"c{n % 4}", "attributes": {"plan": ["a", "b", None][n % 3]}},
        }
        for n in range(40)
    ]
    assert all(isinstance(o, Stored) for o in create_responses(db_session, workspace=ws, items=items))
    db_session.commit()

    def daily():
        db_session.expire_all()
        return {
            (r.day, r.dim, r.value): (r.responses, r.commented, *[getattr(r, c) for c in SCORE_COLUMNS])
            for r in db_session.execute(select(DailyRollup)).scalars()
            if r.responses
        }

    incremental = daily()
    rebuild(db_session)
    db_session.commit()
    assert incremental == daily()
    assert sum(v[0] for k, v in incremental.items() if k[1] == "") == 40
    assert sum(v[1] for k, v in incremental.items() if k[1] == "") == 20


def test_import_reports_bad_rows_by_line_across_chunks(db_session, workspace, monkeypatch):
    ws, _, batch = _surveys(db_session, workspace)
    monkeypatch.setattr(importer, "CHUNK", 3)  # several chunks from a small file
    csv_text = (
        "id,score,comment,external_id,attributes.plan\n"
        "r1,9,great,c-1,pro\n"  # line 2
        "r2,eleven,,c-2,free\n"  # 3: not a number
        "r3,4,,,\n"  # 4
        "r1,2,repeat of line 2,c-1,pro\n"  # 5: next chunk, sender id known -> existing
        "r5,11,,c-5,\n"  # 6: out of range
        'r6,0,"two\nlines",c-6,free\n'  # 7-8
        "r7,5,,c-7,free\n"  # 9: next chunk
        "r8,,,c-8,free\n"  # 10: no score
    )
    calls = []
    report = import_responses(
        db_session, workspace=ws, survey_id=batch.id, stream=io.StringIO(csv_text), progress=calls.append
    )
    assert (report.created, report.existing) == (4, 1), report.errors
    assert [e["line"] for e in report.errors] == [3, 6, 10]
    assert "score" in report.errors[0]["errors"] and "score" in report.errors[1]["errors"]
    assert calls == [3, 3, 2]
    stored = dict(db_session.execute(select(Response.external_id, Response.comment)).all())
    assert stored == {"r1": "great", "r3": None, "r6": "two\nlines", "r7": None}
    pending = set(
        db_session.execute(
            select(Response.external_id).where(Response.analysis_status == "pending")
        ).scalars()
    )
    assert pending == {"r1", "r6"}


def test_create_responses_losing_a_race_for_a_sender_id_answers_with_the_winner(db_session, workspace):
    ws, _, batch = _surveys(db_session, workspace)
    now = datetime.now(UTC)
    winner = {
        "id": "rsp_winner",
        "workspace_id": ws.id,
        "survey_id": batch.id,
        "external_id": "race",
        "score": 1,
        "completed": True,
        "source": "api",
        "metadata": {},
        "attributes": {},
        "submitted_at": now,
        "created_at": now,
        "updated_at": now,
        "analysis_status": "done",
        "analysis_attempts": 0,
    }
    other = db.engine.connect()
    transaction = other.begin()
    other.execute(insert(Response.__table__).values(winner))  # another request, not committed yet
    # It commits while our insert waits on the unique index: ours then loses the race.
    committer = threading.Timer(1.0, transaction.commit)
    committer.start()
    try:
        items = [{"survey_id": batch.id, "score": s, "id": i} for s, i in ((5, "race"), (6, "mine"))]
        outcomes = create_responses(db_session, workspace=ws, items=items)
        db_session.commit()
    finally:
        committer.join()
        other.close()
    assert outcomes[0] == Stored("rsp_winner", False)
    assert outcomes[1].created
    stored = dict(db_session.execute(select(Response.external_id, Response.score)).all())
    assert stored == {"race": 1, "mine": 6}
