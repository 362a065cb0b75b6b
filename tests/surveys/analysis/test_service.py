"""Analysing stored responses (surveys/analysis.py) through the API, the flush listener, a real
RQ worker and the sweeper: evidence, idempotency, failures, crashed batches and row locks."""

from datetime import timedelta

import psycopg
from redis import Redis
from sqlalchemy import func, make_url, select

from surveys.analysis import service as analysis
from surveys.analysis.models import Analysis, ResponseTheme
from surveys.core import jobs
from surveys.core.db import db, utcnow
from surveys.response.models import Response
from surveys.tick import run_tick
from tests.conftest import TEST_REDIS_URL
from tests.support.analysis import nlp_jobs, pass_leases, states, store_responses
from tests.support.helpers import create_survey, tick

MIXED = "The billing page is confusing but support was great."


def count(app, model, **where) -> int:
    with app.app_context():
        query = select(func.count()).select_from(model).filter_by(**where)
        value = db.session.execute(query).scalar_one()
        db.session.remove()
    return value


def analyse(app, ids: list[str]) -> analysis.AnalyzeResult:
    with app.app_context():
        result = analysis.analyze_responses(db.session, response_ids=ids)
        db.session.remove()
    return result


def test_analysis_stored_with_evidence_through_api_and_worker(app, client, workspace, run_worker):
    survey = create_survey(client, workspace.headers)
    posted = client.post(
        "/api/v1/responses",
        headers=workspace.headers,
        json={"survey_id": survey["id"], "score": 6, "comment": MIXED, "contact": {"external_id": "c-1"}},
    )
    assert posted.status_code == 201, posted.json
    assert posted.json["analysis"] == {
        "status": "pending",
        "sentiment": None,
        "intent": None,
        "cues": [],
        "language": None,
        "themes": [],
        "roadmap_items": [],
    }
    assert run_worker() == 1
    body = client.get(f"/api/v1/responses/{posted.json['id']}", headers=workspace.headers).json
    result = body["analysis"]
    assert result["status"] == "done"
    themes = {t["name"]: t for t in result["themes"]}
    assert {"billing", "support"} <= set(themes)
    assert themes["billing"]["sentiment"]["label"] == "negative"
    assert themes["support"]["sentiment"]["label"] == "positive"
    for theme in result["themes"]:
        for evidence in theme["evidence"]:
            assert MIXED[evidence["start"] : evidence["end"]] == evidence["text"]
    assert count(app, Analysis) == 1
    assert count(app, ResponseTheme, response_id=body["id"]) == len(result["themes"])


def test_analysis_listener_enqueues_one_job_per_transaction(app, workspace):
    ids = store_responses(app, workspace.workspace.id, ["Great support", "Too expensive", None])
    [job] = nlp_jobs()
    assert job.func_name == "vocservice.jobs.analyze_pending"
    assert job.args == []  # the worker finds the pending answers in the database
    assert [s for s, _, _ in states(app, ids).values()] == ["pending", "pending", "done"]
    more = store_responses(app, workspace.workspace.id, ["Slow reports"])  # before it started
    assert len(nlp_jobs()) == 1  # the queued job takes these too
    assert states(app, more)[more[0]][0] == "pending"


def test_analysis_partial_response_waits_until_completed(app, workspace, run_worker):
    [rid] = store_responses(app, workspace.workspace.id, ["Slow dashboards"], completed=False)
    assert nlp_jobs() == []
    with app.app_context():
        db.session.get(Response, rid).completed = True
        db.session.commit()
        db.session.remove()
    assert [job.func_name for job in nlp_jobs()] == ["vocservice.jobs.analyze_pending"]
    run_worker()
    assert states(app, [rid])[rid][0] == "done"


