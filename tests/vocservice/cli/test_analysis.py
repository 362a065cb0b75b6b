"""``vocservice reanalyze`` (synchronous with a progress bar, or onto the queue) and the offline
``vocservice analyze`` with built-in and file taxonomies."""

import json

from sqlalchemy import func, select

from surveys.analysis.models import Analysis
from surveys.core.db import db
from tests.support.analysis import nlp_jobs, states, store_responses


def test_cli_reanalyze_runs_here_with_progress(app, workspace):
    ids = store_responses(app, workspace.workspace.id, ["Great support", "Too expensive", None])
    result = app.test_cli_runner().invoke(args=["reanalyze", "--workspace", "acme", "--batch-size", "2"])
    assert result.exit_code == 0, result.output + result.stderr
    summary = json.loads(result.stdout)
    # The answer without a comment has nothing to reanalyse: it stays done and is not counted.
    assert (summary["responses"], summary["done"], summary["failed"]) == (2, 2, 0)
    assert summary["per_second"] > 0
    assert "Analysing" in result.stderr  # the bar itself is drawn only on a terminal
    assert {s for s, _, _ in states(app, ids).values()} == {"done"}
    again = app.test_cli_runner().invoke(args=["reanalyze"])
    assert again.exit_code == 0 and json.loads(again.stdout)["done"] == 2
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Analysis)).scalar_one() == 2
        db.session.remove()


def test_cli_reanalyze_enqueue_and_filters(app, workspace, run_worker):
    ids = store_responses(app, workspace.workspace.id, ["Great support", "Too expensive"])
    run_worker()
    with app.app_context():
        from surveys.response.models import Response

        survey_id = db.session.get(Response, ids[0]).survey_id
        db.session.remove()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["reanalyze", "--survey", survey_id, "--enqueue"])
    assert result.exit_code == 0, result.output
    assert "2 responses marked pending, 1 jobs enqueued" in result.output
    assert [(job.func_name, job.args) for job in nlp_jobs()] == [("vocservice.jobs.analyze_pending", [])]
    assert {s for s, _, _ in states(app, ids).values()} == {"pending"}
    run_worker()
    assert {s for s, _, _ in states(app, ids).values()} == {"done"}
    unknown = runner.invoke(args=["reanalyze", "--survey", "sv_nope"])
    assert unknown.exit_code == 1 and "No survey" in unknown.output
    unknown = runner.invoke(args=["reanalyze", "--workspace", "nope"])
    assert unknown.exit_code == 1 and "No workspace" in unknown.output


def test_cli_analyze_taxonomies(app, tmp_path):
    runner = app.test_cli_runner()
    line = json.dumps({"id": 1, "text": "Great food but the service was slow."}) + "\n"
    result = runner.invoke(args=["analyze", "--taxonomy", "restaurant"], input=line)
    assert result.exit_code == 0, result.stderr
    themes = {t["name"]: t for t in json.loads(result.stdout)["themes"]}
    assert themes["food"]["sentiment"]["label"] == "positive"
    assert themes["service"]["sentiment"]["label"] == "negative"
    path = tmp_path / "mine.json"
    path.write_text(json.dumps({"name": "mine", "themes": [{"name": "speed", "keywords": ["slow"]}]}))
    result = runner.invoke(args=["analyze", "--taxonomy", str(path)], input=line)
    assert [t["name"] for t in json.loads(result.stdout)["themes"]] == ["speed"]
    bad = runner.invoke(args=["analyze", "--taxonomy", "nonsense"], input=line)
    assert bad.exit_code == 2 and "unknown taxonomy 'nonsense'" in bad.stderr
    assert "Traceback" not in bad.stderr + bad.stdout
