"""Partial answers are finalised by the tick after the configured inactivity, and not before;
then they count in the rollups (equal to a rebuild) and commented ones are analysed."""

from datetime import timedelta

import psycopg
from sqlalchemy import make_url, select, update

from surveys.analysis.models import Analysis
from surveys.core.db import db, utcnow
from surveys.invitation.models import Invitation
from surveys.metrics.rollups import rebuild
from surveys.metrics.service import compute_metrics
from surveys.response.models import Response
from surveys.response.service import widget_start
from surveys.tick import run_tick
from surveys.workspace.models import Workspace
from tests.support.analysis import nlp_jobs
from tests.support.helpers import make_invitation


def _tick(app, now, after=timedelta(hours=1)) -> dict:
    with app.app_context():
        counts = run_tick(db.session, now=now, finalise_after=after).counts
        db.session.remove()
    return counts


def _responses_counted(db_session, workspace_id: str, survey_ids: list[str]) -> tuple[int, int]:
    """Answers the metrics count from the rollups, and the same from raw rows."""
    db_session.expire_all()
    fast = raw = 0
    for survey_id in survey_ids:
        fast += compute_metrics(db_session, workspace_id=workspace_id, survey_id=survey_id)["overall"][
            "responses"
        ]
        raw += compute_metrics(db_session, workspace_id=workspace_id, survey_id=survey_id, rollups=False)[
            "overall"
        ]["responses"]
    return fast, raw


def test_finalise_after_inactivity_and_not_before(app, client, db_session, workspace, run_worker):
    ws_id = workspace.workspace.id
    commented = make_invitation(db_session, ws_id)
    survey_id = commented.survey_id
    silent = make_invitation(db_session, ws_id)
    unscored = make_invitation(db_session, ws_id)
    surveys = [commented.survey_id, silent.survey_id, unscored.survey_id]
    client.post(f"/s/{commented.token}", data={"score": "3", "comment": "Checkout kept failing"})
    client.post(f"/s/{silent.token}/opened", data={"score": "9"})  # the one-click, then nothing
    client.post(f"/s/{unscored.token}", data={"comment": "no score given"})
    ws = db_session.get(Workspace, ws_id)
    widget = widget_start(db_session, workspace=ws, survey_id=survey_id, score=7)
    db_session.commit()
    widget_id = widget.id
    assert nlp_jobs() == []
    assert _responses_counted(db_session, ws_id, surveys) == (0, 0)

    now = utcnow()
    assert _tick(app, now + timedelta(minutes=59))["partials_finalised"] == 0
    assert _responses_counted(db_session, ws_id, surveys) == (0, 0)
    db_session.expire_all()
    assert db_session.get(Invitation, commented.id).status == "sent"

    assert _tick(app, now + timedelta(minutes=61))["partials_finalised"] == 3
    db_session.expire_all()
    answers = {r.invitation_id or r.id: r for r in db_session.execute(select(Response)).unique().scalars()}
    for invitation in (commented, silent):
        stored = db_session.get(Invitation, invitation.id)
        answer = answers[invitation.id]
        assert answer.completed is True and answer.submitted_at == answer.last_activity_at
        assert (stored.status, stored.responded_at) == ("responded", answer.last_activity_at)
    assert answers[widget_id].completed is True
    assert answers[unscored.id].completed is False  # nothing to count without a score
    assert db_session.get(Invitation, unscored.id).status == "sent"
    assert (answers[commented.id].score, answers[silent.id].score) == (3, 9)

    # Counted like any answer: the incremental rollups equal a rebuild from the raw rows.
    assert _responses_counted(db_session, ws_id, surveys) == (3, 3)
    rebuild(db_session)
    db_session.commit()
    assert _responses_counted(db_session, ws_id, surveys) == (3, 3)
    # Handed to analysis through the job port after the tick's commit, like any completed
    # answer (as for any answer, one without a comment is settled without the NLP), and analysed.
    finalised = {answers[commented.id].id, answers[silent.id].id, widget_id}
    # One job for the tick; the worker finds the pending answers itself (surveys/core/jobs.py).
    [job] = nlp_jobs()
    assert job.func_name == "vocservice.jobs.analyze_pending"
    assert answers[commented.id].analysis_status == "pending"
    run_worker()
    db_session.expire_all()
    done = db_session.get(Response, answers[commented.id].id)
    statuses = {db_session.get(Response, i).analysis_status for i in finalised}
    assert statuses == {"done"}
    assert db_session.execute(select(Analysis).where(Analysis.response_id == done.id)).scalar_one()

    # A later tick finds nothing more, and the link now says "already answered".
    assert _tick(app, now + timedelta(hours=5))["partials_finalised"] == 0
    assert client.post(f"/s/{silent.token}", data={"score": "2"}).status_code == 409


def test_finalise_waits_while_the_respondent_keeps_going(app, client, db_session, workspace):
    invitation = make_invitation(db_session, workspace.workspace.id)
    client.post(f"/s/{invitation.token}", data={"score": "6"})
    db_session.expire_all()
    first = db_session.execute(select(Response)).unique().scalar_one().last_activity_at
    # Activity 50 minutes later (a changed score) restarts the clock.
    later = first + timedelta(minutes=50)
    db_session.execute(update(Response).values(last_activity_at=later))
    db_session.commit()
    assert _tick(app, first + timedelta(minutes=70))["partials_finalised"] == 0
    assert _tick(app, later + timedelta(minutes=61))["partials_finalised"] == 1


def test_finalise_uses_the_configured_minutes(app, client, db_session, workspace):
    invitation = make_invitation(db_session, workspace.workspace.id)
    client.post(f"/s/{invitation.token}", data={"score": "8"})
    db_session.execute(update(Response).values(last_activity_at=utcnow() - timedelta(minutes=10)))
    db_session.commit()
    runner = app.test_cli_runner()
    app.config["VOC_FINALISE_PARTIAL_AFTER_MINUTES"] = 15
    assert '"partials_finalised": 0' in runner.invoke(args=["tick"]).output
    app.config["VOC_FINALISE_PARTIAL_AFTER_MINUTES"] = 5
    assert '"partials_finalised": 1' in runner.invoke(args=["tick"]).output
    db_session.expire_all()
    assert db_session.get(Invitation, invitation.id).status == "responded"


def test_finalise_skips_an_answer_being_saved_right_now(app, client, db_session, workspace):
    invitation = make_invitation(db_session, workspace.workspace.id)
    client.post(f"/s/{invitation.token}", data={"score": "4"})
    later = utcnow() + timedelta(hours=2)
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False)) as other:
        # What submit_form holds while it saves: the invitation's row.
        other.execute("SELECT id FROM invitations WHERE id = %s FOR UPDATE", (invitation.id,))
        assert _tick(app, later)["partials_finalised"] == 0
    assert _tick(app, later)["partials_finalised"] == 1
