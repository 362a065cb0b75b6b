"""Shared set-up for the alert tests: a survey, users to email, rules through the API, answers
posted through the API's batch (the set-based path every import takes)."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.support.helpers import create_survey

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
def team(app, workspace):
    from surveys.core.db import db
    from surveys.workspace.models import Workspace
    from surveys.workspace.service import create_user

    with app.app_context():
        ws = db.session.get(Workspace, workspace.workspace.id)
        for email in ("pm@acme.test", "cx@acme.test"):
            create_user(db.session, workspace=ws, email=email, role="analyst", password="a-long-password-1")
        db.session.commit()
        db.session.remove()
    return ["cx@acme.test", "pm@acme.test"]


@pytest.fixture
def survey(client, workspace):
    return create_survey(client, workspace.headers, name="Onboarding NPS", kind="nps")


def make_rule(client, workspace, **body):
    answer = client.post("/api/v1/alert-rules", json={"name": "Watch", **body}, headers=workspace.headers)
    assert answer.status_code == 201, answer.json
    return answer.json


def post_answers(
    client, workspace, survey_id, scores, *, at, comment="Too slow", attributes=None, prefix="a"
):
    rows = [
        {
            "id": f"{prefix}-{i}",
            "survey_id": survey_id,
            "score": score,
            "comment": f"{comment} #{i}" if comment else None,
            "submitted_at": (at + timedelta(seconds=i % 50)).isoformat(),
            "contact": {"external_id": f"{prefix}-c-{i}", "attributes": attributes or {"plan": "pro"}},
        }
        for i, score in enumerate(scores)
    ]
    for start in range(0, len(rows), 500):
        reply = client.post(
            "/api/v1/responses/batch",
            json={"responses": rows[start : start + 500]},
            headers=workspace.headers,
        )
        assert reply.status_code == 200, reply.json
        assert reply.json["rejected"] == 0, reply.json


def evaluate(app, now, base_url="http://voc.test"):
    from surveys.alert.evaluate import evaluate_rules
    from surveys.core.db import db

    with app.app_context():
        result = evaluate_rules(db.session, now=now, base_url=base_url)
        db.session.remove()
    return result
