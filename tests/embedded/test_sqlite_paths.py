"""Paths the embedded default (SQLite) takes instead of PostgreSQL's, each checked to give what
the PostgreSQL tests beside the same domain assert: deleting an answer's dependents without
foreign keys, the answers batch's ORM reads, segments' JSON SQL over poison values, and the rescue
facts without foreign keys or advisory locks."""

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, event, func, insert, select, text
from sqlalchemy.orm import Session

from surveys.case import rescue
from surveys.case.models import Case, RescueFact
from surveys.contact.models import Contact
from surveys.core.errors import NotFound
from surveys.response.batch import Stored, create_responses
from surveys.response.models import Response
from surveys.response.schemas import ResponseCreateSchema
from surveys.response.service import delete_response
from surveys.survey.models import Survey
from surveys.workspace.service import create_workspace
from tests.surveys.case.test_rescue_facts import (
    T0,
    add_answer,
    fact_of,
    kept_facts,
    live_facts,
    migration_0026,
)
from tests.surveys.response.test_delete import DEPENDENTS, response_rows
from tests.surveys.segment.test_poison import POISON, check_agreement, poison_json


def test_delete_response_removes_dependents(sqlite_engine):
    """SQLite enforces no foreign keys: deleting an answer must remove its dependents itself."""
    rows = response_rows("rsp_gone")
    with Session(sqlite_engine) as session:
        session.execute(insert(Response.__table__), rows["responses"])
        for model in DEPENDENTS:
            session.execute(insert(model.__table__), [c[model] for c in rows["children"]])
        session.commit()
        delete_response(session, workspace_id="ws_1", response_id="rsp_gone")
        session.commit()
        for model in (Response, *DEPENDENTS):
            column = model.id if model is Response else model.response_id
            remaining = session.execute(select(column).where(column.in_(("rsp_gone", "rsp_keep")))).scalars()
            assert set(remaining) == {"rsp_keep"}, model.__name__
        with pytest.raises(NotFound):
            delete_response(session, workspace_id="ws_1", response_id="rsp_gone")
        with pytest.raises(NotFound):  # another workspace's answer is simply unknown
            delete_response(session, workspace_id="ws_2", response_id="rsp_keep")
        assert session.execute(select(func.count()).select_from(Response)).scalar_one() == 1


def test_create_responses_reads_and_merges_as_on_postgresql(sqlite_engine):
    """SQLite takes the ORM reads instead of the pipelined ones: the same outcomes, contacts
    merged item by item, a repeated sender id answered with the first id."""
    with Session(sqlite_engine) as session:
        ws = create_workspace(session, name="Lite", slug="lite")
        survey = Survey(workspace_id=ws.id, name="batch", kind="nps", question="Q?")
        session.add(survey)
        session.commit()
        schema = ResponseCreateSchema()
        first = [
            schema.load({"survey_id": survey.id, "id": "a", "score": 9, "contact": {"external_id": "c-1"}}),
            schema.load({"survey_id": "sv_nope", "score": 1}),
        ]
        assert [type(o) for o in create_responses(session, workspace=ws, items=first)] == [Stored, NotFound]
        session.commit()
        items = [
            {"survey_id": survey.id, "id": "a", "score": 2},
            {
                "survey_id": survey.id,
                "score": 7,
                "contact": {"external_id": "c-1", "attributes": {"plan": "pro"}},
            },
            {
                "survey_id": survey.id,
                "score": 8,
                "comment": "ok",
                "contact": {"external_id": "c-1", "locale": "de"},
            },
        ]
        outcomes = create_responses(session, workspace=ws, items=[schema.load(i) for i in items])
        session.commit()
        stored = session.execute(select(Response.external_id, Response.id)).all()
        assert outcomes[0] == Stored(dict(stored)["a"], False)
        second, third = (session.get(Response, o.id) for o in outcomes[1:])
        assert (second.attributes, second.locale) == ({"plan": "pro"}, None)
        assert (third.attributes, third.locale, third.analysis_status) == ({"plan": "pro"}, "de", "pending")


def test_segment_poison(sqlite_engine):
    """The embedded default has its own JSON SQL for segments: values stored before they were
    checked are read safely there too, and agree with the Python rules."""
    with Session(sqlite_engine) as session:
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
                    "attributes": json.loads(poison_json(raw)),
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
        rows = {f"rsp_{index}": json.loads(poison_json(raw)) for index, raw in enumerate(POISON)}
        check_agreement(session, rows)


def test_rescue_facts_kept_without_foreign_keys_or_locks(sqlite_engine):
    """The rescue facts (surveys.case.rescue) on SQLite, which has neither foreign keys nor
    advisory locks: kept by the flush, equal to the live computation, and migration 0026's
    backfill SQL and the rebuild give the same."""
    with Session(sqlite_engine) as session:
        for name, listener in (
            ("before_flush", rescue.collect),
            ("after_flush", rescue.apply_collected),
            ("after_rollback", rescue.drop_collected),
        ):
            event.listen(session, name, listener)
        survey = Survey(workspace_id="ws_1", name="NPS", kind="nps", question="Q?")
        people = [Contact(workspace_id="ws_1", external_id=f"c{n}") for n in range(3)]
        session.add_all([survey, *people])
        session.flush()

        def answer(person, score, hours, completed=True):
            return add_answer(
                session,
                workspace_id="ws_1",
                survey_id=survey.id,
                contact_id=person.id,
                score=score,
                hours=hours,
                completed=completed,
            )

        a = answer(people[0], 2, 10)
        answer(people[0], 9, 30)
        b = answer(people[0], 4, 20)  # out of order
        c = answer(people[1], 0, 5)
        answer(people[1], 3, 6, completed=False)
        session.commit()
        assert fact_of(session, a.id) == (2, 4, False) and fact_of(session, b.id) == (4, 9, False)
        assert fact_of(session, c.id) == (0, None, False)
        assert kept_facts(session, "ws_1") == live_facts(session, "ws_1")
        session.add(
            Case(
                id="case_1",
                workspace_id="ws_1",
                response_id=c.id,
                contact_id=people[1].id,
                survey_id=survey.id,
                due_at=T0,
            )
        )
        session.delete(b)  # SQLite enforces no foreign key: the flush removes its fact
        session.commit()
        assert fact_of(session, a.id) == (2, 9, False) and fact_of(session, c.id) == (0, None, True)
        kept = kept_facts(session, "ws_1")
        assert kept == live_facts(session, "ws_1") and len(kept) == 2
        session.execute(delete(RescueFact))
        session.execute(text(migration_0026().BACKFILL))
        assert kept_facts(session, "ws_1") == kept
        session.execute(delete(RescueFact))
        assert rescue.rebuild(session) == 2 and kept_facts(session, "ws_1") == kept
