"""/api/v1/cases and /api/v1/case-rules: filters and pages, a case with its quoted evidence,
changes kept as notes, closing needs a reason, roles, and every bad input a 4xx problem with
nothing stored."""

from datetime import timedelta

from sqlalchemy import func, select

from surveys.analysis import service as analysis
from surveys.case.models import Case, CaseNote, CaseRule
from surveys.core.db import db, utcnow
from tests.support.helpers import create_survey
from tests.support.webapp import make_user


def _answer(client, workspace, survey_id, contact, score=2, comment=None, attributes=None):
    body = {
        "survey_id": survey_id,
        "score": score,
        "contact": {"external_id": contact, "attributes": attributes or {}},
    }
    if comment:
        body["comment"] = comment
    response = client.post("/api/v1/responses", json=body, headers=workspace.headers)
    assert response.status_code == 201, response.json
    return response.json["id"]


def _count(app, model) -> int:
    with app.app_context():
        found = db.session.execute(select(func.count()).select_from(model)).scalar_one()
        db.session.remove()
    return found


def test_cases_list_filters_and_pages(app, client, workspace):
    ana = make_user(app, workspace.workspace.id, email="ana@acme.test")
    survey = create_survey(client, workspace.headers)
    other = create_survey(client, workspace.headers, name="Other")
    ids = [
        _answer(client, workspace, survey["id"], f"c{n}", attributes={"plan": "pro" if n % 2 else "free"})
        for n in range(5)
    ]
    # c1's stored attributes (plan: pro) are in this answer's snapshot too.
    again = _answer(client, workspace, other["id"], "c1")
    headers = workspace.key_headers("analyst")
    listed = client.get("/api/v1/cases?limit=2", headers=headers)
    assert listed.status_code == 200
    seen, cursor = [c["response_id"] for c in listed.json["items"]], listed.json["next_cursor"]
    while cursor:
        page = client.get(f"/api/v1/cases?limit=2&cursor={cursor}", headers=headers).json
        seen += [c["response_id"] for c in page["items"]]
        cursor = page["next_cursor"]
    assert len(seen) == 6 and len(set(seen)) == 6
    by_survey = client.get(f"/api/v1/cases?survey_id={survey['id']}", headers=headers).json["items"]
    assert {c["response_id"] for c in by_survey} == set(ids)
    contact_id = by_survey[0]["contact_id"]
    by_contact = client.get(f"/api/v1/cases?contact_id={contact_id}", headers=headers).json["items"]
    assert {c["contact_id"] for c in by_contact} == {contact_id}
    segment = client.post(
        "/api/v1/segments",
        json={"name": "Pro", "conditions": [{"field": "attributes.plan", "op": "eq", "value": "pro"}]},
        headers=workspace.headers,
    ).json
    pro = client.get(f"/api/v1/cases?segment_id={segment['id']}", headers=headers).json["items"]
    assert {c["response_id"] for c in pro} == {ids[1], ids[3], again}

    case_id = by_survey[0]["id"]
    client.patch(f"/api/v1/cases/{case_id}", json={"owner_id": ana}, headers=headers)
    mine = client.get(f"/api/v1/cases?owner_id={ana}", headers=headers).json["items"]
    assert [c["id"] for c in mine] == [case_id]
    assert len(client.get("/api/v1/cases?unassigned=true", headers=headers).json["items"]) == 5
    assert client.get("/api/v1/cases?overdue=true", headers=headers).json["items"] == []
    client.patch(
        f"/api/v1/cases/{case_id}",
        json={"due_at": (utcnow() - timedelta(hours=1)).isoformat()},
        headers=headers,
    )
    overdue = client.get("/api/v1/cases?overdue=true", headers=headers).json["items"]
    assert [(c["id"], c["overdue"]) for c in overdue] == [(case_id, True)]
    closed = client.get("/api/v1/cases?status=resolved", headers=headers).json["items"]
    assert closed == []


def test_case_shows_quoted_evidence_and_keeps_changes_as_notes(app, client, workspace):
    survey = create_survey(client, workspace.headers)
    response_id = _answer(client, workspace, survey["id"], "c1", score=1, comment="Billing charged us twice")
    with app.app_context():
        analysis.analyze_responses(db.session, response_ids=[response_id])
        db.session.commit()
        case_id = db.session.execute(select(Case.id)).scalar_one()
        db.session.remove()
    headers = workspace.key_headers("analyst")
    case = client.get(f"/api/v1/cases/{case_id}", headers=headers).json
    assert case["answer"]["score"] == 1 and case["answer"]["category"] == "detractor"
    [billing] = [t for t in case["answer"]["themes"] if t["name"] == "billing"]
    quoted = billing["evidence"][0]
    assert "Billing charged us twice"[quoted["start"] : quoted["end"]] == quoted["text"]
    assert case["contact"]["external_id"] == "c1" and case["status"] == "open"

    refused = client.patch(f"/api/v1/cases/{case_id}", json={"status": "resolved"}, headers=headers)
    assert refused.status_code == 422 and "resolution" in refused.json["errors"]
    assert _count(app, CaseNote) == 0  # nothing partial
    note = client.post(
        f"/api/v1/cases/{case_id}/notes", json={"body": "Called, refund promised"}, headers=headers
    )
    assert note.status_code == 201 and note.json["author"].startswith("API key")
    done = client.patch(
        f"/api/v1/cases/{case_id}",
        json={"status": "resolved", "resolution": "Refunded the double charge"},
        headers=headers,
    )
    assert done.status_code == 200, done.json
    assert done.json["status"] == "resolved" and done.json["closed_at"] and done.json["first_contacted_at"]
    bodies = [n["body"] for n in done.json["notes"]]
    assert bodies == [
        "Called, refund promised",
        "Status: open → resolved. Resolution: Refunded the double charge",
    ]
    # Reopened: no longer closed, the first contact stays.
    reopened = client.patch(f"/api/v1/cases/{case_id}", json={"status": "open"}, headers=headers).json
    assert reopened["closed_at"] is None and reopened["first_contacted_at"] == done.json["first_contacted_at"]


