"""The faults of issue 10 for cases: a flood of 1,000 detractors in one batch (each case opens
exactly once, owners get one email each), replays and re-analysis open nothing twice, a rule on
an empty segment opens nothing and fails nothing, partial answers wait for finalisation."""

from datetime import timedelta

from sqlalchemy import func, select, update

from surveys.analysis import service as analysis
from surveys.analysis.models import Theme
from surveys.case.models import Case, CaseRule
from surveys.core.db import db, utcnow
from surveys.response.models import Response
from surveys.response.service import widget_start
from surveys.tick import run_tick
from surveys.workspace.models import Workspace
from tests.support.helpers import create_survey, make_invitation
from tests.support.webapp import make_user

BATCH_URL = "/api/v1/responses/batch"


def _count(app, *where) -> int:
    with app.app_context():
        found = db.session.execute(select(func.count()).select_from(Case).where(*where)).scalar_one()
        db.session.remove()
    return found


def _rule(client, workspace, **body):
    response = client.post("/api/v1/case-rules", json=body, headers=workspace.headers)
    assert response.status_code == 201, response.json
    return response.json


def _disable_default(app):
    with app.app_context():
        db.session.execute(update(CaseRule).values(enabled=False))
        db.session.commit()
        db.session.remove()


def test_flood_of_1000_detractors_opens_each_case_once_and_one_email_per_owner(
    app, client, workspace, run_worker, smtp_server
):
    ana = make_user(app, workspace.workspace.id, email="ana@acme.test")
    bo = make_user(app, workspace.workspace.id, email="bo@acme.test", role="analyst")
    _disable_default(app)
    _rule(client, workspace, name="Everyone", assign="round_robin", assignee_ids=[ana, bo], sla_hours=24)
    survey = create_survey(client, workspace.headers)
    items = [
        {"id": f"ext-{i}", "survey_id": survey["id"], "score": i % 7, "contact": {"external_id": f"c-{i}"}}
        for i in range(1000)
    ]
    first = client.post(BATCH_URL, json={"responses": items}, headers=workspace.headers)
    assert first.status_code == 200, first.json
    assert _count(app) == 1000
    # The same batch again (a retry): the answers are known, nothing new opens.
    again = client.post(BATCH_URL, json={"responses": items}, headers=workspace.headers)
    assert again.status_code == 200
    assert _count(app) == 1000
    with app.app_context():
        per_owner = dict(
            db.session.execute(select(Case.owner_id, func.count()).group_by(Case.owner_id)).all()
        )
        per_answer = db.session.execute(
            select(func.count(func.distinct(Case.response_id))).select_from(Case)
        ).scalar_one()
        db.session.remove()
    assert per_owner == {ana: 500, bo: 500} and per_answer == 1000

    run_worker()
    assert sorted(m["To"] for m in smtp_server.messages) == ["ana@acme.test", "bo@acme.test"]
    body = smtp_server.messages[0].get_content()
    assert "500 new cases assigned to you" in smtp_server.messages[0]["Subject"]
    assert "...and 450 more" in body
    assert _count(app, Case.assignment_notice_pending.is_(True)) == 0
    # Nothing pending, so another run sends nothing.
    with app.app_context():
        run_tick(db.session)
        db.session.remove()
    run_worker()
    assert len(smtp_server.messages) == 2


def test_replayed_answer_and_reanalysis_open_one_case(app, client, workspace):
    survey = create_survey(client, workspace.headers)
    body = {"id": "same-1", "survey_id": survey["id"], "score": 2, "comment": "Billing charged us twice"}
    body["contact"] = {"external_id": "cust-9"}
    assert client.post("/api/v1/responses", json=body, headers=workspace.headers).status_code == 201
    assert client.post("/api/v1/responses", json=body, headers=workspace.headers).status_code in (200, 201)
    assert _count(app) == 1
    # A theme rule too, so the analysis matches a second rule for the same answer.
    with app.app_context():
        billing = db.session.execute(select(Theme.id).where(Theme.name == "billing")).scalar_one()
        db.session.remove()
    _rule(client, workspace, name="Billing", theme_id=billing)
    with app.app_context():
        response_id = db.session.execute(select(Response.id)).scalar_one()
        for _ in range(2):  # analysed, then analysed again
            db.session.execute(update(Response).values(analysis_status="pending", analysis_lease_until=None))
            analysis.analyze_responses(db.session, response_ids=[response_id])
            db.session.commit()
        db.session.remove()
    assert _count(app) == 1


