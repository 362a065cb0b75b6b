"""The widget's public endpoints: CORS by exact origin, strict JSON, rate limits, edit tokens, and
contact tokens (a customer is named only with the host site's HMAC of their id)."""

import base64
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from surveys.contact.models import Contact
from surveys.core.db import utcnow
from surveys.response.models import Response
from surveys.survey.models import Survey
from surveys.workspace.models import Workspace
from surveys.workspace.secrets import contact_token, rotate_secret
from tests.support.helpers import widget_survey as make_widget_survey

SHOP = "https://shop.example"


@pytest.fixture
def survey_id(db_session, workspace) -> str:
    return make_widget_survey(db_session, workspace.workspace.id, SHOP)


def _count(db_session, model=Response) -> int:
    db_session.expire_all()
    return db_session.execute(select(func.count()).select_from(model)).scalar_one()


def _post(client, body, origin=SHOP):
    return client.post("/w/acme/responses", json=body, headers={"Origin": origin})


def test_embed_js_is_cacheable(client):
    first = client.get("/embed.js")
    assert first.status_code == 200 and first.mimetype == "text/javascript"
    assert first.headers["ETag"] and "max-age=3600" in first.headers["Cache-Control"]
    assert b"innerHTML" not in first.data and b"textContent" in first.data
    again = client.get("/embed.js", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_widget_survey_config_is_localised_and_cors_restricted(client, survey_id):
    ok = client.get(f"/w/acme/surveys/{survey_id}?lang=fr", headers={"Origin": SHOP})
    assert ok.status_code == 200
    assert ok.headers["Access-Control-Allow-Origin"] == SHOP and "Origin" in ok.headers["Vary"]
    assert ok.json["question"] == "Nous recommander ?" and ok.json["scale"] == [0, 10]
    assert ok.json["labels"]["high"] == "Très probable" and ok.json["kind"] == "nps"
    for origin in ("https://evil.example", "https://shop.example.evil", "http://shop.example"):
        denied = client.get(f"/w/acme/surveys/{survey_id}", headers={"Origin": origin})
        assert denied.status_code == 403 and denied.mimetype == "application/problem+json"
        assert "Access-Control-Allow-Origin" not in denied.headers
    assert client.get(f"/w/acme/surveys/{survey_id}").status_code == 403  # no Origin at all
    assert client.get("/w/nope/surveys/x", headers={"Origin": SHOP}).status_code == 404


def test_widget_preflight(client, survey_id):
    ok = client.options(
        "/w/acme/responses",
        headers={
            "Origin": SHOP,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert ok.status_code == 204 and ok.headers["Access-Control-Allow-Origin"] == SHOP
    assert "PATCH" in ok.headers["Access-Control-Allow-Methods"]
    assert ok.headers["Access-Control-Allow-Headers"] == "Content-Type"
    denied = client.options("/w/acme/responses/rsp_x", headers={"Origin": "https://evil.example"})
    assert denied.status_code == 403 and "Access-Control-Allow-Origin" not in denied.headers


def test_widget_score_then_comment_then_final(client, db_session, survey_id):
    created = _post(client, {"survey_id": survey_id, "score": 9, "page_url": "https://shop.example/p"})
    assert created.status_code == 201 and created.headers["Access-Control-Allow-Origin"] == SHOP
    body = created.json
    assert body["category"] == "promoter" and len(body["edit_token"]) >= 32
    partial = db_session.get(Response, body["id"])
    assert (partial.score, partial.completed, partial.source) == (9, False, "widget")
    url = f"/w/acme/responses/{body['id']}"
    headers = {"Origin": SHOP}
    patched = client.patch(url, json={"edit_token": body["edit_token"], "score": 6}, headers=headers)
    assert patched.status_code == 200 and patched.json["category"] == "detractor"
    done = client.patch(
        url,
        json={"edit_token": body["edit_token"], "comment": "Slow checkout", "final": True},
        headers=headers,
    )
    assert done.status_code == 200 and done.json["completed"] is True
    db_session.expire_all()
    stored = db_session.get(Response, body["id"])
    assert (stored.score, stored.comment, stored.completed) == (6, "Slow checkout", True)
    assert stored.meta == {"page_url": "https://shop.example/p"}
    late = client.patch(url, json={"edit_token": body["edit_token"], "comment": "x"}, headers=headers)
    assert late.status_code == 409 and late.mimetype == "application/problem+json"


def test_widget_wrong_token_or_origin_changes_nothing(client, db_session, survey_id):
    body = _post(client, {"survey_id": survey_id, "score": 3}).json
    url = f"/w/acme/responses/{body['id']}"
    wrong = client.patch(
        url, json={"edit_token": "x" * 32, "comment": "hijack", "final": True}, headers={"Origin": SHOP}
    )
    assert wrong.status_code == 403
    foreign = client.patch(
        url,
        json={"edit_token": body["edit_token"], "comment": "hijack"},
        headers={"Origin": "https://evil.example"},
    )
    assert foreign.status_code == 403
    assert (
        _post(client, {"survey_id": survey_id, "score": 3}, origin="https://evil.example").status_code == 403
    )
    db_session.expire_all()
    assert db_session.get(Response, body["id"]).comment is None
    assert _count(db_session) == 1


@pytest.mark.parametrize(
    "body",
    [
        {"score": 5},
        {"survey_id": "SURVEY", "score": 11},
        {"survey_id": "SURVEY", "score": True},
        {"survey_id": "SURVEY", "score": "5"},
        {"survey_id": "SURVEY", "score": 5, "admin": True},
        {"survey_id": "SURVEY", "score": 5, "page_url": "javascript:alert(1)"},
        [1, 2],
    ],
)
def test_widget_bad_input_is_422_and_stores_nothing(client, db_session, survey_id, body):
    if isinstance(body, dict) and body.get("survey_id") == "SURVEY":
        body = {**body, "survey_id": survey_id}
    response = _post(client, body)
    assert response.status_code == 422 and response.json["status"] == 422
    assert "errors" in response.json
    assert _count(db_session) == 0


def test_widget_bad_patch_is_422(client, db_session, survey_id):
    body = _post(client, {"survey_id": survey_id, "score": 3}).json
    url = f"/w/acme/responses/{body['id']}"
    for patch in (
        {"comment": "no token"},
        {"edit_token": body["edit_token"], "final": "yes"},
        {"edit_token": body["edit_token"], "score": 42},
    ):
        assert client.patch(url, json=patch, headers={"Origin": SHOP}).status_code == 422
    garbage = client.patch(url, data="{not json", content_type="application/json", headers={"Origin": SHOP})
    assert garbage.status_code in (400, 422)
    assert (
        client.patch(
            "/w/acme/responses/rsp_missing", json={"edit_token": "x"}, headers={"Origin": SHOP}
        ).status_code
        == 404
    )


def _known_customer(db_session, workspace, external_id="cust-0041") -> str:
    db_session.add(
        Contact(
            workspace_id=workspace.workspace.id,
            external_id=external_id,
            attributes={"plan": "enterprise", "arr": 250000},
        )
    )
    db_session.commit()
    return external_id


def _finish(client, created: dict) -> None:
    url = f"/w/acme/responses/{created['id']}"
    done = client.patch(
        url, json={"edit_token": created["edit_token"], "final": True}, headers={"Origin": SHOP}
    )
    assert done.status_code == 200


def _token(workspace, external_id: str) -> str:
    return contact_token(workspace.workspace.widget_secret, external_id)


def test_widget_never_creates_contacts(client, db_session, workspace, survey_id):
    known = _known_customer(db_session, workspace)
    linked = _post(
        client,
        {"survey_id": survey_id, "score": 10, "contact": known, "contact_token": _token(workspace, known)},
    )
    stranger = _post(
        client,
        {
            "survey_id": survey_id,
            "score": 10,
            "contact": "stranger",
            "contact_token": _token(workspace, "stranger"),
        },
    )
    assert linked.status_code == stranger.status_code == 201
    assert db_session.get(Response, linked.json["id"]).attributes == {"plan": "enterprise", "arr": 250000}
    assert db_session.get(Response, stranger.json["id"]).contact_id is None
    assert _count(db_session, Contact) == 1


def test_widget_forged_contact_is_stored_anonymous(client, db_session, workspace, survey_id):
    """Naming a customer without the host site's token borrows nothing of theirs."""
    known = _known_customer(db_session, workspace)
    forged = _post(client, {"survey_id": survey_id, "score": 0, "contact": known})
    assert forged.status_code == 201
    stored = db_session.get(Response, forged.json["id"])
    assert (stored.contact_id, stored.attributes) == (None, {})
    _finish(client, forged.json)
    # ... so neither the metrics by plan nor a roadmap item's revenue see an enterprise answer.
    metrics = client.get(
        f"/api/v1/metrics?survey_id={survey_id}&group_by=attributes.plan", headers=workspace.headers
    ).json
    assert "enterprise" not in [group["key"] for group in metrics["groups"]]
    item = client.post(
        "/api/v1/roadmap-items", headers=workspace.headers, json={"title": "Faster checkout"}
    ).json
    linked = client.post(
        f"/api/v1/roadmap-items/{item['id']}/links",
        headers=workspace.headers,
        json={"response_id": stored.id},
    )
    assert linked.status_code in (200, 201), linked.json
    (ranked,) = client.get("/api/v1/roadmap-items?sort=impact", headers=workspace.headers).json["items"]
    assert ranked["impact"]["detractors"] == 1
    assert (ranked["impact"]["customers"], ranked["impact"]["revenue"]) == (0, 0)


def test_widget_valid_contact_token_links_the_customer(client, db_session, workspace, survey_id):
    known = _known_customer(db_session, workspace)
    hex_token = _token(workspace, known)
    b64_token = base64.urlsafe_b64encode(bytes.fromhex(hex_token)).decode().rstrip("=")
    for token in (hex_token, hex_token.upper(), b64_token):
        created = _post(
            client, {"survey_id": survey_id, "score": 2, "contact": known, "contact_token": token}
        )
        assert created.status_code == 201, created.json
        stored = db_session.get(Response, created.json["id"])
        assert stored.contact.external_id == known and stored.attributes["plan"] == "enterprise"
    _finish(client, created.json)
    item = client.post(
        "/api/v1/roadmap-items", headers=workspace.headers, json={"title": "Faster checkout"}
    ).json
    client.post(
        f"/api/v1/roadmap-items/{item['id']}/links",
        headers=workspace.headers,
        json={"response_id": stored.id},
    )
    (ranked,) = client.get("/api/v1/roadmap-items?sort=impact", headers=workspace.headers).json["items"]
    assert (ranked["impact"]["customers"], ranked["impact"]["revenue"]) == (1, 250000)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda ws, known: {"contact": known, "contact_token": contact_token("widsec_guess", known)},
        lambda ws, known: {"contact": known, "contact_token": _token(ws, "someone-else")},
        lambda ws, known: {"contact": known, "contact_token": _token(ws, known)[:-2]},
        lambda ws, known: {"contact": known, "contact_token": "not a token"},
        lambda ws, known: {"contact_token": _token(ws, known)},  # a token for nobody
        lambda ws, known: {"contact": known, "contact_token": ws.workspace.widget_secret},
    ],
)
def test_widget_wrong_contact_token_is_refused(client, db_session, workspace, survey_id, tamper):
    known = _known_customer(db_session, workspace)
    refused = _post(client, {"survey_id": survey_id, "score": 9, **tamper(workspace, known)})
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    assert refused.json["status"] == 403 and "contact token" in refused.json["detail"]
    assert _count(db_session) == 0


def test_widget_contact_token_survives_rotation_overlap_only(app, client, db_session, workspace, survey_id):
    known = _known_customer(db_session, workspace)
    old_token = _token(workspace, known)
    ws = db_session.get(Workspace, workspace.workspace.id)
    rotation = rotate_secret(db_session, workspace=ws, kind="widget", overlap=timedelta(hours=1))
    db_session.commit()
    body = {"survey_id": survey_id, "score": 9, "contact": known}
    assert _post(client, {**body, "contact_token": old_token}).status_code == 201
    assert _post(client, {**body, "contact_token": contact_token(rotation.secret, known)}).status_code == 201
    ws.widget_secret_previous_expires_at = utcnow() - timedelta(seconds=1)
    db_session.commit()
    assert _post(client, {**body, "contact_token": old_token}).status_code == 403
    assert _post(client, {**body, "contact_token": contact_token(rotation.secret, known)}).status_code == 201


def test_widget_is_rate_limited(app, client, db_session, survey_id):
    app.config["WIDGET_RATE_LIMIT"] = "2 per minute"
    statuses = [_post(client, {"survey_id": survey_id, "score": 8}).status_code for _ in range(3)]
    assert statuses == [201, 201, 429]
    limited = _post(client, {"survey_id": survey_id, "score": 8})
    assert limited.mimetype == "application/problem+json" and "Retry-After" in limited.headers
    assert _count(db_session) == 2


def test_widget_refuses_draft_and_closed_surveys(client, db_session, workspace, survey_id):
    survey = db_session.get(Survey, survey_id)
    survey.status = "closed"
    db_session.commit()
    assert _post(client, {"survey_id": survey_id, "score": 8}).status_code == 410
    survey.status = "draft"
    db_session.commit()
    assert client.get(f"/w/acme/surveys/{survey_id}", headers={"Origin": SHOP}).status_code == 404
    assert _count(db_session) == 0


def test_widget_odd_input_is_a_4xx_never_a_5xx(client, db_session, survey_id):
    assert client.get(f"/w/acme/surveys/{survey_id}%00", headers={"Origin": SHOP}).status_code == 404
    assert _post(client, {"survey_id": survey_id, "score": 5, "contact": "a\x00b"}).status_code == 422
    assert _post(client, {"survey_id": "sv\x00", "score": 5}).status_code == 422
    body = _post(client, {"survey_id": survey_id, "score": 5}).json
    done = client.patch(
        f"/w/acme/responses/{body['id']}",
        headers={"Origin": SHOP},
        json={"edit_token": body["edit_token"], "comment": "a\x00b", "final": True},
    )
    # Every JSON body with a NUL is refused before a view runs (vocservice/safety.py).
    assert done.status_code == 422 and done.mimetype == "application/problem+json"
    db_session.expire_all()
    assert db_session.get(Response, body["id"]).comment is None
    too_big = client.post(
        "/w/acme/responses", data="x" * 300_000, content_type="application/json", headers={"Origin": SHOP}
    )
    assert too_big.status_code == 413
