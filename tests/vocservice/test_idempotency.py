"""Idempotency-Key on creating POSTs."""

from concurrent.futures import ThreadPoolExecutor

from surveys.core.ledgers import IdempotencyRecord
from surveys.survey.models import Survey
from tests.support.helpers import table_count

BODY = {"name": "NPS", "kind": "nps", "question": "How likely?"}


def test_idempotency_same_key_same_body_replays_first_answer(client, workspace, db_session):
    headers = {**workspace.headers, "Idempotency-Key": "k-1"}
    first = client.post("/api/v1/surveys", json=BODY, headers=headers)
    second = client.post("/api/v1/surveys", json=BODY, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json == second.json
    assert second.headers["Idempotent-Replayed"] == "true"
    assert table_count(db_session, Survey) == 1


def test_idempotency_same_key_other_body_is_422(client, workspace, db_session):
    headers = {**workspace.headers, "Idempotency-Key": "k-2"}
    client.post("/api/v1/surveys", json=BODY, headers=headers)
    other = client.post("/api/v1/surveys", json={**BODY, "name": "Other"}, headers=headers)
    assert other.status_code == 422
    assert "Idempotency-Key" in other.json["errors"]
    assert table_count(db_session, Survey) == 1


def test_idempotency_failed_request_releases_key(client, workspace, db_session):
    headers = {**workspace.headers, "Idempotency-Key": "k-3"}
    bad = client.post("/api/v1/surveys", json={**BODY, "kind": "stars"}, headers=headers)
    assert bad.status_code == 422
    assert table_count(db_session, IdempotencyRecord) == 0
    good = client.post("/api/v1/surveys", json={**BODY, "kind": "stars"}, headers=headers)
    assert good.status_code == 422  # same bad body is still bad, not a replay or a 409


def test_idempotency_concurrent_duplicates_create_one(app, workspace, db_session):
    headers = {**workspace.headers, "Idempotency-Key": "k-4"}

    def post(_):
        with app.test_client() as c:
            return c.post("/api/v1/surveys", json=BODY, headers=headers)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(post, range(8)))
    statuses = sorted(r.status_code for r in results)
    assert set(statuses) <= {201, 409}
    assert 201 in statuses
    assert table_count(db_session, Survey) == 1
    created = {r.json["id"] for r in results if r.status_code == 201}
    assert len(created) == 1
