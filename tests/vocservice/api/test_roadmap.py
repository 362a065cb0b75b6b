"""The roadmap API (/api/v1/roadmap-items) and the signed roadmap webhook: CRUD, validation,
roles, workspace isolation, manual links, linked feedback, impact ranking."""

import base64

from sqlalchemy import select

from surveys.core.db import db
from surveys.core.ledgers import WebhookReceipt
from surveys.roadmap.models import RoadmapItem, RoadmapLink
from surveys.workspace.service import create_api_key, create_workspace
from tests.support.helpers import create_survey, signed, table_count

URL = "/api/v1/roadmap-items"


def _theme_ids(client, headers) -> dict[str, str]:
    body = client.get("/api/v1/themes?limit=100", headers=headers).json
    return {t["name"]: t["id"] for t in body["items"]}


def _other_workspace(app) -> dict:
    with app.app_context():
        other = create_workspace(db.session, name="Other", slug="other")
        key = create_api_key(db.session, workspace=other, role="admin")[1]
        db.session.commit()
        db.session.remove()
    return {"Authorization": f"Bearer {key}"}


def _respond(client, headers, survey_id, comment, score=3, contact="c-1", arr=1000) -> str:
    posted = client.post(
        "/api/v1/responses",
        headers=headers,
        json={
            "survey_id": survey_id,
            "score": score,
            "comment": comment,
            "contact": {"external_id": contact, "attributes": {"arr": arr}},
        },
    )
    assert posted.status_code == 201, posted.json
    return posted.json["id"]


def test_roadmap_api_crud_and_validation(client, workspace):
    h = workspace.headers
    themes = _theme_ids(client, h)
    created = client.post(
        URL,
        headers=h,
        json={
            "title": "  SSO   with Okta ",
            "status": "planned",
            "theme_ids": [themes["integrations"]],
            "keywords": ["sso", "SSO", " saml "],
            "external_ref": "JIRA-1",
        },
    )
    assert created.status_code == 201, created.json
    item = created.json
    assert (item["title"], item["keywords"], item["theme_ids"]) == (
        "SSO with Okta",
        ["sso", "saml"],
        [themes["integrations"]],
    )
    got = client.get(f"{URL}/{item['id']}", headers=h).json
    assert got["impact"] == {
        "responses": 0,
        "detractors": 0,
        "customers": 0,
        "revenue": 0,
        "negative_share": None,
    }
    patched = client.patch(f"{URL}/{item['id']}", headers=h, json={"status": "shipped"})
    assert patched.status_code == 200 and patched.json["status"] == "shipped"

    bad = [
        ({"title": "x", "theme_ids": ["th_nope"]}, 422, "theme_ids"),
        ({"title": "x", "status": "wip"}, 422, "status"),
        ({"title": "   "}, 422, "title"),
        ({"title": "x", "surprise": 1}, 422, "surprise"),
        ({"title": "x\u0000"}, 422, None),
        ({"title": "x", "external_ref": "JIRA-1"}, 409, None),
    ]
    for body, status, field in bad:
        response = client.post(URL, headers=h, json=body)
        assert response.status_code == status, (body, response.json)
        assert response.mimetype == "application/problem+json"
        if field:
            assert field in response.json["errors"], response.json
    assert client.patch(f"{URL}/{item['id']}", headers=h, json={"theme_ids": ["th_nope"]}).status_code == 422
    assert client.get(URL, headers=h).json["items"][0]["status"] == "shipped"
    assert client.delete(f"{URL}/{item['id']}", headers=h).status_code == 204
    assert client.get(f"{URL}/{item['id']}", headers=h).status_code == 404


