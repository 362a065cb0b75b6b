"""How answers become analysis jobs: none for answers without a comment, one queued job for work
arriving together (one batch request, or several requests before a worker starts), and a backlog
drained in jobs of ANALYSIS_BATCH answers by a real RQ worker."""

import math

from sqlalchemy import func, select

from surveys.analysis.models import Analysis
from surveys.core import jobs
from surveys.core.db import db
from surveys.response.models import Response
from tests.support.analysis import nlp_jobs
from tests.support.helpers import create_survey


def _batch(client, headers, survey_id: str, comments: list) -> dict:
    items = [{"survey_id": survey_id, "score": i % 11, "comment": c} for i, c in enumerate(comments)]
    response = client.post("/api/v1/responses/batch", json={"responses": items}, headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def _statuses(app) -> dict[str, int]:
    with app.app_context():
        rows = db.session.execute(
            select(Response.analysis_status, func.count()).group_by(Response.analysis_status)
        ).all()
        db.session.remove()
    return dict(rows)


def _analyses(app) -> tuple[int, int]:
    with app.app_context():
        total = db.session.execute(select(func.count()).select_from(Analysis)).scalar_one()
        distinct = db.session.execute(select(func.count(func.distinct(Analysis.response_id)))).scalar_one()
        db.session.remove()
    return total, distinct


def test_answers_without_a_comment_never_cost_a_job(app, client, workspace, run_worker):
    survey = create_survey(client, workspace.headers)
    body = _batch(client, workspace.headers, survey["id"], [None, "", "   "] * 100)
    assert body["accepted"] == 300
    assert nlp_jobs() == []
    assert _statuses(app) == {"done": 300}
    one = client.get(f"/api/v1/responses/{body['results'][0]['id']}", headers=workspace.headers).json
    assert one["analysis"] == {
        "status": "done",
        "sentiment": None,
        "intent": None,
        "cues": [],
        "language": None,
        "themes": [],
        "roadmap_items": [],
    }
    assert run_worker() == 0
    assert _analyses(app) == (0, 0)


def test_a_batch_of_commented_answers_becomes_jobs_of_analysis_batch(app, client, workspace, run_worker):
    survey = create_survey(client, workspace.headers)
    commented = jobs.ANALYSIS_BATCH + 100
    comments = [f"Support was slow, ticket {i}" if i % 5 < 3 else None for i in range(999)]
    assert sum(c is not None for c in comments) == commented
    items = [{"survey_id": survey["id"], "score": i % 11, "comment": c} for i, c in enumerate(comments)]
    # One answer of the batch is refused inside its savepoint: the others' work still goes out.
    items.insert(10, {"survey_id": "sv_unknown", "score": 3, "comment": "lost"})
    response = client.post("/api/v1/responses/batch", json={"responses": items}, headers=workspace.headers)
    assert response.status_code == 200, response.json
    assert (response.json["accepted"], response.json["rejected"]) == (999, 1)
    # Not one job per answer: one queued job for the request, which finds the answers itself.
    assert [job.func_name for job in nlp_jobs()] == ["vocservice.jobs.analyze_pending"]
    assert _statuses(app) == {"pending": commented, "done": 999 - commented}

    assert run_worker() == math.ceil(commented / jobs.ANALYSIS_BATCH)
    assert _statuses(app) == {"done": 999}
    assert _analyses(app) == (commented, commented)


def test_answers_of_near_simultaneous_requests_are_analysed_together(app, client, workspace, run_worker):
    survey = create_survey(client, workspace.headers)
    for i in range(5):
        posted = client.post(
            "/api/v1/responses",
            json={"survey_id": survey["id"], "score": 9, "comment": f"Great support, thanks ({i})"},
            headers=workspace.headers,
        )
        assert posted.status_code == 201
    assert len(nlp_jobs()) == 1  # one queued job for all five
    assert run_worker() == 1
    assert _statuses(app) == {"done": 5}
    assert _analyses(app) == (5, 5)
