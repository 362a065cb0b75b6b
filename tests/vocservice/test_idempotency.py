"""Idempotency-Key on creating POSTs."""

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import select

from surveys.core.db import utcnow
from surveys.core.ledgers import IdempotencyRecord
from surveys.survey.models import Survey
from tests.support.helpers import table_count

BODY = {"name": "NPS", "kind": "nps", "question": "How likely?"}
RAW = json.dumps(BODY)  # sent as these exact bytes where the test stores the fingerprint itself


def _records(db_session) -> list[IdempotencyRecord]:
    db_session.expire_all()
    return list(db_session.execute(select(IdempotencyRecord)).scalars())


def _in_flight_claim(db_session, workspace, key: str, *, age: timedelta) -> None:
    """The claim a request that is still running (or died ``age`` ago) leaves for ``RAW``."""
    fingerprint = hashlib.sha256(b"POST /api/v1/surveys\n" + RAW.encode()).hexdigest()
    db_session.add(
        IdempotencyRecord(
            workspace_id=workspace.workspace.id,
            key=key,
            request_hash=fingerprint,
            created_at=utcnow() - age,
        )
    )
    db_session.commit()


def test_idempotency_same_key_same_body_replays_first_answer(client, workspace, db_session):
    headers = {**workspace.headers, "Idempotency-Key": "k-1"}
    first = client.post("/api/v1/surveys", json=BODY, headers=headers)
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    (record,) = _records(db_session)
    assert (record.key, record.status_code, record.body) == ("k-1", 201, first.json)

    second = client.post("/api/v1/surveys", json=BODY, headers=headers)
    assert second.status_code == 201
    assert second.json == first.json
    assert second.headers["Idempotent-Replayed"] == "true"
    # The replay stored nothing new: still one survey and one record, unchanged.
    assert table_count(db_session, Survey) == 1
    (after,) = _records(db_session)
    assert (after.id, after.status_code, after.body) == (record.id, 201, first.json)


def test_idempotency_same_key_other_body_is_422(client, workspace, db_session):
    headers = {**workspace.headers, "Idempotency-Key": "k-2"}
    first = client.post("/api/v1/surveys", json=BODY, headers=headers)
    assert first.status_code == 201
    (record,) = _records(db_session)

    other = client.post("/api/v1/surveys", json={**BODY, "name": "Other"}, headers=headers)
    assert other.status_code == 422
    assert "Idempotency-Key" in other.json["errors"]
    assert "Idempotent-Replayed" not in other.headers
    # Nothing stored: no "Other" survey, and the key still holds the first request and answer.
    assert table_count(db_session, Survey) == 1
    assert db_session.execute(select(Survey.name)).scalars().all() == ["NPS"]
    (after,) = _records(db_session)
    assert (after.id, after.request_hash, after.body) == (record.id, record.request_hash, first.json)
    # ...so the original body still replays the first answer.
    again = client.post("/api/v1/surveys", json=BODY, headers=headers)
    assert (again.status_code, again.json) == (201, first.json)
    assert again.headers["Idempotent-Replayed"] == "true"


def test_idempotency_failed_request_releases_key(client, workspace, db_session):
    headers = {**workspace.headers, "Idempotency-Key": "k-3"}
    bad = client.post("/api/v1/surveys", json={**BODY, "kind": "stars"}, headers=headers)
    assert bad.status_code == 422
    assert "kind" in bad.json["errors"]
    assert table_count(db_session, IdempotencyRecord) == 0
    assert table_count(db_session, Survey) == 0

    # The corrected request reuses the key. Had the failure kept it, this other body would be
    # refused as a reuse (422); released, it runs and is stored as the key's answer.
    good = client.post("/api/v1/surveys", json=BODY, headers=headers)
    assert good.status_code == 201
    assert "Idempotent-Replayed" not in good.headers
    assert table_count(db_session, Survey) == 1
    (record,) = _records(db_session)
    assert (record.key, record.status_code, record.body) == ("k-3", 201, good.json)


def test_idempotency_in_flight_duplicate_is_409(client, workspace, db_session):
    _in_flight_claim(db_session, workspace, "k-5", age=timedelta(seconds=5))
    headers = {**workspace.headers, "Idempotency-Key": "k-5", "Content-Type": "application/json"}
    duplicate = client.post("/api/v1/surveys", data=RAW, headers=headers)
    assert duplicate.status_code == 409
    assert "Idempotent-Replayed" not in duplicate.headers
    # Nothing stored, and the running request's claim is left alone.
    assert table_count(db_session, Survey) == 0
    (record,) = _records(db_session)
    assert (record.key, record.status_code, record.body) == ("k-5", None, None)


