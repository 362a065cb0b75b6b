"""Rollup dimensions beyond the built-in ones: every saved segment (any conditions) and attributes
added on purpose. Kept exact through batch inserts, ORM changes, deletions and a segment's own
changes (equal to a rebuild from raw rows), and giving exactly the raw figures."""

import random
from datetime import timedelta

from sqlalchemy import select

from surveys.analysis.models import Analysis, ResponseTheme, Theme
from surveys.metrics import dims, theme_rollups
from surveys.metrics.models import INTENT_COLUMNS, SCORE_COLUMNS, RollupDim, ThemeRollup
from surveys.metrics.rollups import rebuild
from surveys.metrics.service import compute_metrics
from surveys.metrics.theme_insights import theme_insights
from surveys.response.models import Response
from tests.support import metrics_data as data
from tests.support.helpers import create_survey
from tests.surveys.metrics.test_rollups import _snapshot

COMPLEX = [
    {"field": "attributes.plan", "op": "in", "value": ["pro", "enterprise"]},
    {"field": "attributes.seats", "op": "gt", "value": 120},
    {"field": "attributes.region", "op": "ne", "value": "apac"},
]


def _themes(db_session) -> dict:
    db_session.expire_all()
    return {
        (r.survey_id, r.day, r.segment_key, r.theme_id): (
            r.mentions,
            r.positive,
            r.neutral,
            r.negative,
            round(r.compound_sum, 6),
            *[getattr(r, c) for c in INTENT_COLUMNS.values()],
            *[getattr(r, c) for c in SCORE_COLUMNS],
        )
        for r in db_session.execute(select(ThemeRollup)).scalars()
        if r.mentions
    }


def _rebuilt(db_session) -> tuple[dict, dict]:
    rebuild(db_session)
    theme_rollups.rebuild_themes(db_session)
    db_session.commit()
    return _snapshot(db_session), _themes(db_session)


def _tag(db_session, workspace_id: str) -> None:
    rng = random.Random(3)
    themes = list(db_session.execute(select(Theme.id).where(Theme.workspace_id == workspace_id)).scalars())[
        :3
    ]
    for response in db_session.execute(select(Response).order_by(Response.id)).unique().scalars():
        if response.comment and rng.random() < 0.6:
            label = rng.choice(["positive", "neutral", "negative"])
            # An analysis row too, so the tick (theme_rollups.sync) folds the themes in.
            db_session.add(Analysis(response_id=response.id, analyzer_version="test", taxonomy_version=1))
            db_session.add(
                ResponseTheme(
                    response_id=response.id,
                    theme_id=rng.choice(themes),
                    workspace_id=workspace_id,
                    sentiment_label=label,
                    sentiment_compound={"positive": 0.5, "neutral": 0.0, "negative": -0.5}[label],
                    intent=rng.choice(["request", "complaint", "question", "praise", "other", None]),
                )
            )
    db_session.commit()


def _same_as_raw(db_session, workspace_id, survey_id, segment_id, windows) -> None:
    for start, end in windows:
        base = dict(workspace_id=workspace_id, survey_id=survey_id, start=start, end=end)
        for group_by in (None, "week", "touchpoint"):
            fast = compute_metrics(db_session, segment_id=segment_id, group_by=group_by, **base)
            slow = compute_metrics(
                db_session, segment_id=segment_id, group_by=group_by, rollups=False, **base
            )
            assert fast.pop("source") in ("rollups", "mixed") and slow.pop("source") == "raw"
            assert fast == slow, (start, end, group_by)
        fast = compute_metrics(db_session, group_by="segment", **base)
        slow = compute_metrics(db_session, group_by="segment", rollups=False, **base)
        assert fast["groups"] == slow["groups"]
        fast = theme_insights(db_session, segment_id=segment_id, **base)
        slow = theme_insights(db_session, segment_id=segment_id, rollups=False, **base)
        assert fast.pop("source") in ("rollups", "mixed") and slow.pop("source") == "raw"
        assert fast == slow, (start, end)
        # Tags fall on random answers (ids order them), so a short window may hold none; the
        # whole range always holds some, so the comparison is never of two empty lists.
        assert fast["items"] or start is not None, "no theme mentions at all"


def _intents_counted_as_in_python(db_session, themes: dict) -> None:
    """The all-answers rows' intent counts, per theme, equal a count of the raw mention rows."""
    expected: dict[tuple[str, str], int] = {}
    rows = db_session.execute(
        select(ResponseTheme.theme_id, ResponseTheme.intent)
        .join(Response, Response.id == ResponseTheme.response_id)
        .where(Response.completed.is_(True))
    )
    for theme_id, intent in rows:
        if intent in INTENT_COLUMNS:
            expected[theme_id, intent] = expected.get((theme_id, intent), 0) + 1
    counted: dict[tuple[str, str], int] = {}
    for (_, _, segment_key, theme_id), figures in themes.items():
        for k, intent in enumerate(INTENT_COLUMNS):
            if not segment_key and figures[5 + k]:
                counted[theme_id, intent] = counted.get((theme_id, intent), 0) + figures[5 + k]
    assert counted == expected and len(expected) > 4