def test_roadmap_api_roles_and_isolation(app, client, workspace):
    assert client.get(URL).status_code == 401
    assert client.get(URL, headers=workspace.key_headers("ingest")).status_code == 403
    analyst = workspace.key_headers("analyst")
    item = client.post(URL, headers=analyst, json={"title": "Mine"}).json
    survey = create_survey(client, workspace.headers)
    mine = _respond(client, workspace.headers, survey["id"], "hello")

    other = _other_workspace(app)
    other_theme = next(iter(_theme_ids(client, other).values()))
    assert (
        client.post(URL, headers=analyst, json={"title": "x", "theme_ids": [other_theme]}).status_code == 422
    )
    other_survey = create_survey(client, other)
    theirs = _respond(client, other, other_survey["id"], "secret")
    for method, path, body in [
        ("get", f"{URL}/{item['id']}", None),
        ("patch", f"{URL}/{item['id']}", {"title": "Stolen"}),
        ("delete", f"{URL}/{item['id']}", None),
        ("get", f"{URL}/{item['id']}/feedback", None),
        ("post", f"{URL}/{item['id']}/links", {"response_id": mine}),
    ]:
        response = getattr(client, method)(path, headers=other, json=body)
        assert response.status_code == 404, (method, path, response.json)
    assert client.get(URL, headers=other).json["items"] == []
    # Our item, their response: unknown to us.
    assert (
        client.post(f"{URL}/{item['id']}/links", headers=analyst, json={"response_id": theirs}).status_code
        == 404
    )
    assert client.get(f"{URL}/{item['id']}", headers=analyst).json["title"] == "Mine"


def test_roadmap_api_links_feedback_and_response_items(client, workspace, db_session, run_worker):
    h = workspace.headers
    survey = create_survey(client, h)
    first = _respond(client, h, survey["id"], "Okta login breaks", score=2)
    second = _respond(client, h, survey["id"], "Love the reports", score=10, contact="c-2")
    item = client.post(URL, headers=h, json={"title": "SSO", "keywords": ["okta"]}).json
    run_worker()
    feedback = client.get(f"{URL}/{item['id']}/feedback", headers=h).json
    assert [r["id"] for r in feedback["items"]] == [first]
    assert feedback["items"][0]["analysis"]["roadmap_items"] == [{"id": item["id"], "title": "SSO"}]

    linked = client.post(f"{URL}/{item['id']}/links", headers=h, json={"response_id": second})
    assert linked.status_code == 201 and linked.json["source"] == "manual"
    again = client.post(f"{URL}/{item['id']}/links", headers=h, json={"response_id": second})
    assert again.status_code == 200
    assert table_count(db_session, RoadmapLink) == 2
    assert (
        client.post(f"{URL}/{item['id']}/links", headers=h, json={"response_id": "rsp_nope"}).status_code
        == 404
    )
    page = client.get(f"{URL}/{item['id']}/feedback?limit=1", headers=h).json
    assert [r["id"] for r in page["items"]] == [second]  # newest first
    rest = client.get(f"{URL}/{item['id']}/feedback?limit=1&cursor={page['next_cursor']}", headers=h).json
    assert [r["id"] for r in rest["items"]] == [first] and rest["next_cursor"] is None
    listed = client.get(f"/api/v1/responses/{second}", headers=h).json
    assert listed["analysis"]["roadmap_items"] == [{"id": item["id"], "title": "SSO"}]

    assert client.delete(f"{URL}/{item['id']}/links/{first}", headers=h).status_code == 204
    assert client.delete(f"{URL}/{item['id']}/links/{first}", headers=h).status_code == 404
    assert (
        client.open(
            f"{URL}/{item['id']}/links", method="DELETE", headers=h, json={"response_id": second}
        ).status_code
        == 204
    )
    # Re-mapping (keywords changed) does not bring the removed automatic link back.
    client.patch(f"{URL}/{item['id']}", headers=h, json={"keywords": ["okta", "login"]})
    run_worker()
    assert client.get(f"{URL}/{item['id']}/feedback", headers=h).json["items"] == []
    sources = dict(db_session.execute(select(RoadmapLink.response_id, RoadmapLink.source)).all())
    assert sources == {first: "excluded", second: "excluded"}


