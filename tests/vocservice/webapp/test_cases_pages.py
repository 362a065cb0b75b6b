"""/app/cases: the empty state, filters (mine, overdue, status, segment, theme), pages, a case's
page with escaped customer text, its history and actions (assign, status with a reason, notes),
and the loop's figures on the dashboard."""

from datetime import timedelta

from sqlalchemy import select, update

from surveys.case.models import Case, CaseNote
from surveys.core.db import db, utcnow
from tests.support.helpers import create_survey
from tests.support.webapp import HOSTILE, login, make_user


def _answer(client, workspace, survey_id, contact, score=2, comment=None, attributes=None):
    body = {
        "survey_id": survey_id,
        "score": score,
        "contact": {"external_id": contact, "attributes": attributes or {}},
    }
    if comment is not None:
        body["comment"] = comment
    response = client.post("/api/v1/responses", json=body, headers=workspace.headers)
    assert response.status_code == 201, response.json
    return response.json["id"]


def _case_of(app, response_id) -> str:
    with app.app_context():
        found = db.session.execute(select(Case.id).where(Case.response_id == response_id)).scalar_one()
        db.session.remove()
    return found


def test_cases_inbox_empty_state_and_filters(app, client, workspace):
    me = make_user(app, workspace.workspace.id)
    token = login(client)
    empty = client.get("/app/cases")
    assert empty.status_code == 200 and "No cases yet" in empty.text
    survey = create_survey(client, workspace.headers)
    hostile = _answer(client, workspace, survey["id"], "c-evil", comment=HOSTILE, attributes={"plan": "pro"})
    calm = _answer(client, workspace, survey["id"], "c-calm", comment="Too slow", attributes={"plan": "free"})
    page = client.get("/app/cases").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert page.count('id="case-') == 2
    hostile_case, calm_case = _case_of(app, hostile), _case_of(app, calm)

    client.post(f"/app/cases/{calm_case}/assign", data={"owner_id": me, "csrf_token": token})
    mine = client.get("/app/cases?mine=1").text
    assert f'id="case-{calm_case}"' in mine and f'id="case-{hostile_case}"' not in mine
    with app.app_context():
        db.session.execute(
            update(Case).where(Case.id == hostile_case).values(due_at=utcnow() - timedelta(hours=1))
        )
        db.session.commit()
        db.session.remove()
    overdue = client.get("/app/cases?overdue=1").text
    assert f'id="case-{hostile_case}"' in overdue and f'id="case-{calm_case}"' not in overdue
    segment = client.post(
        "/api/v1/segments",
        json={"name": "Free", "conditions": [{"field": "attributes.plan", "op": "eq", "value": "free"}]},
        headers=workspace.headers,
    ).json
    free = client.get(f"/app/cases?segment={segment['id']}").text
    assert f'id="case-{calm_case}"' in free and f'id="case-{hostile_case}"' not in free
    none_resolved = client.get("/app/cases?status=resolved").text
    assert "No cases match these filters" in none_resolved
    assert client.get("/app/cases?status=bogus").status_code == 400
    assert client.get("/app/cases?segment=seg_nope").status_code == 404