def test_segment_rollups_stay_exact_through_every_change(client, db_session, workspace):
    survey = create_survey(client, workspace.headers)
    ws_id = workspace.workspace.id
    # Theme rollups exist first, so the segment gets theme rows when it is saved.
    theme_rollups.rebuild_themes(db_session)
    db_session.commit()
    segment = client.post(
        "/api/v1/segments", headers=workspace.headers, json={"name": "Big", "conditions": COMPLEX}
    ).json
    assert db_session.get(RollupDim, (ws_id, f"segment.{segment['id']}")) is not None
    # Answers after the segment: the batch path counts them into the segment's rows.
    data.post_all(client, workspace.headers, data.generate(21, 400, "nps", survey["id"]))
    _tag(db_session, ws_id)
    theme_rollups.sync(db_session)
    db_session.commit()
    # ORM changes that move answers into and out of the segment, and a deletion.
    responses = list(db_session.execute(select(Response).order_by(Response.id)).unique().scalars())
    responses[0].attributes = {**responses[0].attributes, "plan": "pro", "seats": 400, "region": "na"}
    responses[1].attributes = {**responses[1].attributes, "seats": 1}
    responses[2].score = 0 if responses[2].score else 10
    db_session.delete(responses[3])
    db_session.commit()
    incremental = (_snapshot(db_session), _themes(db_session))
    assert any(k[3] == f"segment.{segment['id']}" for k in incremental[0])
    assert any(k[2] == segment["id"] for k in incremental[1])
    assert incremental == _rebuilt(db_session)
    _intents_counted_as_in_python(db_session, incremental[1])

    rng = random.Random(11)
    windows = [(None, None)]
    for _ in range(3):
        start = data.START + timedelta(minutes=rng.randrange(data.DAYS * 1440))
        windows.append((start, start + timedelta(minutes=rng.randrange(600, 60 * 1440))))
    _same_as_raw(db_session, ws_id, survey["id"], segment["id"], windows)

    # Changed conditions: the segment's rows are rebuilt with the save.
    reply = client.patch(
        f"/api/v1/segments/{segment['id']}",
        headers=workspace.headers,
        json={"conditions": [{"field": "attributes.seats", "op": "lte", "value": 50}]},
    )
    assert reply.status_code == 200, reply.json
    db_session.expire_all()
    changed = (_snapshot(db_session), _themes(db_session))
    assert changed != incremental and changed == _rebuilt(db_session)
    _same_as_raw(db_session, ws_id, survey["id"], segment["id"], windows[:2])

    # Deleted: its rows and its entry go.
    assert client.delete(f"/api/v1/segments/{segment['id']}", headers=workspace.headers).status_code == 204
    db_session.expire_all()
    assert not any(k[3].startswith("segment.") for k in _snapshot(db_session))
    assert not any(k[2] for k in _themes(db_session))
    assert db_session.get(RollupDim, (ws_id, f"segment.{segment['id']}")) is None


def test_segment_saved_over_existing_answers_and_rebuild_registers_old_segments(
    client, db_session, workspace
):
    survey = create_survey(client, workspace.headers)
    ws_id = workspace.workspace.id
    data.post_all(client, workspace.headers, data.generate(22, 300, "nps", survey["id"]))
    segment = client.post(
        "/api/v1/segments", headers=workspace.headers, json={"name": "Big", "conditions": COMPLEX}
    ).json
    built = _snapshot(db_session)
    assert any(k[3] == f"segment.{segment['id']}" for k in built)
    # A segment saved before its rollups existed (as after migration 0012) is listed and built
    # by the rebuild.
    db_session.query(RollupDim).delete()
    db_session.commit()
    assert (
        compute_metrics(db_session, workspace_id=ws_id, survey_id=survey["id"], segment_id=segment["id"])[
            "source"
        ]
        == "raw"
    )
    assert _rebuilt(db_session)[0] == built
    assert (
        compute_metrics(db_session, workspace_id=ws_id, survey_id=survey["id"], segment_id=segment["id"])[
            "source"
        ]
        == "rollups"
    )


def test_added_attribute_groups_from_rollups(app, client, db_session, workspace):
    survey = create_survey(client, workspace.headers)
    ws_id = workspace.workspace.id
    data.post_all(client, workspace.headers, data.generate(23, 300, "nps", survey["id"]))
    base = dict(workspace_id=ws_id, survey_id=survey["id"], group_by="attributes.seats")
    assert compute_metrics(db_session, **base)["source"] == "raw"
    added = app.test_cli_runner().invoke(args=["rollups", "add-attribute", "--workspace", "acme", "seats"])
    assert added.exit_code == 0 and '"added": true' in added.output, added.output
    bad = app.test_cli_runner().invoke(args=["rollups", "add-attribute", "--workspace", "acme", "a b"])
    assert bad.exit_code != 0 and "letters, digits" in bad.output
    db_session.expire_all()
    assert dims.add_attribute(db_session, workspace_id=ws_id, name="seats") is False
    assert dims.attributes(db_session, workspace_id=ws_id) == ["plan", "region", "seats"]
    data.post_all(client, workspace.headers, data.generate(24, 200, "nps", survey["id"]))
    response = db_session.execute(select(Response).limit(1)).unique().scalar_one()
    response.attributes = {**response.attributes, "seats": "many"}
    db_session.commit()
    start = data.START + timedelta(days=2, hours=5)
    for window in ({}, {"start": start, "end": start + timedelta(days=30)}):
        fast = compute_metrics(db_session, **base, **window)
        slow = compute_metrics(db_session, **base, **window, rollups=False)
        assert fast.pop("source") in ("rollups", "mixed") and slow.pop("source") == "raw"
        assert fast == slow and len(fast["groups"]) > 100
    incremental = _snapshot(db_session)
    assert incremental == _rebuilt(db_session)[0]