def test_roadmap_api_sorted_by_impact_with_cursor_and_filters(client, workspace, run_worker):
    h = workspace.headers
    survey = create_survey(client, h)
    for i in range(3):  # small customers, unhappy about the price
        _respond(client, h, survey["id"], "too expensive", score=1, contact=f"s{i}", arr=500)
    _respond(client, h, survey["id"], "we need okta", score=5, contact="big", arr=200_000)
    themes = _theme_ids(client, h)
    pricing = client.post(URL, headers=h, json={"title": "Pricing", "theme_ids": [themes["pricing"]]}).json
    sso = client.post(URL, headers=h, json={"title": "SSO", "keywords": ["okta"]}).json
    idle = client.post(URL, headers=h, json={"title": "Idle"}).json
    run_worker()
    body = client.get(f"{URL}?sort=detractors&limit=2", headers=h).json
    assert [i["id"] for i in body["items"]] == [pricing["id"], sso["id"]]
    assert body["items"][0]["impact"]["detractors"] == 3
    assert body["items"][0]["impact"]["negative_share"] == 1.0
    rest = client.get(f"{URL}?sort=detractors&limit=2&cursor={body['next_cursor']}", headers=h).json
    assert [i["id"] for i in rest["items"]] == [idle["id"]] and rest["next_cursor"] is None
    by_revenue = client.get(f"{URL}?sort=revenue", headers=h).json["items"]
    assert by_revenue[0]["id"] == sso["id"] and by_revenue[0]["impact"]["revenue"] == 200_000
    assert by_revenue[0]["impact"]["customers"] == 1
    impact = client.get(f"{URL}?sort=impact", headers=h).json["items"]
    assert {i["id"] for i in impact[:2]} == {pricing["id"], sso["id"]}
    assert (
        client.get(f"{URL}?sort=impact&from=2999-01-01T00:00:00Z", headers=h).json["items"][0]["impact"][
            "responses"
        ]
        == 0
    )
    assert client.get(f"{URL}?sort=impact&cursor=rm_x", headers=h).status_code == 422
    assert client.get(f"{URL}?sort=bogus", headers=h).status_code == 422
    assert client.get(f"{URL}?sort=impact&survey_id=sv_nope", headers=h).status_code == 404
    assert client.get(f"{URL}?sort=impact&segment_id=seg_nope", headers=h).status_code == 404


HOOK = "/webhooks/acme/roadmap"


def test_roadmap_webhook_signed_updates_create_and_update(client, workspace, db_session):
    secret = workspace.workspace.webhook_secret
    raw, headers = signed(secret, {"external_ref": "GH-7", "title": "Dark mode", "status": "open"})
    created = client.post(HOOK, data=raw, headers=headers)
    assert created.status_code == 201, created.json
    assert created.json["item"]["status"] == "idea"
    for state, ours in (("In Progress", "in_progress"), ("todo", "planned"), ("closed", "shipped")):
        raw, headers = signed(secret, {"external_ref": "GH-7", "status": state})
        updated = client.post(HOOK, data=raw, headers=headers)
        assert updated.status_code == 200 and updated.json["item"]["status"] == ours
    item = db_session.execute(select(RoadmapItem)).scalar_one()
    assert (item.title, item.status) == ("Dark mode", "shipped")

    raw, headers = signed(secret, {"external_ref": "GH-7", "status": "wontfix"})
    refused = client.post(HOOK, data=raw, headers=headers)
    assert refused.status_code == 422 and "status" in refused.json["errors"]
    raw, headers = signed(secret, {"external_ref": "GH-8"})
    assert client.post(HOOK, data=raw, headers=headers).status_code == 422  # no title to create
    assert table_count(db_session, WebhookReceipt) == 4
    assert table_count(db_session, RoadmapItem) == 1


def test_roadmap_webhook_forged_and_replayed(client, workspace, db_session):
    secret = workspace.workspace.webhook_secret
    payload = {"external_ref": "GH-1", "title": "Export to PDF", "status": "todo"}
    forged_secret = "whsec_" + base64.b64encode(b"y" * 32).decode()
    raw, forged = signed(forged_secret, payload)
    response = client.post(HOOK, data=raw, headers=forged)
    assert response.status_code == 401 and response.mimetype == "application/problem+json"
    assert client.post("/webhooks/nobody/roadmap", data=raw, headers=forged).status_code == 401
    assert table_count(db_session, RoadmapItem) == 0
    assert table_count(db_session, WebhookReceipt) == 0

    raw, headers = signed(secret, payload, msg_id="msg_roadmap")
    assert client.post(HOOK, data=raw, headers=headers).status_code == 201
    raw, headers = signed(secret, {"external_ref": "GH-1", "status": "done"}, msg_id="msg_roadmap")
    replay = client.post(HOOK, data=raw, headers=headers)
    assert replay.status_code == 200 and replay.json["duplicate"] is True
    item = db_session.execute(select(RoadmapItem)).scalar_one()
    assert item.status == "planned"  # the replay changed nothing
    assert table_count(db_session, WebhookReceipt) == 1
