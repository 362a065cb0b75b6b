"""Daily rollups: kept in step with every way a response changes, equal to a rebuild from raw
rows, and giving exactly the raw figures for every rollup-compatible question."""

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from surveys.metrics.models import SCORE_COLUMNS, DailyRollup
from surveys.metrics.rollups import rebuild
from surveys.metrics.service import compute_metrics
from surveys.response.models import Response
from surveys.response.service import widget_start, widget_update
from surveys.workspace.models import Workspace
from tests.support import metrics_data as data
from tests.support.helpers import create_survey, create_touchpoint


def _snapshot(db_session) -> dict:
    db_session.expire_all()
    rows = db_session.execute(select(DailyRollup)).scalars()
    return {
        (r.survey_id, r.day, r.touchpoint_key, r.dim, r.value): (
            r.responses,
            r.commented,
            *[getattr(r, c) for c in SCORE_COLUMNS],
        )
        for r in rows
        if r.responses or r.commented
    }


def test_rollups_follow_inserts_changes_completions_and_deletions(client, db_session, workspace):
    survey = create_survey(client, workspace.headers)
    data.post_all(client, workspace.headers, data.generate(2, 150, "nps", survey["id"]))
    ws = db_session.get(Workspace, workspace.workspace.id)
    responses = list(db_session.execute(select(Response).order_by(Response.id)).unique().scalars())
    responses[0].score = 10 if responses[0].score != 10 else 0  # a corrected score
    responses[1].attributes = {**responses[1].attributes, "plan": "moved-plan"}
    responses[2].submitted_at = responses[2].submitted_at + timedelta(days=3)
    responses[3].comment = None if responses[3].comment else "now with a comment"
    db_session.delete(responses[4])
    db_session.commit()
    partial = widget_start(db_session, workspace=ws, survey_id=survey["id"], score=3)
    db_session.commit()
    assert _snapshot(db_session) == _snapshot_after_rebuild(db_session)
    widget_update(
        db_session,
        workspace=ws,
        response_id=partial.id,
        edit_token=partial.edit_token,
        score=4,
        comment="late",
        final=True,
    )
    db_session.commit()
    incremental = _snapshot(db_session)
    assert incremental == _snapshot_after_rebuild(db_session)
    totals = [v for k, v in incremental.items() if k[3] == ""]
    assert sum(v[0] for v in totals) == 150  # 150 posted, one deleted, one widget answer completed


def _snapshot_after_rebuild(db_session) -> dict:
    rebuild(db_session)
    db_session.commit()
    after = _snapshot(db_session)
    assert after, "rebuild produced nothing"
    return after


def test_rollups_give_the_raw_figures_for_every_compatible_question(client, db_session, workspace):
    survey = create_survey(client, workspace.headers)
    touchpoint = create_touchpoint(client, workspace.headers, survey["id"])
    rows = data.generate(9, 400, "nps", survey["id"])
    data.post_all(client, workspace.headers, rows)
    # Some answers through a touchpoint, so grouping by touchpoint has two groups.
    for response in db_session.execute(select(Response).limit(120)).unique().scalars():
        response.touchpoint_id = touchpoint["id"]
    db_session.commit()
    rng = random.Random(4)
    windows = [(None, None)]
    for _ in range(6):
        start = data.START + timedelta(minutes=rng.randrange(data.DAYS * 1440))
        windows.append((start, start + timedelta(minutes=rng.randrange(60, 50 * 1440))))
    windows.append((data.START + timedelta(days=3), data.START + timedelta(days=40)))  # midnights
    for start, end in windows:
        for group_by in (None, "attributes.plan", "attributes.region", "touchpoint", "week", "month"):
            kwargs = dict(
                workspace_id=workspace.workspace.id,
                survey_id=survey["id"],
                start=start,
                end=end,
                group_by=group_by,
            )
            fast = compute_metrics(db_session, **kwargs)
            slow = compute_metrics(db_session, rollups=False, **kwargs)
            assert slow["source"] == "raw" and fast["source"] != "raw"
            fast.pop("source"), slow.pop("source")
            assert fast == slow, (start, end, group_by)


