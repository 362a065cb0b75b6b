"""Segments: CRUD through the API, the SQL translation agreeing with the touchpoint rule
semantics (surveys.core.conditions) on every kind of JSON value, and ``segment_id=`` as a filter."""

import itertools
from datetime import UTC, datetime

from sqlalchemy import select

from surveys.core.conditions import conditions_match
from surveys.response.models import Response
from surveys.segment.service import segment_clause
from tests.support import metrics_data as data
from tests.support.helpers import create_survey

ENTERPRISE = {
    "name": "Enterprise",
    "description": "Big accounts",
    "conditions": [{"field": "attributes.plan", "op": "eq", "value": "enterprise"}],
}


def test_segments_crud_validation_and_isolation(client, db_session, workspace):
    from surveys.workspace.service import create_api_key, create_workspace

    analyst = workspace.key_headers("analyst")
    created = client.post("/api/v1/segments", json=ENTERPRISE, headers=analyst)
    assert created.status_code == 201, created.json
    segment = created.json
    assert segment["conditions"] == ENTERPRISE["conditions"] and segment["id"].startswith("seg_")
    assert client.post("/api/v1/segments", json=ENTERPRISE, headers=analyst).status_code == 409
    listed = client.get("/api/v1/segments", headers=analyst).json
    assert [s["id"] for s in listed["items"]] == [segment["id"]]
    patched = client.patch(
        f"/api/v1/segments/{segment['id']}",
        headers=analyst,
        json={"conditions": [{"field": "attributes.arr", "op": "gte", "value": 50000}]},
    )
    assert patched.status_code == 200 and patched.json["name"] == "Enterprise"
    assert patched.json["conditions"][0]["op"] == "gte"

    bad = [
        {"name": "x", "conditions": [{"field": "contact.plan", "op": "eq", "value": "a"}]},
        {"name": "x", "conditions": [{"field": "attributes.plan", "op": "like", "value": "a"}]},
        {"name": "x", "conditions": [{"field": "attributes.plan", "op": "in", "value": "a"}]},
        {"name": "x", "conditions": [{"field": "attributes.plan", "op": "gt", "value": True}]},
        {"name": "x", "conditions": [{"field": "attributes.plan", "op": "eq", "value": {"a": 1}}]},
        {"name": "x", "conditions": [{"field": "attributes.plan", "op": "exists", "value": "y"}]},
        {"name": "", "conditions": []},
        {"conditions": []},
        {"name": "x\u0000", "conditions": []},
        {"name": "x", "conditions": [], "colour": "red"},
    ]
    for body in bad:
        reply = client.post("/api/v1/segments", json=body, headers=analyst)
        assert reply.status_code == 422, (body, reply.json)
        assert reply.mimetype == "application/problem+json" and reply.json["errors"]
    assert (
        client.post("/api/v1/segments", json=ENTERPRISE, headers=workspace.key_headers("ingest")).status_code
        == 403
    )

    other = create_workspace(db_session, name="Other", slug="other")
    _, key = create_api_key(db_session, workspace=other, role="admin")
    db_session.commit()
    stranger = {"Authorization": f"Bearer {key}"}
    for method in ("get", "patch", "delete"):
        reply = getattr(client, method)(
            f"/api/v1/segments/{segment['id']}",
            headers=stranger,
            **({"json": {"name": "mine"}} if method == "patch" else {}),
        )
        assert reply.status_code == 404, method
    assert client.get("/api/v1/segments", headers=stranger).json["items"] == []
    assert client.delete(f"/api/v1/segments/{segment['id']}", headers=analyst).status_code == 204
    assert client.get(f"/api/v1/segments/{segment['id']}", headers=analyst).status_code == 404


