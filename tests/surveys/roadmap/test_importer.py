"""Roadmap items from CSV: the upload endpoint and ``vocservice roadmap import``, good and bad
rows in one file, upserts on external_ref, and the demo's roadmap story."""

import io
import json

from sqlalchemy import select

from surveys.roadmap.models import RoadmapItem, RoadmapItemTheme
from tests.support.helpers import table_count

URL = "/api/v1/roadmap-items/import"
GOOD_AND_BAD = (
    "Title,Description,Status,Themes,Keywords,External_Ref,Owner\n"
    "SSO with Okta,Single sign-on,todo,integrations;Security & Privacy,sso;saml,JIRA-1,ann\n"
    "Cheaper plans,,idea,pricing,price; per seat ,JIRA-2,bob\n"
    ",no title here,idea,,,JIRA-3,\n"
    "Bad status,,wontfix,,,JIRA-4,\n"
    "Unknown theme,,planned,astrology,,JIRA-5,\n"
    '"=HYPERLINK(""http://evil"")","multi\nline",done,,,JIRA-6,\n'
)


def _upload(client, headers, text: str | bytes, name: str = "items.csv"):
    raw = text.encode() if isinstance(text, str) else text
    return client.post(
        URL, headers=headers, content_type="multipart/form-data", data={"file": (io.BytesIO(raw), name)}
    )


def test_roadmap_import_upload_stores_good_rows_and_reports_bad(client, workspace, db_session):
    response = _upload(client, workspace.headers, GOOD_AND_BAD)
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["created"], body["updated"], body["failed"]) == (3, 0, 3)
    assert body["ignored_columns"] == ["owner"]
    failed = {r["line"]: r for r in body["results"] if r["status"] == "failed"}
    assert sorted(failed) == [4, 5, 6]
    assert "title" in failed[4]["errors"] and "status" in failed[5]["errors"]
    assert "astrology" in failed[6]["detail"]
    items = {i.external_ref: i for i in db_session.execute(select(RoadmapItem)).scalars()}
    assert sorted(items) == ["JIRA-1", "JIRA-2", "JIRA-6"]
    assert (items["JIRA-1"].status, items["JIRA-1"].keywords) == ("planned", ["sso", "saml"])
    assert len(items["JIRA-1"].theme_ids) == 2
    assert items["JIRA-2"].keywords == ["price", "per seat"]
    # Stored as text; only exports neutralise formula-like cells.
    assert items["JIRA-6"].title == '=HYPERLINK("http://evil")'
    assert items["JIRA-6"].status == "shipped" and items["JIRA-6"].description == "multi\nline"

    again = _upload(
        client, workspace.headers, "title,status,external_ref,themes\nSSO via SAML,in progress,JIRA-1,\n"
    )
    assert (again.json["created"], again.json["updated"]) == (0, 1)
    db_session.expire_all()
    item = db_session.get(RoadmapItem, items["JIRA-1"].id)
    assert (item.title, item.status, item.theme_ids) == ("SSO via SAML", "in_progress", [])
    assert table_count(db_session, RoadmapItem) == 3


def test_roadmap_import_upload_refuses_unreadable_files(client, workspace, db_session):
    h = workspace.headers
    assert client.post(URL, headers=h, data={}).status_code == 422
    assert _upload(client, h, b"title\n\xff\xfe broken\n").status_code == 422
    assert _upload(client, h, "name,status\nx,idea\n").status_code == 422
    too_many = "title\n" + "".join(f"item {i}\n" for i in range(5001))
    response = _upload(client, h, too_many)
    assert response.status_code == 422 and "5000" in response.json["detail"]
    assert client.post(URL, headers=workspace.key_headers("ingest"), data={}).status_code == 403
    assert table_count(db_session, RoadmapItem) == 0


def test_roadmap_import_cli_reports_rows_and_exit_status(app, workspace, db_session, tmp_path):
    path = tmp_path / "roadmap.csv"
    path.write_text(GOOD_AND_BAD, encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["roadmap", "import", str(path), "--workspace", "acme"])
    assert result.exit_code == 1
    assert "line 5: Unknown status 'wontfix'" in result.stderr
    assert "line 6: No theme named 'astrology'" in result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"created": 3, "updated": 0, "failed": 3}
    assert table_count(db_session, RoadmapItem) == 3

    path.write_text("title,external_ref\nOnly good,JIRA-1\n", encoding="utf-8")
    ok = runner.invoke(args=["roadmap", "import", str(path), "--workspace", "acme"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout.strip().splitlines()[-1])["updated"] == 1
    unknown = runner.invoke(args=["roadmap", "import", str(path), "--workspace", "nope"])
    assert unknown.exit_code == 1 and "No workspace" in unknown.output


def test_roadmap_demo_ranks_the_story(app, client, db_session):
    from surveys.analysis import service as analysis
    from surveys.core.db import db
    from surveys.response.models import Response

    runner = app.test_cli_runner()
    seeded = runner.invoke(args=["demo", "--responses", "600"])
    assert seeded.exit_code == 0, seeded.output
    key = next(line.split(":", 1)[1].strip() for line in seeded.output.splitlines() if "Demo API key" in line)
    with app.app_context():
        ids = list(db.session.execute(select(Response.id)).scalars())
        analysis.analyze_responses(db.session, response_ids=ids)  # the worker's job, here
        db.session.remove()
    assert table_count(db_session, RoadmapItemTheme) >= 3
    headers = {"Authorization": f"Bearer {key}"}
    by = {}
    for sort in ("revenue", "detractors"):
        items = client.get(f"/api/v1/roadmap-items?sort={sort}", headers=headers).json["items"]
        by[sort] = [i["title"] for i in items]
    assert set(by["revenue"][:2]) == {"SSO with Okta/SAML", "Salesforce sync reliability"}
    assert by["detractors"][0] == "Per-seat pricing for small teams"
    impact = client.get("/api/v1/roadmap-items?sort=impact", headers=headers).json["items"]
    assert impact[-1]["title"] == "Mobile app stability"