def test_theme_rule_opens_when_the_analysis_lands(app, client, workspace):
    _disable_default(app)
    with app.app_context():
        billing = db.session.execute(select(Theme.id).where(Theme.name == "billing")).scalar_one()
        db.session.remove()
    rule = _rule(client, workspace, name="Billing", theme_id=billing, negative_sentiment=True)
    survey = create_survey(client, workspace.headers)
    ids = []
    for n, comment in enumerate(["The invoice was wrong and billing charged us twice", "Slow dashboards"]):
        body = {
            "survey_id": survey["id"],
            "score": 1,
            "comment": comment,
            "contact": {"external_id": f"t{n}"},
        }
        ids.append(client.post("/api/v1/responses", json=body, headers=workspace.headers).json["id"])
    assert _count(app) == 0  # final, but the rule needs the analysis
    with app.app_context():
        analysis.analyze_responses(db.session, response_ids=ids)
        db.session.commit()
        rows = db.session.execute(select(Case.response_id, Case.rule_id)).all()
        db.session.remove()
    assert [tuple(r) for r in rows] == [(ids[0], rule["id"])]


def test_rule_on_an_empty_segment_opens_nothing(app, client, workspace):
    _disable_default(app)
    segment = client.post(
        "/api/v1/segments",
        json={
            "name": "Nobody",
            "conditions": [{"field": "attributes.plan", "op": "eq", "value": "none-such"}],
        },
        headers=workspace.headers,
    )
    assert segment.status_code == 201, segment.json
    _rule(client, workspace, name="Empty", segment_id=segment.json["id"])
    survey = create_survey(client, workspace.headers)
    items = [
        {
            "survey_id": survey["id"],
            "score": 0,
            "contact": {"external_id": f"e{i}", "attributes": {"plan": "pro"}},
        }
        for i in range(20)
    ]
    assert client.post(BATCH_URL, json={"responses": items}, headers=workspace.headers).status_code == 200
    single = {"survey_id": survey["id"], "score": 0, "contact": {"external_id": "e-one"}}
    assert client.post("/api/v1/responses", json=single, headers=workspace.headers).status_code == 201
    assert _count(app) == 0
    # The same rule on a segment that matches opens for those answers only.
    client.patch(
        f"/api/v1/segments/{segment.json['id']}",
        json={"conditions": [{"field": "attributes.plan", "op": "eq", "value": "pro"}]},
        headers=workspace.headers,
    )
    more = [
        dict(item, contact={"external_id": f"x{i}", "attributes": {"plan": "pro"}})
        for i, item in enumerate(items[:3])
    ]
    assert client.post(BATCH_URL, json={"responses": more}, headers=workspace.headers).status_code == 200
    assert _count(app) == 3


def test_partial_answers_open_a_case_only_when_final(app, client, db_session, workspace):
    ws_id = workspace.workspace.id
    clicked = make_invitation(db_session, ws_id)
    client.post(f"/s/{clicked.token}/opened", data={"score": "2"})  # a one-click score, partial
    client.get(f"/s/{clicked.token}?score=1")  # a link click records nothing
    ws = db_session.get(Workspace, ws_id)
    widget = widget_start(db_session, workspace=ws, survey_id=clicked.survey_id, score=0)
    db_session.commit()
    widget_id = widget.id
    assert _count(app) == 0
    now = utcnow()
    with app.app_context():
        run_tick(db.session, now=now + timedelta(hours=2))
        db.session.remove()
    db_session.expire_all()
    opened = set(db_session.execute(select(Case.response_id)).scalars())
    clicked_answer = db_session.execute(
        select(Response.id).where(Response.invitation_id == clicked.id)
    ).scalar_one()
    assert opened == {clicked_answer, widget_id}
    # The hosted form's final submit opens one at once.
    submitted = make_invitation(db_session, ws_id)
    assert (
        client.post(
            f"/s/{submitted.token}", data={"score": "4", "comment": "meh", "action": "submit"}
        ).status_code
        == 200
    )
    assert _count(app) == 3


def test_csv_import_opens_cases_once(app, db_session, workspace):
    import io

    from surveys.response.importer import import_responses
    from surveys.survey.models import Survey

    ws = db_session.get(Workspace, workspace.workspace.id)
    survey = Survey(workspace_id=ws.id, name="NPS", kind="nps", question="Q?")
    db_session.add(survey)
    db_session.commit()
    csv_text = "id,score,external_id\n" + "".join(f"r-{n},{n % 11},c-{n}\n" for n in range(40))
    for _ in range(2):  # the same file twice: known rows open nothing new
        import_responses(db_session, workspace=ws, survey_id=survey.id, stream=io.StringIO(csv_text))
        db_session.commit()
    opened = db_session.execute(select(Response.external_id).join(Case, Case.response_id == Response.id))
    assert sorted(opened.scalars()) == sorted(f"r-{n}" for n in range(40) if n % 11 <= 6)
