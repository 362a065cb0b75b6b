"""``GET /api/v1/exports/responses``: NDJSON of every answer changed since a mark, with its
analysis, themes, evidence and attributes; incremental by ``X-Export-Until``, resumable by
``export_cursor``, only the caller's workspace, errors as problems before the stream starts."""

import json
from datetime import timedelta

from sqlalchemy import update

from surveys.core.db import db, rfc3339, utcnow
from surveys.response.models import Response
from tests.support.helpers import create_survey


def _lines(reply) -> list[dict]:
    assert reply.status_code == 200, reply.data
    assert reply.mimetype == "application/x-ndjson"
    return [json.loads(line) for line in reply.get_data(as_text=True).splitlines()]


def _age_all(app, minutes: int = 5) -> None:
    """Move every answer's change time back, past the export's one-minute lag."""
    with app.app_context():
        db.session.execute(update(Response).values(updated_at=utcnow() - timedelta(minutes=minutes)))
        db.session.commit()
        db.session.remove()


def _answers(client, workspace, survey_id, scores, comment="Checkout kept failing, support was slow"):
    ids = []
    for n, score in enumerate(scores):
        reply = client.post(
            "/api/v1/responses",
            json={
                "survey_id": survey_id,
                "score": score,
                "comment": comment,
                "contact": {"external_id": f"x-{n}-{score}", "attributes": {"plan": "pro"}},
            },
            headers=workspace.headers,
        )
        assert reply.status_code == 201
        ids.append(reply.json["id"])
    return ids


def test_the_export_streams_every_answer_with_its_analysis(client, workspace, app, run_worker):
    survey = create_survey(client, workspace.headers)
    ids = _answers(client, workspace, survey["id"], [2, 9, 10])
    run_worker()
    _age_all(app)
    reply = client.get("/api/v1/exports/responses", headers=workspace.key_headers("analyst"))
    lines = _lines(reply)
    assert sorted(line["id"] for line in lines) == sorted(ids)
    first = lines[0]
    assert first["analysis"]["status"] == "done" and first["attributes"] == {"plan": "pro"}
    assert first["analysis"]["themes"] and "evidence" in first["analysis"]["themes"][0]
    assert reply.headers["X-Export-Until"] <= rfc3339(utcnow())
    stamps = [line["updated_at"] for line in lines]
    assert stamps == sorted(stamps)


def test_the_next_run_gets_only_what_changed(client, workspace, app):
    survey = create_survey(client, workspace.headers)
    _answers(client, workspace, survey["id"], [3, 4], comment="")
    fresh = _answers(client, workspace, survey["id"], [5], comment="")
    with app.app_context():  # two answers changed long ago, one a moment ago (inside the lag)
        db.session.execute(
            update(Response)
            .where(Response.id != fresh[0])
            .values(updated_at=utcnow() - timedelta(minutes=10))
        )
        db.session.commit()
        db.session.remove()
    first = client.get("/api/v1/exports/responses", headers=workspace.headers)
    assert len(_lines(first)) == 2  # the fresh one waits for the next run
    app.config["VOC_EXPORT_LAG_SECONDS"] = 0
    later = _answers(client, workspace, survey["id"], [7], comment="")
    second = client.get(
        "/api/v1/exports/responses",
        query_string={"updated_since": first.headers["X-Export-Until"]},
        headers=workspace.headers,
    )
    assert [line["id"] for line in _lines(second)] == fresh + later


def test_the_export_reads_in_chunks_and_loses_no_row_between_them(client, workspace, app, monkeypatch):
    from vocservice.api import exports

    monkeypatch.setattr(exports, "CHUNK", 3)
    survey = create_survey(client, workspace.headers)
    ids = _answers(client, workspace, survey["id"], list(range(0, 11)), comment="")
    _age_all(app)
    lines = _lines(client.get("/api/v1/exports/responses", headers=workspace.headers))
    assert sorted(line["id"] for line in lines) == sorted(ids) and len(lines) == 11
    assert [
        line["id"]
        for line in _lines(client.get("/api/v1/exports/responses?limit=7", headers=workspace.headers))
    ] == [line["id"] for line in lines[:7]]


def test_an_interrupted_export_resumes_at_its_cursor(client, workspace, app):
    survey = create_survey(client, workspace.headers)
    _answers(client, workspace, survey["id"], list(range(0, 11)), comment="")
    _age_all(app)
    everything = [
        line["id"] for line in _lines(client.get("/api/v1/exports/responses", headers=workspace.headers))
    ]
    head = _lines(client.get("/api/v1/exports/responses?limit=4", headers=workspace.headers))
    assert [line["id"] for line in head] == everything[:4]
    rest = _lines(
        client.get(
            "/api/v1/exports/responses",
            query_string={"cursor": head[-1]["export_cursor"]},
            headers=workspace.headers,
        )
    )
    assert [line["id"] for line in head + rest] == everything


def test_the_export_shows_nothing_of_another_workspace_and_refuses_bad_input(client, workspace, app):
    from surveys.workspace.service import create_api_key, create_workspace

    survey = create_survey(client, workspace.headers)
    _answers(client, workspace, survey["id"], [5], comment="")
    _age_all(app)
    with app.app_context():
        other = create_workspace(db.session, name="Other", slug="other")
        key = create_api_key(db.session, workspace=other, role="admin")[1]
        db.session.commit()
        db.session.remove()
    reply = client.get("/api/v1/exports/responses", headers={"Authorization": f"Bearer {key}"})
    assert _lines(reply) == []
    for query in ({"cursor": "not-a-cursor"}, {"updated_since": "yesterday"}, {"limit": 0}):
        bad = client.get("/api/v1/exports/responses", query_string=query, headers=workspace.headers)
        assert bad.status_code in (400, 422) and bad.mimetype == "application/problem+json", query
    assert client.get("/api/v1/exports/responses", headers=workspace.key_headers("ingest")).status_code == 403


def test_a_tag_correction_makes_the_answer_change_again(client, workspace, app, run_worker):
    from surveys.analysis.corrections import correct_tag
    from surveys.analysis.models import Theme

    survey = create_survey(client, workspace.headers)
    (answer_id,) = _answers(client, workspace, survey["id"], [2])
    _answers(client, workspace, survey["id"], [9], comment="")
    run_worker()
    _age_all(app, minutes=10)
    app.config["VOC_EXPORT_LAG_SECONDS"] = 0
    first = client.get("/api/v1/exports/responses", headers=workspace.headers)
    tagged = {t["name"] for t in _lines(first)[0]["analysis"]["themes"]}
    with app.app_context():  # an analyst adds a theme in the feedback explorer
        theme = next(
            t
            for t in db.session.query(Theme)
            .filter_by(workspace_id=workspace.workspace.id)
            .order_by(Theme.name)
            if t.name not in tagged
        )
        correct_tag(
            db.session,
            workspace_id=workspace.workspace.id,
            response_id=answer_id,
            theme_id=theme.id,
            action="add",
            user_id=None,
        )
        db.session.commit()
        added = theme.name
        db.session.remove()
    again = _lines(
        client.get(
            "/api/v1/exports/responses",
            query_string={"updated_since": first.headers["X-Export-Until"]},
            headers=workspace.headers,
        )
    )
    assert [line["id"] for line in again] == [answer_id]
    assert added in {t["name"] for t in again[0]["analysis"]["themes"]}
