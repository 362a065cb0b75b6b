"""Retention: the tick anonymises (scores kept in every figure) or deletes (figures adjusted)
answers older than the workspace's period, in bounded batches; off by default."""

from datetime import timedelta

from sqlalchemy import select, update

from surveys.analysis.models import Analysis, ResponseTheme
from surveys.core.db import db, utcnow
from surveys.metrics import rollups, theme_rollups
from surveys.privacy.retention import apply_retention
from surveys.response.models import Response
from surveys.tick import run_tick
from surveys.workspace.models import Workspace
from tests.support.helpers import create_survey
from tests.support.privacy import ANN_EMAIL, ANN_ID, person
from tests.surveys.privacy.test_erasure_rollups import _figures

COMMENT = "Slow reports and SSO trouble, call Ann on 555-0101"


def _answers(client, workspace, run_worker, app) -> tuple[list[str], list[str]]:
    """Six old answers and four recent ones, all commented and analysed; old = 400 days."""
    survey = create_survey(client, workspace.headers)
    ids = []
    for i in range(10):
        body = {
            "survey_id": survey["id"],
            "score": i,
            "comment": COMMENT,
            "contact": person(ANN_ID, ANN_EMAIL),
        }
        reply = client.post("/api/v1/responses", json=body, headers=workspace.headers)
        assert reply.status_code == 201
        ids.append(reply.json["id"])
    run_worker()
    old = ids[:6]
    with app.app_context():
        # Moved back in time through the ORM, so the rollups follow.
        for response in db.session.execute(select(Response).where(Response.id.in_(old))).unique().scalars():
            response.submitted_at = utcnow() - timedelta(days=400)
            response.event_snapshot = {"name": "order.delivered", "properties": {"email": ANN_EMAIL}}
        db.session.commit()
        theme_rollups.sync(db.session)
        db.session.commit()
        db.session.remove()
    return old, ids[6:]


def _set(app, workspace_id: str, days: int | None, action: str) -> None:
    with app.app_context():
        db.session.execute(
            update(Workspace)
            .where(Workspace.id == workspace_id)
            .values(retention_days=days, retention_action=action)
        )
        db.session.commit()
        db.session.remove()


def test_retention_is_off_by_default(app, client, workspace, run_worker, db_session):
    old, _ = _answers(client, workspace, run_worker, app)
    run_tick(db_session)
    assert db_session.get(Response, old[0]).comment == COMMENT


def test_retention_anonymises_old_answers_and_keeps_their_scores_in_every_figure(
    app, client, workspace, run_worker, db_session
):
    old, recent = _answers(client, workspace, run_worker, app)
    before = _figures(db_session)
    _set(app, workspace.workspace.id, 365, "anonymise")
    assert run_tick(db_session).counts["retention_applied"] == 6
    run_worker()  # nothing is re-analysed: the tags stay
    db_session.expire_all()
    for response_id in old:
        row = db_session.get(Response, response_id)
        assert (row.comment, row.event_snapshot, row.contact_id, row.meta) == (None, None, None, {})
        assert row.score is not None and row.analysis_status == "done"
        [analysis] = db_session.execute(select(Analysis).where(Analysis.response_id == response_id)).scalars()
        assert all(hit["evidence"] == [] for hit in analysis.themes) and analysis.noun_phrases == []
    assert db_session.get(Response, recent[0]).comment == COMMENT
    tags = db_session.execute(select(ResponseTheme).where(ResponseTheme.response_id.in_(old))).all()
    assert tags, "theme tags carry no words and stay"
    after = _figures(db_session)
    # Same scores, same themes: only the count of commented answers moved, by six.
    assert after["themes"] == before["themes"]
    totals = lambda f: [v for k, v in f["daily"].items() if k[3] == ""]  # noqa: E731
    assert sum(v[0] for v in totals(after)) == sum(v[0] for v in totals(before)) == 10
    assert sum(v[1] for v in totals(before)) - sum(v[1] for v in totals(after)) == 6
    rollups.rebuild(db_session)
    db_session.commit()
    assert _figures(db_session)["daily"] == after["daily"]
    assert run_tick(db_session).counts["retention_applied"] == 0  # done once


def test_retention_deletes_old_answers_in_bounded_batches(app, client, workspace, run_worker, db_session):
    old, recent = _answers(client, workspace, run_worker, app)
    _set(app, workspace.workspace.id, 30, "delete")
    assert apply_retention(db_session, now=utcnow(), limit=4) == 4
    db_session.commit()
    assert apply_retention(db_session, now=utcnow(), limit=4) == 2
    db_session.commit()
    db_session.expire_all()
    left = set(db_session.execute(select(Response.id)).scalars())
    assert left == set(recent)
    kept = _figures(db_session)
    rollups.rebuild(db_session)
    theme_rollups.rebuild_themes(db_session)
    db_session.commit()
    rebuilt = _figures(db_session)
    assert (kept["daily"], kept["themes"]) == (rebuilt["daily"], rebuilt["themes"])