VALUES = ["pro", "Pro", "enterprise", "", "10", 10, 10.0, 9.5, 11, 0, True, False, None, [1], {"a": 1}]
CONDITIONS = (
    [
        {"field": "attributes.v", "op": op, "value": value}
        for op in ("eq", "ne")
        for value in ("pro", "10", 10, 9.5, True, False, None, "")
    ]
    + [
        {"field": "attributes.v", "op": op, "value": value}
        for op in ("gt", "gte", "lt", "lte")
        for value in (10, 9.5, "pro", "a", "")
    ]
    + [
        {"field": "attributes.v", "op": "in", "value": ["pro", 10, None]},
        {"field": "attributes.v", "op": "in", "value": ["enterprise", False]},
        {"field": "attributes.v", "op": "exists", "value": True},
        {"field": "attributes.v", "op": "exists", "value": False},
        {"field": "attributes.missing", "op": "ne", "value": "x"},
        {"field": "attributes.missing", "op": "eq", "value": None},
    ]
)


def test_segment_sql_agrees_with_the_rule_semantics(client, db_session, workspace):
    survey = create_survey(client, workspace.headers)
    rows = [{"v": value} for value in VALUES] + [{}]
    for attributes in rows:
        db_session.add(
            Response(
                workspace_id=workspace.workspace.id,
                survey_id=survey["id"],
                score=5,
                source="api",
                meta={},
                attributes=attributes,
                submitted_at=datetime(2026, 6, 1, tzinfo=UTC),
            )
        )
    db_session.commit()
    stored = db_session.execute(select(Response.id, Response.attributes)).all()
    checks = [[c] for c in CONDITIONS] + [list(p) for p in itertools.combinations(CONDITIONS[:6], 2)]
    for conditions in checks:
        # Booleans are not numbers on either side (JSON's types, not Python's True == 1).
        expected = {rid for rid, attrs in stored if conditions_match(conditions, {"attributes": attrs})}
        got = set(
            db_session.execute(select(Response.id).where(segment_clause(db_session, conditions))).scalars()
        )
        assert got == expected, conditions


def test_segment_filters_responses_and_metrics(client, workspace):
    survey = create_survey(client, workspace.headers)
    rows = data.generate(21, 200, "nps", survey["id"])
    data.post_all(client, workspace.headers, rows)
    starter_emea = client.post(
        "/api/v1/segments",
        headers=workspace.headers,
        json={
            "name": "Starter in EMEA",
            "conditions": [
                {"field": "attributes.plan", "op": "eq", "value": "starter"},
                {"field": "attributes.region", "op": "eq", "value": "emea"},
            ],
        },
    ).json
    enterprise = client.post("/api/v1/segments", json=ENTERPRISE, headers=workspace.headers).json

    def members(segment_conditions):
        return [
            r
            for r in rows
            if conditions_match(segment_conditions, {"attributes": r["contact"]["attributes"]})
        ]

    expected = members(starter_emea["conditions"])
    listed = client.get(
        "/api/v1/responses",
        headers=workspace.headers,
        query_string={"segment_id": starter_emea["id"], "limit": 500},
    ).json
    assert sorted(i["score"] for i in listed["items"]) == sorted(r["score"] for r in expected)
    assert (
        client.get(
            "/api/v1/responses", headers=workspace.headers, query_string={"segment_id": "seg_nope"}
        ).status_code
        == 404
    )

    result = client.get(
        "/api/v1/metrics",
        headers=workspace.headers,
        query_string={
            "survey_id": survey["id"],
            "segment_id": enterprise["id"],
            "group_by": "attributes.region",
        },
    ).json
    assert result["source"] == "raw"
    score, ci = data.nps([r["score"] for r in members(ENTERPRISE["conditions"])])
    assert data.close(result["overall"]["score"], score) and data.close(result["overall"]["ci95"], ci)

    grouped = client.get(
        "/api/v1/metrics",
        headers=workspace.headers,
        query_string={"survey_id": survey["id"], "group_by": "segment"},
    ).json
    by_name = {g["label"]: g for g in grouped["groups"]}
    assert set(by_name) == {"Enterprise", "Starter in EMEA"}
    assert by_name["Starter in EMEA"]["responses"] == len(expected)
    assert by_name["Starter in EMEA"]["key"] == starter_emea["id"]
    assert data.close(by_name["Enterprise"]["score"], score)