def test_analysis_is_idempotent(app, workspace):
    ids = store_responses(app, workspace.workspace.id, [MIXED, "Invoices are wrong", "Fine"])
    first = analyse(app, ids + ids)  # duplicates in one job count once
    assert first.done == 3
    themes_before = count(app, ResponseTheme)
    assert analyse(app, ids).skipped == 3  # already done: nothing to do
    with app.app_context():  # analysed again on purpose: replaced in place, not added
        analysis.mark_for_reanalysis(db.session, workspace_id=workspace.workspace.id)
        db.session.commit()
        db.session.remove()
    assert analyse(app, ids).done == 3
    assert count(app, Analysis) == 3 and count(app, ResponseTheme) == themes_before


def test_analysis_no_comment_is_done_without_the_analyser(app, workspace, monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("the analyser must not be needed for an empty comment")

    monkeypatch.setattr(analysis, "workspace_analyzer", boom)
    ids = store_responses(app, workspace.workspace.id, [None, "   "])
    # Nothing to analyse: done in the transaction that stored them, and no job for them.
    assert {s for s, _, _ in states(app, ids).values()} == {"done"}
    assert nlp_jobs() == []
    assert analyse(app, ids).skipped == 2 and count(app, Analysis) == 0
    # A reanalysis leaves them alone too: still done, no job, nothing stored.
    with app.app_context():
        marked = analysis.mark_for_reanalysis(db.session, workspace_id=workspace.workspace.id)
        db.session.commit()
        db.session.remove()
    assert marked == []
    assert {s for s, _, _ in states(app, ids).values()} == {"done"}
    assert analyse(app, ids).skipped == 2 and count(app, Analysis) == 0


def test_analysis_comment_removed_clears_its_themes_through_a_job(app, workspace, run_worker):
    [rid] = store_responses(app, workspace.workspace.id, [MIXED])
    run_worker()
    assert count(app, ResponseTheme, response_id=rid) > 0
    with app.app_context():
        db.session.get(Response, rid).comment = None
        db.session.commit()
        db.session.remove()
    assert states(app, [rid])[rid][0] == "pending"
    run_worker()
    assert states(app, [rid])[rid][0] == "done"
    assert count(app, ResponseTheme, response_id=rid) == 0 and count(app, Analysis) == 1


class _Poisoned:
    """Wraps the real analyser; one text makes it raise, as a bug in a dependency would."""

    def __init__(self, real):
        self.real = real

    def analyze_many(self, texts):
        if "POISON" in " ".join(texts):
            raise RuntimeError("analyser blew up")
        return self.real.analyze_many(texts)

    def analyze(self, text):
        return self.analyze_many([text])[0]


def test_analysis_failure_of_one_text_keeps_the_rest(app, workspace, monkeypatch):
    real = analysis.workspace_analyzer
    monkeypatch.setattr(
        analysis, "workspace_analyzer", lambda session, ws: (_Poisoned(real(session, ws)[0]), 1)
    )
    ids = store_responses(app, workspace.workspace.id, ["Great support", "POISON here", "Slow"])
    result = analyse(app, ids)
    assert (result.done, result.retrying) == (2, 1)
    status, attempts, error = states(app, ids)[ids[1]]
    assert (status, attempts) == ("pending", 1) and "analyser blew up" in error
    assert analyse(app, [ids[1]]).skipped == 1  # not retried before its wait is over
    for _ in range(analysis.MAX_ATTEMPTS - 1):
        pass_leases(app)
        analyse(app, [ids[1]])
    status, attempts, error = states(app, ids)[ids[1]]
    assert (status, attempts) == ("failed", analysis.MAX_ATTEMPTS)
    assert count(app, Analysis) == 2


def test_analysis_rows_of_a_crashed_batch_are_retried_in_small_units_then_one_by_one(
    app, workspace, monkeypatch
):
    texts = [f"Great support number {i}" for i in range(analysis.RETRY_UNIT + 2)]
    ids = store_responses(app, workspace.workspace.id, texts)
    with app.app_context():  # a worker claimed the batch and died before storing anything
        analysis._claim(db.session, ids, analysis.AnalyzeResult())
        db.session.remove()
    assert {a for _, a, _ in states(app, ids).values()} == {1}
    assert analyse(app, ids).skipped == len(ids)  # leased: the worker might still be alive
    pass_leases(app)
    batches = []
    real = analysis._analyse_texts
    monkeypatch.setattr(
        analysis,
        "_analyse_texts",
        lambda analyzer, texts: batches.append(len(texts)) or real(analyzer, texts),
    )
    with app.app_context():  # ... and the next worker dies with the first two rows claimed again
        analysis._claim(db.session, ids[:2], analysis.AnalyzeResult())
        db.session.remove()
    pass_leases(app)
    assert analyse(app, ids).done == len(ids)
    # Once-failed rows in units of RETRY_UNIT; rows that failed twice one at a time.
    assert batches == [analysis.RETRY_UNIT, 1, 1]
    assert {s for s, _, _ in states(app, ids).values()} == {"done"}


def test_analysis_gives_up_on_a_row_that_keeps_killing_workers(app, workspace):
    [rid] = store_responses(app, workspace.workspace.id, ["Deadly comment"])
    for _ in range(analysis.MAX_ATTEMPTS):
        with app.app_context():
            analysis._claim(db.session, [rid], analysis.AnalyzeResult())
            db.session.remove()
        pass_leases(app)
    assert analyse(app, [rid]).failed == 1
    status, _, error = states(app, [rid])[rid]
    assert status == "failed" and "gave up" in error
    assert count(app, Analysis) == 0


def test_analysis_skips_rows_locked_by_another_worker(app, workspace):
    ids = store_responses(app, workspace.workspace.id, ["Great support", "Too expensive"])
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False)) as other:
        other.execute("SELECT id FROM responses WHERE id = %s FOR UPDATE", (ids[0],))
        result = analyse(app, ids)
        assert (result.done, result.skipped) == (1, 1)
        assert states(app, ids)[ids[0]][0] == "pending"
    assert analyse(app, ids).done == 1
    assert count(app, Analysis) == 2


