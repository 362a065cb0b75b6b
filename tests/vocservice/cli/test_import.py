"""vocservice import responses: CSV in, validated answers stored, bad rows reported."""

import json

from sqlalchemy import func, select

from surveys.contact.models import Contact
from surveys.response.models import Response
from tests.support.helpers import create_survey

CSV = """id,score,comment,submitted_at,external_id,email,attributes.plan,attributes.arr,metadata.channel
r1,9,Love the new reports,2026-10-01T10:00:00Z,c-1,a@example.com,pro,12000,zendesk
r2,3,"Billing charged us twice, =HYPERLINK(""x"")",2026-10-02T10:00:00Z,c-2,b@example.com,starter,900,zendesk
r3,11,out of range,2026-10-03T10:00:00Z,c-3,,pro,,
r4,seven,not a number,,,,,,
r5,6,,2026-10-04T10:00:00Z,,,,,
"""


def test_import_stores_good_rows_reports_bad_ones_and_is_rerunnable(
    app, client, workspace, db_session, tmp_path
):
    survey = create_survey(client, workspace.headers)
    path = tmp_path / "answers.csv"
    path.write_text(CSV, encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import", "responses", str(path), "--survey", survey["id"]])
    assert result.exit_code == 1  # some rows failed
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary == {"rows": 5, "created": 3, "already_there": 0, "failed": 2}
    assert "line 4" in result.stderr and "line 5" in result.stderr
    rows = {r.external_id: r for r in db_session.query(Response).all()}
    assert set(rows) == {"r1", "r2", "r5"}
    assert rows["r1"].attributes == {"plan": "pro", "arr": 12000}
    assert rows["r1"].meta == {"channel": "zendesk"} and rows["r1"].source == "import"
    assert rows["r2"].comment.startswith("Billing charged us twice")
    assert rows["r5"].contact_id is None
    assert db_session.query(Contact).count() == 2
    again = runner.invoke(args=["import", "responses", str(path), "--survey", survey["id"]])
    assert json.loads(again.stdout.strip().splitlines()[-1])["already_there"] == 3
    assert db_session.query(Response).count() == 3


def test_import_refuses_unknown_survey_and_headerless_files(app, workspace, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("comment\nhello\n", encoding="utf-8")
    runner = app.test_cli_runner()
    unknown = runner.invoke(args=["import", "responses", str(path), "--survey", "sv_nope"])
    assert unknown.exit_code != 0 and "No survey" in unknown.output


def test_import_of_a_long_file_keeps_rollups_exact_and_reports_bad_lines(
    app, client, workspace, db_session, tmp_path
):
    from surveys.metrics.models import DailyRollup
    from surveys.metrics.rollups import rebuild
    from tests.support.analysis import nlp_jobs

    survey = create_survey(client, workspace.headers)
    lines = ["id,score,comment,submitted_at,external_id,attributes.plan"]
    for n in range(2500):
        score = "x" if n % 500 == 7 else n % 11
        comment = f"comment {n}" if n % 10 == 0 else ""
        lines.append(f"r{n},{score},{comment},2026-10-0{1 + n % 5}T12:00:00Z,c{n % 40},p{n % 3}")
    path = tmp_path / "long.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import", "responses", str(path), "--survey", survey["id"]])
    assert result.exit_code == 1
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary == {"rows": 2500, "created": 2495, "already_there": 0, "failed": 5}
    assert [f"line {n + 2}:" in result.stderr for n in (7, 507, 2007)] == [True, True, True]
    # One commit per chunk of 1,000 rows; each asks for analysis after its commit, and the queue
    # keeps one analyze_pending waiting for all 250 commented answers.
    jobs = nlp_jobs()
    assert [job.func_name for job in jobs] == ["vocservice.jobs.analyze_pending"]
    pending = db_session.execute(
        select(func.count()).select_from(Response).where(Response.analysis_status == "pending")
    ).scalar()
    assert pending == 250
    incremental = {
        (r.day, r.dim, r.value): (r.responses, r.commented) for r in db_session.query(DailyRollup).all()
    }
    rebuild(db_session)
    db_session.commit()
    db_session.expire_all()
    rebuilt = {
        (r.day, r.dim, r.value): (r.responses, r.commented) for r in db_session.query(DailyRollup).all()
    }
    assert incremental == rebuilt
    assert sum(v[0] for k, v in rebuilt.items() if k[1] == "") == 2495
