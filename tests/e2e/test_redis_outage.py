"""Redis stopped: events and answers are still accepted, and nothing is lost once it returns."""

from datetime import timedelta

from surveys.core.db import db, utcnow
from surveys.event.models import Event
from surveys.response.models import Response
from tests.support.helpers import create_survey, create_touchpoint, event, table_count, tick


def test_redis_outage_accepts_events_and_answers_then_catches_up(app, client, workspace, run_worker):
    survey = create_survey(client, workspace.headers)
    create_touchpoint(client, workspace.headers, survey["id"])
    real = app.config["REDIS_URL"]
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/15"  # Redis stopped
    accepted = client.post("/api/v1/events", json=event(), headers=workspace.headers)
    answer = client.post(
        "/api/v1/responses",
        headers=workspace.headers,
        json={
            "survey_id": survey["id"],
            "score": 3,
            "comment": "Billing charged us twice.",
            "contact": {"external_id": "cust-9"},
        },
    )
    assert accepted.status_code == 202 and answer.status_code == 201
    assert client.get("/readyz").status_code == 503
    app.config["REDIS_URL"] = real  # Redis is back
    with app.app_context():
        assert table_count(db.session, Event) == 1 and table_count(db.session, Response) == 1
    assert run_worker() == 0  # the job for the answer never reached the queue
    counts = tick(app, now=utcnow() + timedelta(minutes=11))
    assert counts["analyses_enqueued"] == 1
    run_worker()
    body = client.get(f"/api/v1/responses/{answer.json['id']}", headers=workspace.headers).json
    assert body["analysis"]["status"] == "done"
    assert any(theme["name"] == "billing" for theme in body["analysis"]["themes"])