def test_analysis_sweeper_reenqueues_when_redis_was_down(app, workspace, run_worker):
    real = app.config["REDIS_URL"]
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/15"  # Redis "stopped" at commit time
    ids = store_responses(app, workspace.workspace.id, [MIXED, "Slow reports"])
    app.config["REDIS_URL"] = real
    assert run_worker() == 0  # nothing reached the queue

    assert tick(app)["analyses_enqueued"] == 0  # still inside the window of the lost job
    assert tick(app, utcnow() + timedelta(minutes=11))["analyses_enqueued"] == 2
    assert tick(app, utcnow() + timedelta(minutes=11))["analyses_enqueued"] == 0  # not twice
    run_worker()
    assert {s for s, _, _ in states(app, ids).values()} == {"done"}
    assert count(app, Analysis) == 2


def test_analysis_sweeper_picks_up_rows_stored_without_the_listener(app, workspace, run_worker):
    [rid] = store_responses(app, workspace.workspace.id, ["Great support"])
    Redis.from_url(TEST_REDIS_URL).flushdb()  # the job is gone, and the row never marked
    with app.app_context():
        db.session.get(Response, rid).analysis_enqueued_at = None
        db.session.commit()
        assert run_tick(db.session).counts["analyses_enqueued"] == 1
        db.session.remove()
    run_worker()
    assert states(app, [rid])[rid][0] == "done"


def test_analysis_job_declares_queue_timeout_and_retries():
    from vocservice.jobs import JOBS

    func, spec = JOBS[jobs.ANALYZE_RESPONSES]
    assert func.__module__ == "vocservice.jobs" and func.__name__ == "analyze_responses"
    assert spec.queue == "nlp" and spec.timeout >= 60
    assert spec.retry().max == 3
