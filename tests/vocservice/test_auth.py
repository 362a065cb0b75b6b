"""API keys, roles and workspace isolation."""

from surveys.core.db import db
from surveys.survey.models import Survey
from surveys.workspace.models import ApiKey
from surveys.workspace.service import create_api_key, create_workspace, hash_key
from tests.support.helpers import create_survey, table_count


def _other_workspace(app):
    with app.app_context():
        ws = create_workspace(db.session, name="Other Co")
        _, key = create_api_key(db.session, workspace=ws, role="admin")
        db.session.commit()
    return {"Authorization": f"Bearer {key}"}


def test_auth_missing_or_wrong_key_is_401_problem(client, workspace):
    for headers in (
        {},
        {"Authorization": "Bearer nope"},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer "},
    ):
        response = client.get("/api/v1/surveys", headers=headers)
        assert response.status_code == 401
        assert response.mimetype == "application/problem+json"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_auth_keys_are_stored_hashed(workspace, db_session):
    stored = [k.key_hash for k in db_session.query(ApiKey).all()]
    assert workspace.api_key not in stored
    assert hash_key(workspace.api_key) in stored


def test_auth_roles_limit_what_a_key_may_do(client, workspace, db_session):
    body = {"name": "x", "kind": "nps", "question": "q"}
    ingest = client.post("/api/v1/surveys", json=body, headers=workspace.key_headers("ingest"))
    analyst = client.post("/api/v1/surveys", json=body, headers=workspace.key_headers("analyst"))
    assert ingest.status_code == 403 and analyst.status_code == 403
    assert table_count(db_session, Survey) == 0
    assert client.get("/api/v1/surveys", headers=workspace.key_headers("ingest")).status_code == 403
    assert client.get("/api/v1/surveys", headers=workspace.key_headers("analyst")).status_code == 200


def test_auth_revoked_key_is_refused(client, workspace, db_session):
    from surveys.core.db import utcnow

    key = db_session.query(ApiKey).filter_by(key_hash=hash_key(workspace.api_key)).one()
    key.revoked_at = utcnow()
    db_session.commit()
    assert client.get("/api/v1/surveys", headers=workspace.headers).status_code == 401


def test_auth_other_workspace_ids_are_invisible(app, client, workspace):
    survey = create_survey(client, workspace.headers)
    other = _other_workspace(app)
    assert client.get(f"/api/v1/surveys/{survey['id']}", headers=other).status_code == 404
    assert client.get("/api/v1/surveys", headers=other).json["items"] == []
    touchpoint = client.post(
        "/api/v1/touchpoints",
        headers=other,
        json={"name": "steal", "event": "x", "survey_id": survey["id"], "channel": "link"},
    )
    assert touchpoint.status_code == 404
    patch = client.patch(f"/api/v1/surveys/{survey['id']}", json={"name": "mine"}, headers=other)
    assert patch.status_code == 404
    assert (
        client.get(f"/api/v1/surveys/{survey['id']}", headers=workspace.headers).json["name"]
        == "Relationship NPS"
    )


def test_auth_list_pagination_walks_every_item_once(client, workspace):
    ids = {create_survey(client, workspace.headers, name=f"s{i}")["id"] for i in range(7)}
    seen, cursor = [], None
    while True:
        url = "/api/v1/surveys?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=workspace.headers).json
        seen += [s["id"] for s in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(ids) and len(seen) == 7
    assert client.get("/api/v1/surveys?limit=501", headers=workspace.headers).status_code == 422