def test_idempotency_abandoned_claim_is_taken_over(client, workspace, db_session):
    _in_flight_claim(db_session, workspace, "k-6", age=timedelta(minutes=10))
    headers = {**workspace.headers, "Idempotency-Key": "k-6", "Content-Type": "application/json"}
    retry = client.post("/api/v1/surveys", data=RAW, headers=headers)
    assert retry.status_code == 201
    assert table_count(db_session, Survey) == 1
    (record,) = _records(db_session)
    assert (record.key, record.status_code, record.body) == ("k-6", 201, retry.json)


def test_idempotency_concurrent_duplicates_create_one(app, workspace, db_session):
    headers = {**workspace.headers, "Idempotency-Key": "k-4"}

    def post(_):
        with app.test_client() as c:
            return c.post("/api/v1/surveys", json=BODY, headers=headers)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(post, range(8)))
    statuses = sorted(r.status_code for r in results)
    assert set(statuses) <= {201, 409}
    # Exactly one request ran the view; every other 201 is a replay of its answer.
    originals = [r for r in results if r.status_code == 201 and "Idempotent-Replayed" not in r.headers]
    assert len(originals) == 1
    created = {r.json["id"] for r in results if r.status_code == 201}
    assert created == {originals[0].json["id"]}
    assert table_count(db_session, Survey) == 1
    (record,) = _records(db_session)
    assert (record.status_code, record.body) == (201, originals[0].json)


def test_idempotency_key_on_events_and_batches_replays_without_storing_twice(client, workspace, db_session):
    from surveys.event.models import Event
    from surveys.response.models import Response
    from tests.support.helpers import create_survey, event

    ingest = workspace.key_headers("ingest")
    survey = create_survey(client, workspace.headers)
    cases = [
        ("/api/v1/events", event(contact="solo")),
        ("/api/v1/events/batch", {"events": [event(contact="b1"), event(contact="b2")]}),
        ("/api/v1/responses/batch", {"responses": [{"survey_id": survey["id"], "score": 3}]}),
    ]
    for number, (path, body) in enumerate(cases):
        headers = {**ingest, "Idempotency-Key": f"batch-{number}"}
        first = client.post(path, json=body, headers=headers)
        assert first.status_code in (200, 202), first.json
        again = client.post(path, json=body, headers=headers)
        assert (again.status_code, again.json) == (first.status_code, first.json)
        assert again.headers["Idempotent-Replayed"] == "true"
    assert table_count(db_session, Event) == 3
    assert table_count(db_session, Response) == 1
    assert {r.key for r in _records(db_session)} == {"batch-0", "batch-1", "batch-2"}


def test_idempotency_key_format_is_checked_and_one_key_only(client, workspace, db_session):
    for key in ("has space", "é-unicode", "x" * 201, "tab\there", ""):
        reply = client.post(
            "/api/v1/surveys", json=BODY, headers={**workspace.headers, "Idempotency-Key": key}
        )
        assert reply.status_code == 422, key
        assert "Idempotency-Key" in reply.json["errors"]
    headers = list(workspace.headers.items()) + [("Idempotency-Key", "a"), ("Idempotency-Key", "b")]
    reply = client.post("/api/v1/surveys", json=BODY, headers=headers)
    assert reply.status_code == 400 and "one Idempotency-Key" in reply.json["detail"]
    assert table_count(db_session, Survey) == 0 and _records(db_session) == []


def test_idempotency_answer_is_committed_with_the_work(app, client, workspace, db_session):
    """The created row and its stored answer become visible in one commit: there is no moment
    (where a crash would strand it) when the survey exists without the answer a retry replays."""
    from sqlalchemy import event as sa_event
    from sqlalchemy import func, text

    from surveys.core.db import db

    seen: list[tuple[int, int | None]] = []

    def after_commit(session):
        # What another connection sees right after each commit of the request.
        with db.engine.connect() as other:
            surveys = other.scalar(select(func.count()).select_from(Survey))
            status = other.scalar(text("SELECT status_code FROM idempotency_records WHERE key = 'atomic'"))
            seen.append((surveys, status))

    with app.app_context():
        session = db.session()
    sa_event.listen(db.session, "after_commit", after_commit)
    try:
        reply = client.post(
            "/api/v1/surveys", json=BODY, headers={**workspace.headers, "Idempotency-Key": "atomic"}
        )
    finally:
        sa_event.remove(db.session, "after_commit", after_commit)
    assert reply.status_code == 201
    assert session is not None
    # The claim commits alone (no survey, no answer yet), then the survey and its answer together.
    assert seen == [(0, None), (1, 201)]
