"""Who owns a case: round-robin over the rule's users, the user named by a contact attribute
(else round-robin), a removed user's open cases reassigned with none lost; the tick reports an
overdue case once (webhook and one email to its owner); events reach a real receiver."""

from datetime import timedelta

from sqlalchemy import select, update

from surveys.case.models import Case, CaseNote, CaseRule
from surveys.core.db import db, utcnow
from surveys.tick import run_tick
from surveys.workspace.models import User
from surveys.workspace.service import remove_user
from tests.support.helpers import create_survey
from tests.support.webapp import make_user


def _owners(app) -> dict[str, str | None]:
    with app.app_context():
        rows = dict(db.session.execute(select(Case.response_id, Case.owner_id)).all())
        db.session.remove()
    return rows


def _use_rule(app, **values):
    with app.app_context():
        db.session.execute(update(CaseRule).values(**values))
        db.session.commit()
        db.session.remove()


def _answer(client, workspace, survey_id, contact, score=1, attributes=None):
    body = {
        "survey_id": survey_id,
        "score": score,
        "contact": {"external_id": contact, "attributes": attributes or {}},
    }
    response = client.post("/api/v1/responses", json=body, headers=workspace.headers)
    assert response.status_code == 201, response.json
    return response.json["id"]


def test_owner_round_robin_and_contact_attribute(app, client, workspace):
    ws = workspace.workspace.id
    ana = make_user(app, ws, email="ana@acme.test")
    bo = make_user(app, ws, email="bo@acme.test")
    kim = make_user(app, ws, email="kim@acme.test")
    _use_rule(app, assign="attribute", owner_attribute="account_owner_email", assignee_ids=[ana, bo])
    survey = create_survey(client, workspace.headers)
    named = _answer(
        client, workspace, survey["id"], "c1", attributes={"account_owner_email": " Kim@Acme.test"}
    )
    unknown = _answer(
        client, workspace, survey["id"], "c2", attributes={"account_owner_email": "gone@x.test"}
    )
    plain = [_answer(client, workspace, survey["id"], f"c{n}") for n in range(3, 6)]
    owners = _owners(app)
    assert owners[named] == kim
    # Falling back to round-robin, in turn across requests.
    assert [owners[unknown], *(owners[i] for i in plain)] == [ana, bo, ana, bo]


def test_removed_user_cases_are_reassigned_none_lost(app, client, workspace):
    ws = workspace.workspace.id
    ana = make_user(app, ws, email="ana@acme.test")
    bo = make_user(app, ws, email="bo@acme.test")
    cy = make_user(app, ws, email="cy@acme.test")
    _use_rule(app, assign="round_robin", assignee_ids=[ana, bo, cy])
    survey = create_survey(client, workspace.headers)
    ids = [_answer(client, workspace, survey["id"], f"c{n}") for n in range(9)]
    owners = _owners(app)
    held = sorted(i for i in ids if owners[i] == ana)
    assert len(held) == 3
    # One of Ana's cases is already resolved: it stays closed (its owner simply becomes nobody).
    with app.app_context():
        db.session.execute(
            update(Case).where(Case.response_id == held[0]).values(status="resolved", resolution="called")
        )
        admin = make_user(app, ws, email="admin@acme.test")
        remove_user(db.session, user=db.session.get(User, ana), actor=db.session.get(User, admin))
        db.session.commit()
        rows = {r.response_id: r for r in db.session.execute(select(Case)).unique().scalars()}
        rule = db.session.execute(select(CaseRule)).scalar_one()
        notes = db.session.execute(select(CaseNote.body)).scalars().all()
        db.session.remove()
    assert len(rows) == 9  # none lost
    assert rule.assignee_ids == [bo, cy]
    moved = [rows[i].owner_id for i in held[1:]]
    assert set(moved) <= {bo, cy} and None not in moved
    assert rows[held[0]].owner_id is None and rows[held[0]].status == "resolved"
    assert sum("ana@acme.test was removed" in n for n in notes) == 2
    # With nobody left on the rule, a removed owner's cases become unassigned, still open.
    with app.app_context():
        for user_id in (bo, cy):
            remove_user(db.session, user=db.session.get(User, user_id))
        db.session.commit()
        left = db.session.execute(select(Case.owner_id, Case.status)).all()
        db.session.remove()
    assert len(left) == 9 and {o for o, _ in left} == {None}


def test_overdue_once_with_webhook_and_one_email(app, client, workspace, receiver, smtp_server, run_worker):
    ana = make_user(app, workspace.workspace.id, email="ana@acme.test")
    _use_rule(app, assign="round_robin", assignee_ids=[ana], sla_hours=2)
    events = ["case.opened", "case.overdue", "case.status_changed"]
    endpoint = client.post(
        "/api/v1/webhook-endpoints", json={"url": receiver.url, "events": events}, headers=workspace.headers
    )
    assert endpoint.status_code == 201, endpoint.json
    survey = create_survey(client, workspace.headers)
    first = _answer(client, workspace, survey["id"], "c1")
    second = _answer(client, workspace, survey["id"], "c2")
    run_worker()
    assert len(smtp_server.messages) == 1  # both assignments in one email
    assert "2 new cases assigned to you" in smtp_server.messages[0]["Subject"]
    # One is contacted in time; the other is not.
    with app.app_context():
        case_id = db.session.execute(select(Case.id).where(Case.response_id == first)).scalar_one()
        db.session.remove()
    patched = client.patch(
        f"/api/v1/cases/{case_id}", json={"status": "contacted"}, headers=workspace.headers
    )
    assert patched.status_code == 200, patched.json
    later = utcnow() + timedelta(hours=3)
    for _ in range(2):  # the second tick finds nothing new
        with app.app_context():
            run_tick(db.session, now=later)
            db.session.remove()
        run_worker()
    types = [p["type"] for p in receiver.payloads()]
    assert sorted(types) == ["case.opened", "case.opened", "case.overdue", "case.status_changed"]
    [overdue] = [p for p in receiver.payloads() if p["type"] == "case.overdue"]
    assert overdue["data"]["case"]["response_id"] == second
    assert overdue["data"]["case"]["owner"] == {"id": ana, "email": "ana@acme.test"}
    [changed] = [p for p in receiver.payloads() if p["type"] == "case.status_changed"]
    assert (changed["data"]["previous_status"], changed["data"]["case"]["status"]) == ("open", "contacted")
    opened = [p for p in receiver.payloads() if p["type"] == "case.opened"]
    assert {p["data"]["response"]["id"] for p in opened} == {first, second}
    assert [m["Subject"] for m in smtp_server.messages[1:]] == ["vocservice: 1 case overdue"]