def test_case_page_actions(app, client, workspace):
    ws = workspace.workspace.id
    make_user(app, ws)
    ana = make_user(app, ws, email="ana@acme.test")
    token = login(client)
    survey = create_survey(client, workspace.headers)
    _answer(client, workspace, survey["id"], "c1", score=9, comment="Loved it")
    response_id = _answer(client, workspace, survey["id"], "c1", comment=HOSTILE)
    case_id = _case_of(app, response_id)
    page = client.get(f"/app/cases/{case_id}")
    assert page.status_code == 200
    assert "<img src=x" not in page.text and "Loved it" in page.text  # the customer's history

    assert (
        client.post(f"/app/cases/{case_id}/assign", data={"owner_id": ana, "csrf_token": token}).status_code
        == 302
    )
    refused = client.post(f"/app/cases/{case_id}/status", data={"status": "resolved", "csrf_token": token})
    assert refused.status_code == 422 and "required to resolve or close a case" in refused.text
    done = client.post(
        f"/app/cases/{case_id}/status",
        data={"status": "resolved", "resolution": "Called, <b>fixed</b>", "csrf_token": token},
    )
    assert done.status_code == 302
    assert (
        client.post(f"/app/cases/{case_id}/notes", data={"body": "", "csrf_token": token}).status_code == 422
    )
    assert (
        client.post(
            f"/app/cases/{case_id}/notes", data={"body": "Sent a gift", "csrf_token": token}
        ).status_code
        == 302
    )
    assert client.post(f"/app/cases/{case_id}/notes", data={"body": "x"}).status_code in (400, 403)  # no CSRF
    after = client.get(f"/app/cases/{case_id}").text
    assert "Sent a gift" in after and "&lt;b&gt;fixed&lt;/b&gt;" in after
    with app.app_context():
        case = db.session.get(Case, case_id)
        assert (case.owner_id, case.status, case.resolution) == (ana, "resolved", "Called, <b>fixed</b>")
        authors = set(db.session.execute(select(CaseNote.author)).scalars())
        db.session.remove()
    assert authors == {"pm@acme.test"}
    assert client.get("/app/cases/case_nope").status_code == 404
    assert (
        client.post("/app/cases/case_nope/status", data={"status": "open", "csrf_token": token}).status_code
        == 404
    )
    dashboard = client.get(f"/app?survey={survey['id']}").text
    assert "Closing the loop" in dashboard and "Rescue rate" in dashboard


def test_cases_inbox_lists_work_to_do_first_and_pages(app, client, workspace):
    make_user(app, workspace.workspace.id)
    login(client)
    survey = create_survey(client, workspace.headers)
    items = [
        {"survey_id": survey["id"], "score": 3, "contact": {"external_id": f"c-{n:02d}"}} for n in range(27)
    ]
    batch = client.post("/api/v1/responses/batch", json={"responses": items}, headers=workspace.headers)
    assert batch.status_code == 200 and batch.json["accepted"] == 27, batch.json
    now = utcnow()
    with app.app_context():
        ids = list(
            db.session.execute(select(Case.id).where(Case.workspace_id == workspace.workspace.id)).scalars()
        )
        assert len(ids) == 27
        # Every case a distinct due time; the first ten closed, two of the rest contacted.
        for n, case_id in enumerate(ids):
            values = {"due_at": now + timedelta(hours=n - 13)}
            if n < 10:
                values["status"] = "resolved" if n % 2 else "closed_no_action"
                values["closed_at"] = now
            elif n in (20, 21):
                values["status"] = "contacted"
            db.session.execute(update(Case).where(Case.id == case_id).values(**values))
        db.session.commit()
        due = dict(db.session.execute(select(Case.id, Case.due_at)).all())
        status = dict(db.session.execute(select(Case.id, Case.status)).all())
        db.session.remove()
    # Independently: active ones by due time ascending, then closed ones by due time descending.
    active = sorted((i for i in ids if status[i] in ("open", "contacted")), key=lambda i: due[i])
    closed = sorted(
        (i for i in ids if status[i] not in ("open", "contacted")), key=lambda i: due[i], reverse=True
    )
    expected = active + closed

    def listed(text: str) -> list[str]:
        return [chunk.split('"', 1)[0] for chunk in text.split('id="case-')[1:]]

    first = client.get("/app/cases")
    assert first.status_code == 200
    assert listed(first.text) == expected[:25]
    assert "overdue" in first.text and 'rel="next"' in first.text and 'rel="prev"' not in first.text
    second = client.get("/app/cases?page=2")
    assert listed(second.text) == expected[25:]
    assert 'rel="prev"' in second.text and 'rel="next"' not in second.text
    past = client.get("/app/cases?page=9")
    assert past.status_code == 200 and "past the last case" in past.text
    # Filters keep the order and carry over to the page links.
    contacted = client.get("/app/cases?status=contacted")
    assert listed(contacted.text) == [i for i in expected if status[i] == "contacted"]
    for bad in ("0", "-1", "x", "1e3", "٣", "10001"):
        assert client.get(f"/app/cases?page={bad}").status_code == 400, bad
