"""vocservice import responses: CSV in, validated answers stored, bad rows reported."""

import json

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
