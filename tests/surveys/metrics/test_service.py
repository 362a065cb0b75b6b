"""GET /api/v1/metrics and /metrics/response-rates against PostgreSQL: the figures are checked
against the definitions, computed here in plain Python for a few hundred generated answers."""

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from surveys.invitation.models import Invitation
from surveys.response.models import Response
from surveys.tick import run_tick
from tests.support import metrics_data as data
from tests.support.helpers import create_survey, create_touchpoint, event


def _when(row: dict) -> datetime:
    return datetime.fromisoformat(row["submitted_at"])


def _get(client, headers, **params):
    reply = client.get("/api/v1/metrics", query_string=params, headers=headers)
    assert reply.status_code == 200, reply.json
    return reply.json


def _check(summary: dict, scores: list[int], compute) -> None:
    score, ci = compute(scores)
    assert summary["responses"] == len(scores)
    assert data.close(summary["score"], score), (summary, score)
    assert data.close(summary["ci95"], ci), (summary, ci)
    assert summary["small_sample"] == (len(scores) < 30)


def _partial(db_session, workspace_id: str, survey_id: str) -> None:
    """Widget taps never finished: they must count nowhere."""
    for score in (0, 0, 1, 10):
        db_session.add(
            Response(
                workspace_id=workspace_id,
                survey_id=survey_id,
                score=score,
                completed=False,
                source="widget",
                meta={},
                attributes={"plan": "pro"},
                submitted_at=datetime(2026, 6, 2, tzinfo=UTC),
            )
        )
    db_session.commit()


def test_metrics_nps_matches_the_definition_overall_and_by_group(client, db_session, workspace):
    survey = create_survey(client, workspace.headers)
    rows = data.generate(7, 320, "nps", survey["id"])
    data.post_all(client, workspace.headers, rows)
    _partial(db_session, workspace.workspace.id, survey["id"])
    headers = workspace.key_headers("analyst")

    result = _get(client, headers, survey_id=survey["id"])
    assert result["kind"] == "nps" and result["source"] == "rollups"
    overall = result["overall"]
    _check(overall, [r["score"] for r in rows], data.nps)
    assert overall["promoters"] == sum(r["score"] >= 9 for r in rows)
    assert overall["detractors"] == sum(r["score"] <= 6 for r in rows)
    assert overall["passives"] == len(rows) - overall["promoters"] - overall["detractors"]

    for group_by, key_of in (
        ("attributes.plan", lambda r: r["contact"]["attributes"].get("plan")),
        ("month", lambda r: _when(r).strftime("%Y-%m")),
        ("week", lambda r: (_when(r).date() - timedelta(days=_when(r).weekday())).isoformat()),
    ):
        expected = defaultdict(list)
        for row in rows:
            expected[key_of(row)].append(row["score"])
        groups = _get(client, headers, survey_id=survey["id"], group_by=group_by)["groups"]
        assert {g["key"] for g in groups} == set(expected), group_by
        for group in groups:
            _check(group, expected[group["key"]], data.nps)
        if group_by in ("month", "week"):
            assert [g["key"] for g in groups] == sorted(expected)


def test_metrics_time_window_with_partial_days_matches_raw_rows(client, workspace):
    survey = create_survey(client, workspace.headers)
    rows = data.generate(11, 300, "nps", survey["id"])
    data.post_all(client, workspace.headers, rows)
    start = data.START + timedelta(days=20, hours=7, minutes=13)
    end = data.START + timedelta(days=75, hours=15)
    inside = [r for r in rows if start <= _when(r) < end]
    result = _get(
        client,
        workspace.headers,
        survey_id=survey["id"],
        **{"from": start.isoformat(), "to": end.isoformat(), "group_by": "attributes.region"},
    )
    assert result["source"] == "mixed"  # whole days from rollups, the two edges from raw rows
    _check(result["overall"], [r["score"] for r in inside], data.nps)
    for group in result["groups"]:
        scores = [r["score"] for r in inside if r["contact"]["attributes"]["region"] == group["key"]]
        _check(group, scores, data.nps)


def test_metrics_group_by_unrolled_attribute_reads_raw_rows(client, workspace):
    survey = create_survey(client, workspace.headers)
    rows = data.generate(5, 200, "nps", survey["id"])
    for row in rows:
        row["contact"]["attributes"]["tier"] = "gold" if row["score"] % 2 else "silver"
    data.post_all(client, workspace.headers, rows)
    result = _get(client, workspace.headers, survey_id=survey["id"], group_by="attributes.tier")
    assert result["source"] == "raw"
    for group in result["groups"]:
        _check(
            group, [r["score"] for r in rows if r["contact"]["attributes"]["tier"] == group["key"]], data.nps
        )


