"""The workspace API never shows a stored secret; an admin rotates one to see a new one, once."""

from surveys.workspace.models import Workspace

URL = "/api/v1/workspace"


def test_workspace_api_get_shows_no_secret(client, workspace):
    for role, key in workspace.keys.items():
        if role == "ingest":
            continue
        answer = client.get(URL, headers={"Authorization": f"Bearer {key}"})
        assert answer.status_code == 200, answer.json
        text = answer.get_data(as_text=True)
        assert "secret" not in text and "whsec_" not in text and "widsec_" not in text
        for secret in (
            workspace.workspace.webhook_secret,
            workspace.workspace.outbound_webhook_secret,
            workspace.workspace.widget_secret,
        ):
            assert secret not in text


def test_workspace_api_rotate_secret_shows_the_new_one_once(client, workspace, db_session):
    answer = client.post(f"{URL}/secrets/widget/rotate", headers=workspace.headers, json={"overlap_hours": 1})
    assert answer.status_code == 200, answer.json
    assert answer.headers["Cache-Control"] == "no-store"
    body = answer.json
    assert body["kind"] == "widget" and body["secret"].startswith("widsec_")
    assert body["previous_expires_at"].endswith("Z")
    stored = db_session.get(Workspace, workspace.workspace.id)
    assert stored.widget_secret == body["secret"]
    assert stored.widget_secret_previous == workspace.workspace.widget_secret
    assert body["secret"] not in client.get(URL, headers=workspace.headers).get_data(as_text=True)

    no_body = client.post(f"{URL}/secrets/outbound/rotate", headers=workspace.headers)
    assert no_body.status_code == 200, no_body.json
    assert no_body.json["secret"].startswith("whsec_") and no_body.json["previous_expires_at"]
    none = client.post(f"{URL}/secrets/inbound/rotate", headers=workspace.headers, json={"overlap_hours": 0})
    assert none.status_code == 200 and none.json["previous_expires_at"] is None


def test_workspace_api_rotate_secret_is_admin_only_and_validated(client, workspace, db_session):
    for role in ("analyst", "ingest"):
        denied = client.post(
            f"{URL}/secrets/inbound/rotate",
            headers={"Authorization": f"Bearer {workspace.keys[role]}"},
            json={},
        )
        assert denied.status_code == 403 and denied.mimetype == "application/problem+json"
    assert client.post(f"{URL}/secrets/inbound/rotate", json={}).status_code == 401
    assert client.post(f"{URL}/secrets/master/rotate", headers=workspace.headers, json={}).status_code == 404
    for body in (
        {"overlap_hours": -1},
        {"overlap_hours": 721},
        {"overlap_hours": "24"},
        {"overlap_hours": 1.5},
        {"x": 1},
    ):
        bad = client.post(f"{URL}/secrets/inbound/rotate", headers=workspace.headers, json=body)
        assert bad.status_code == 422 and "errors" in bad.json, (body, bad.json)
    stored = db_session.get(Workspace, workspace.workspace.id)
    assert (
        stored.webhook_secret == workspace.workspace.webhook_secret and stored.webhook_secret_previous is None
    )


def test_workspace_api_rotation_is_documented(client):
    spec = client.get("/api/openapi.json").json
    operation = spec["paths"]["/api/v1/workspace/secrets/{kind}/rotate"]["post"]
    assert operation["security"] == [{"bearer": []}]
