"""Builders shared by the analysis tests: answers stored straight through the models (as an
import would, bypassing the API), their analysis state, and the jobs waiting on the nlp queue."""

from datetime import timedelta

from sqlalchemy import select, update

from surveys.core.db import db, utcnow
from surveys.response.models import Response
from surveys.survey.models import Survey
from tests.conftest import TEST_REDIS_URL
from vocservice.queue import rq_queue


def store_responses(
    app, workspace_id: str, comments: list, *, completed: bool = True, survey_id: str | None = None
) -> list[str]:
    """Responses stored straight through the models, in one transaction (as an import would)."""
    with app.app_context():
        if survey_id is None:
            survey = Survey(workspace_id=workspace_id, name="NPS", kind="nps", question="Q?")
            db.session.add(survey)
            db.session.flush()
            survey_id = survey.id
        rows = [
            Response(
                workspace_id=workspace_id,
                survey_id=survey_id,
                score=i % 11,
                comment=comment,
                completed=completed,
                source="api",
                meta={},
                attributes={},
                submitted_at=utcnow() - timedelta(minutes=i),
            )
            for i, comment in enumerate(comments)
        ]
        db.session.add_all(rows)
        db.session.commit()
        ids = [r.id for r in rows]
        db.session.remove()
    return ids


def states(app, ids: list[str]) -> dict[str, tuple]:
    with app.app_context():
        rows = db.session.execute(
            select(
                Response.id, Response.analysis_status, Response.analysis_attempts, Response.analysis_error
            ).where(Response.id.in_(ids))
        ).all()
        db.session.remove()
    return {r.id: (r.analysis_status, r.analysis_attempts, r.analysis_error) for r in rows}


def pass_leases(app, ids: list[str] | None = None) -> None:
    """Time passes: every pending answer's lease (a claim, or a retry's wait) is over."""
    with app.app_context():
        query = update(Response).where(Response.analysis_status == "pending")
        if ids is not None:
            query = query.where(Response.id.in_(ids))
        db.session.execute(query.values(analysis_lease_until=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        db.session.remove()


def nlp_jobs() -> list:
    queue = rq_queue("nlp", TEST_REDIS_URL)
    return [queue.fetch_job(job_id) for job_id in queue.job_ids]