def test_case_rules_crud_and_roles(app, client, workspace):
    survey = create_survey(client, workspace.headers)
    ana = make_user(app, workspace.workspace.id, email="ana@acme.test")
    body = {
        "name": "Enterprise",
        "survey_id": survey["id"],
        "assign": "round_robin",
        "assignee_ids": [ana],
        "sla_hours": 8,
    }
    assert (
        client.post("/api/v1/case-rules", json=body, headers=workspace.key_headers("analyst")).status_code
        == 403
    )
    created = client.post("/api/v1/case-rules", json=body, headers=workspace.headers)
    assert created.status_code == 201, created.json
    rule_id = created.json["id"]
    listed = client.get("/api/v1/case-rules", headers=workspace.key_headers("analyst")).json["items"]
    assert {r["name"] for r in listed} == {"Detractor-level answers", "Enterprise"}
    patched = client.patch(
        f"/api/v1/case-rules/{rule_id}", json={"sla_hours": 4, "enabled": False}, headers=workspace.headers
    )
    assert (patched.status_code, patched.json["sla_hours"], patched.json["enabled"]) == (200, 4, False)
    assert client.delete(f"/api/v1/case-rules/{rule_id}", headers=workspace.headers).status_code == 204
    assert client.get(f"/api/v1/case-rules/{rule_id}", headers=workspace.headers).status_code == 404
    assert client.get("/api/v1/cases", headers=workspace.key_headers("ingest")).status_code == 403


def test_case_endpoints_refuse_bad_input_with_nothing_stored(app, client, workspace, db_session):
    survey = create_survey(client, workspace.headers)
    _answer(client, workspace, survey["id"], "c1")
    case_id = db_session.execute(select(Case.id)).scalar_one()
    db_session.remove()
    h = workspace.headers
    bad_rules = [
        {"sla_hours": 0},
        {"sla_hours": "48"},
        {"assign": "everyone"},
        {"assign": "round_robin"},
        {"assign": "attribute"},
        {"assignee_ids": ["usr_nobody"], "assign": "round_robin"},
        {"survey_id": "sv_nope"},
        {"segment_id": "seg_nope"},
        {"theme_id": "th_nope"},
        {"name": ""},
        {"name": "x", "unknown": 1},
        {"name": "nul\u0000"},
        [],
    ]
    for body in bad_rules:
        answer = client.post("/api/v1/case-rules", json=body, headers=h)
        assert 400 <= answer.status_code < 500, (body, answer.status_code)
        assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert _count(app, CaseRule) == 1
    bad_changes = [
        {},
        {"status": "done"},
        {"owner_id": "usr_nobody"},
        {"due_at": "tomorrow"},
        {"status": "closed_no_action"},
        {"resolution": ""},
        {"status": "contacted", "owner_id": "usr_nobody"},
    ]
    for body in bad_changes:
        answer = client.patch(f"/api/v1/cases/{case_id}", json=body, headers=h)
        assert 400 <= answer.status_code < 500, (body, answer.status_code)
    with app.app_context():
        case = db.session.get(Case, case_id)
        assert (case.status, case.owner_id, case.first_contacted_at) == ("open", None, None)
        db.session.remove()
    assert client.post(f"/api/v1/cases/{case_id}/notes", json={"body": ""}, headers=h).status_code == 422
    assert client.post(f"/api/v1/cases/{case_id}/notes", json={}, headers=h).status_code == 422
    assert client.post("/api/v1/cases/case_nope/notes", json={"body": "x"}, headers=h).status_code == 404
    assert _count(app, CaseNote) == 0
    assert client.get("/api/v1/cases/case_%00x", headers=h).status_code in (400, 404)
    assert client.patch("/api/v1/cases/case_nope", json={"status": "open"}, headers=h).status_code == 404
    for query in ("status=done", "limit=0", "overdue=maybe", "segment_id=seg_nope"):
        assert 400 <= client.get(f"/api/v1/cases?{query}", headers=h).status_code < 500, query
    assert (
        client.get(
            "/api/v1/cases/stats?start=2026-02-01T00:00:00Z&end=2026-01-01T00:00:00Z", headers=h
        ).status_code
        == 422
    )
    # Another workspace's case is simply unknown.
    from surveys.workspace.service import create_api_key, create_workspace

    with app.app_context():
        other = create_workspace(db.session, name="Other")
        key = create_api_key(db.session, workspace=other, role="admin")[1]
        db.session.commit()
        db.session.remove()
    assert (
        client.get(f"/api/v1/cases/{case_id}", headers={"Authorization": f"Bearer {key}"}).status_code == 404
    )