def test_rollups_rebuild_command_backfills_rows_loaded_behind_the_orm(app, client, db_session, workspace):
    survey = create_survey(client, workspace.headers)
    when = datetime(2026, 7, 1, 12, tzinfo=UTC)
    db_session.execute(
        insert(Response),
        [
            {
                "id": f"rsp_bulk{i:04d}",
                "workspace_id": workspace.workspace.id,
                "survey_id": survey["id"],
                "score": i % 11,
                "completed": True,
                "source": "import",
                "meta": {},
                "attributes": {"plan": "pro"},
                "submitted_at": when,
                "created_at": when,
                "updated_at": when,
                "analysis_status": "done",
                "analysis_attempts": 0,
            }
            for i in range(55)
        ],
    )
    db_session.commit()
    stale = compute_metrics(db_session, workspace_id=workspace.workspace.id, survey_id=survey["id"])
    assert stale["overall"]["responses"] == 0  # COPY-style loads bypass the upkeep
    result = app.test_cli_runner().invoke(args=["rollups", "rebuild", "--workspace", "acme"])
    assert result.exit_code == 0, result.output
    assert '"daily_rollup_rows": 3' in result.output  # total, plan and region rows of one day
    db_session.expire_all()
    fresh = compute_metrics(db_session, workspace_id=workspace.workspace.id, survey_id=survey["id"])
    raw = compute_metrics(
        db_session, workspace_id=workspace.workspace.id, survey_id=survey["id"], rollups=False
    )
    assert fresh["overall"] == raw["overall"] and fresh["overall"]["responses"] == 55
    bad = app.test_cli_runner().invoke(args=["rollups", "rebuild", "--workspace", "nope"])
    assert bad.exit_code != 0 and "No workspace" in bad.output


def test_segment_groups_from_rollups_equal_raw_rows(client, db_session, workspace):
    """Saved segments on one rolled-up attribute (eq, ne, in with plain strings) come from the
    daily rollups plus raw edge days; others (two attributes, a number, "exists") stay raw. Every
    window gives the raw figures, and a stored number or boolean that spells like a segment's
    value never counts as it."""
    survey = create_survey(client, workspace.headers)
    data.post_all(client, workspace.headers, data.generate(5, 300, "nps", survey["id"]))
    odd = list(db_session.execute(select(Response).order_by(Response.id).limit(3)).unique().scalars())
    odd[0].attributes = {**odd[0].attributes, "plan": 5}
    odd[1].attributes = {**odd[1].attributes, "plan": True}
    odd[2].attributes = {**odd[2].attributes, "plan": ""}
    db_session.commit()
    plan = sorted({p for p in data.PLANS})[0]
    for name, conditions in (
        ("one", [{"field": "attributes.plan", "op": "eq", "value": plan}]),
        ("not", [{"field": "attributes.plan", "op": "ne", "value": plan}]),
        ("some", [{"field": "attributes.plan", "op": "in", "value": [plan, "nope", "5", "true"]}]),
        ("five", [{"field": "attributes.plan", "op": "eq", "value": "5"}]),
        (
            "both",
            [
                {"field": "attributes.plan", "op": "eq", "value": plan},
                {"field": "attributes.region", "op": "ne", "value": "x"},
            ],
        ),
        ("has", [{"field": "attributes.plan", "op": "exists", "value": True}]),
        ("seats", [{"field": "attributes.seats", "op": "gt", "value": 100}]),
    ):
        reply = client.post(
            "/api/v1/segments", headers=workspace.headers, json={"name": name, "conditions": conditions}
        )
        assert reply.status_code == 201, reply.json
    rng = random.Random(8)
    windows = [(None, None), (data.START + timedelta(days=3), data.START + timedelta(days=40))]
    for _ in range(4):
        start = data.START + timedelta(minutes=rng.randrange(data.DAYS * 1440))
        windows.append((start, start + timedelta(minutes=rng.randrange(60, 50 * 1440))))
    for start, end in windows:
        kwargs = dict(
            workspace_id=workspace.workspace.id,
            survey_id=survey["id"],
            start=start,
            end=end,
            group_by="segment",
        )
        fast, slow = (
            compute_metrics(db_session, **kwargs),
            compute_metrics(db_session, rollups=False, **kwargs),
        )
        assert fast["groups"] == slow["groups"], (start, end)
        assert len(fast["groups"]) == 7 and any(g["responses"] for g in fast["groups"])