def test_metrics_csat_uses_wilson_and_ces_a_t_interval(client, workspace):
    csat = create_survey(client, workspace.headers, kind="csat", name="Support CSAT")
    ces = create_survey(client, workspace.headers, kind="ces", name="Effort")
    csat_rows = data.generate(3, 150, "csat", csat["id"])
    ces_rows = data.generate(4, 100, "ces", ces["id"])
    data.post_all(client, workspace.headers, csat_rows + ces_rows)

    result = _get(client, workspace.headers, survey_id=csat["id"])
    assert result["kind"] == "csat"
    _check(result["overall"], [r["score"] for r in csat_rows], data.csat)
    assert result["overall"]["promoters"] == sum(r["score"] >= 4 for r in csat_rows)

    result = _get(client, workspace.headers, survey_id=ces["id"])
    # Student t, 0.975 quantile, 99 degrees of freedom.
    _check(result["overall"], [r["score"] for r in ces_rows], lambda s: data.ces(s, 1.984217))


def test_metrics_small_samples_are_flagged_and_empty_ones_have_no_score(client, workspace):
    survey = create_survey(client, workspace.headers)
    empty = _get(client, workspace.headers, survey_id=survey["id"])["overall"]
    assert empty == {
        "responses": 0,
        "score": None,
        "promoters": 0,
        "passives": 0,
        "detractors": 0,
        "ci95": None,
        "small_sample": True,
    }
    data.post_all(client, workspace.headers, data.generate(1, 12, "nps", survey["id"]))
    overall = _get(client, workspace.headers, survey_id=survey["id"])["overall"]
    assert overall["responses"] == 12 and overall["small_sample"] is True


def test_metrics_bad_queries_are_problems_and_other_workspaces_invisible(client, db_session, workspace):
    from surveys.workspace.service import create_api_key, create_workspace

    survey = create_survey(client, workspace.headers)
    other = create_workspace(db_session, name="Other", slug="other")
    _, other_key = create_api_key(db_session, workspace=other, role="admin")
    db_session.commit()
    other_headers = {"Authorization": f"Bearer {other_key}"}
    cases = [
        ({}, 422),
        ({"survey_id": survey["id"], "group_by": "colour"}, 422),
        ({"survey_id": survey["id"], "from": "yesterday"}, 422),
        ({"survey_id": survey["id"], "from": "2026-05-02T00:00:00Z", "to": "2026-05-01T00:00:00Z"}, 422),
        ({"survey_id": "sv_nope"}, 404),
        ({"survey_id": survey["id"], "segment_id": "seg_x"}, 404),
        ({"survey_id": survey["id"], "group_by": "attributes."}, 422),
    ]
    for params, status in cases:
        reply = client.get("/api/v1/metrics", query_string=params, headers=workspace.headers)
        assert reply.status_code == status, (params, reply.json)
        assert reply.mimetype == "application/problem+json"
    reply = client.get("/api/v1/metrics", query_string={"survey_id": survey["id"]}, headers=other_headers)
    assert reply.status_code == 404
    ingest = client.get(
        "/api/v1/metrics", query_string={"survey_id": survey["id"]}, headers=workspace.key_headers("ingest")
    )
    assert ingest.status_code == 403


def test_response_rates_count_scheduled_sent_answered_and_suppressed(client, db_session, workspace):
    survey = create_survey(client, workspace.headers)
    touchpoint = create_touchpoint(client, workspace.headers, survey["id"], recontact_days=30)
    for contact in ("ann", "ann", "bob"):
        reply = client.post("/api/v1/events", json=event(contact=contact), headers=workspace.headers)
        assert reply.status_code == 202, reply.json
    run_tick(db_session)  # link invitations count as sent when due
    token = db_session.execute(
        select(Invitation.token).where(Invitation.status == "sent").limit(1)
    ).scalar_one()
    assert client.post(f"/s/{token}", data={"score": "9", "action": "submit"}).status_code == 200

    reply = client.get("/api/v1/metrics/response-rates", headers=workspace.headers)
    assert reply.status_code == 200, reply.json
    [item] = [i for i in reply.json["items"] if i["touchpoint_id"] == touchpoint["id"]]
    assert (item["invitations"], item["scheduled"], item["sent"], item["answered"]) == (3, 2, 2, 1)
    assert item["suppressed"] == 1
    assert item["suppressed_by_reason"] == {"recently_contacted": 1}
    assert item["response_rate"] == 0.5
    assert item["opened"] == 1  # the press on the form: a person, not a scanner
    assert "mail scanners" in reply.json["notes"][0]
