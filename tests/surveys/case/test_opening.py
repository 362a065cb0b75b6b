"""Cases open once per final detractor-level answer, from every path that stores one."""

from datetime import timedelta

from sqlalchemy import select

from surveys.case.models import Case, CaseRule
from surveys.core.db import db
from tests.support.helpers import create_survey


def _answer(client, headers, survey_id, score, contact="cust-1", **extra):
    body = {"survey_id": survey_id, "score": score, "contact": {"external_id": contact}, **extra}
    response = client.post("/api/v1/responses", json=body, headers=headers)
    assert response.status_code == 201, response.json
    return response.json["id"]


def _cases(app):
    with app.app_context():
        rows = db.session.execute(
            select(Case.response_id, Case.status, Case.owner_id, Case.due_at, Case.created_at)
        ).all()
        db.session.remove()
    return rows


def test_open_case_on_detractor_answer_only(app, client, workspace):
    survey = create_survey(client, workspace.headers)
    low = _answer(client, workspace.headers, survey["id"], 3)
    _answer(client, workspace.headers, survey["id"], 7, contact="cust-2")
    _answer(client, workspace.headers, survey["id"], 10, contact="cust-3")
    rows = _cases(app)
    assert [r.response_id for r in rows] == [low]
    assert rows[0].status == "open" and rows[0].owner_id is None
    assert rows[0].due_at - rows[0].created_at == timedelta(hours=48)


def test_default_rule_seeded_for_new_workspace(app, workspace):
    with app.app_context():
        rules = db.session.execute(select(CaseRule)).scalars().all()
        assert [(r.workspace_id, r.assign, r.sla_hours, r.enabled) for r in rules] == [
            (workspace.workspace.id, "none", 48, True)
        ]
        db.session.remove()


def test_open_case_scale_ends_per_kind(app, client, workspace):
    csat = create_survey(client, workspace.headers, kind="csat", name="CSAT")
    ces = create_survey(client, workspace.headers, kind="ces", name="CES")
    opened = {_answer(client, workspace.headers, csat["id"], s, contact=f"c{s}") for s in (1, 2)}
    for s in (3, 4, 5):
        _answer(client, workspace.headers, csat["id"], s, contact=f"c{s}")
    # CES here is "how easy was it": 1-3 is the hard end (surveys.survey.scales), 5-7 is easy.
    opened |= {_answer(client, workspace.headers, ces["id"], s, contact=f"e{s}") for s in (1, 2, 3)}
    for s in (4, 5, 6, 7):
        _answer(client, workspace.headers, ces["id"], s, contact=f"e{s}")
    assert {r.response_id for r in _cases(app)} == opened
