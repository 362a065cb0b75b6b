"""The privacy API: admin keys only, exactly one identifier, problems for bad input, and the
workspace's retention settings refused when they make no sense."""

import pytest

from tests.support.privacy import ANN_EMAIL

BAD_BODIES = [
    {},
    {"email": ""},
    {"email": "   "},
    {"email": ANN_EMAIL, "external_id": "x"},
    {"email": 42},
    {"email": "a" * 400},
    {"external_id": "nul\u0000byte"},
    {"email": ANN_EMAIL, "extra": 1},
]


@pytest.mark.parametrize("role", ["analyst", "ingest"])
def test_privacy_is_admin_only(client, workspace, role):
    headers = workspace.key_headers(role)
    assert (
        client.post("/api/v1/privacy/erasure", json={"email": ANN_EMAIL}, headers=headers).status_code == 403
    )
    assert client.get(f"/api/v1/privacy/export?email={ANN_EMAIL}", headers=headers).status_code == 403
    assert client.post("/api/v1/privacy/erasure", json={"email": ANN_EMAIL}).status_code == 401


@pytest.mark.parametrize("body", BAD_BODIES)
def test_privacy_erasure_refuses_bad_bodies_with_a_problem(client, workspace, body):
    reply = client.post("/api/v1/privacy/erasure", json=body, headers=workspace.headers)
    assert reply.status_code == 422 and reply.mimetype == "application/problem+json", reply.json


@pytest.mark.parametrize("query", ["", "?email=", "?email=a&external_id=b", "?external_id=%00"])
def test_privacy_export_refuses_bad_queries(client, workspace, query):
    reply = client.get(f"/api/v1/privacy/export{query}", headers=workspace.headers)
    # A NUL in a query string is refused before any schema reads it (400).
    assert (
        reply.status_code == (400 if "%00" in query else 422) and reply.mimetype == "application/problem+json"
    )


@pytest.mark.parametrize(
    "body",
    [
        {"retention_days": 0},
        {"retention_days": -5},
        {"retention_days": "soon"},
        {"retention_days": 10**9},
        {"retention_action": "shred"},
        {"retention_action": None},
    ],
)
def test_retention_settings_refuse_nonsense(client, workspace, body):
    reply = client.patch("/api/v1/workspace", json=body, headers=workspace.headers)
    assert reply.status_code == 422, reply.json


def test_retention_settings_are_off_by_default_and_can_be_set_and_cleared(client, workspace):
    assert client.get("/api/v1/workspace", headers=workspace.headers).json["retention_days"] is None
    set_ = client.patch(
        "/api/v1/workspace",
        json={"retention_days": 365, "retention_action": "delete"},
        headers=workspace.headers,
    )
    assert (set_.json["retention_days"], set_.json["retention_action"]) == (365, "delete")
    cleared = client.patch("/api/v1/workspace", json={"retention_days": None}, headers=workspace.headers)
    assert cleared.json["retention_days"] is None


def test_privacy_export_query_never_reaches_a_log_line():
    from vocservice.logs import safe_path

    line = "GET /api/v1/privacy/export?email=ann%40example.com HTTP/1.1"
    assert safe_path(line) == "GET /api/v1/privacy/export?[redacted] HTTP/1.1"
    assert safe_path("/api/v1/responses?survey_id=sv_1") == "/api/v1/responses?survey_id=sv_1"
