"""GET /api/v1/insights/themes: mentions, share, sentiment, score with and without each theme,
impact (key driver) and trend, checked against plain-Python arithmetic, from raw rows and from
theme rollups alike; plus one run through the real analysis worker."""

import random
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select

from nlp.results import INTENTS
from surveys.analysis.models import Analysis, ResponseTheme, Theme
from surveys.metrics import theme_rollups
from surveys.metrics.theme_insights import mean_compound, theme_insights
from surveys.response.models import Response
from tests.support import metrics_data as data
from tests.support.helpers import create_survey


def _tag(db_session, workspace_id: str) -> dict:
    """Tag generated answers: 'integrations' on the SSO complaints, 'billing' at random."""
    rng = random.Random(5)
    themes = dict(
        db_session.execute(select(Theme.name, Theme.id).where(Theme.workspace_id == workspace_id)).all()
    )
    tags: dict[str, list[tuple[Response, str, float, str | None]]] = {"integrations": [], "billing": []}
    for response in db_session.execute(select(Response).order_by(Response.id)).unique().scalars():
        if response.comment and "SSO" in response.comment:
            tags["integrations"].append((response, "negative", -0.6, rng.choice(["request", "complaint"])))
        if response.comment and rng.random() < 0.3:
            label = rng.choice(["positive", "neutral", "negative"])
            compound = {"positive": 0.5, "neutral": 0.0, "negative": -0.4}[label]
            # None: a mention stored before intents existed (counted as "other").
            tags["billing"].append((response, label, compound, rng.choice([*INTENTS, None])))
    for name, rows in tags.items():
        for response, label, compound, intent in rows:
            db_session.add(
                ResponseTheme(
                    response_id=response.id,
                    theme_id=themes[name],
                    workspace_id=workspace_id,
                    sentiment_label=label,
                    sentiment_compound=compound,
                    intent=intent,
                )
            )
    db_session.commit()
    return tags


def _expected(rows_by_id: dict, tags: dict, name: str) -> dict:
    tagged = {response.id for response, *_ in tags[name]}
    scores = [row["score"] for row in rows_by_id.values()]
    without = [row["score"] for rid, row in rows_by_id.items() if rid not in tagged]
    overall, _ = data.nps(scores)
    with_score, _ = data.nps([rows_by_id[rid]["score"] for rid in tagged])
    labels = Counter(label for _, label, _, _ in tags[name])
    intents = Counter(intent or "other" for *_, intent in tags[name])
    commented = sum(1 for row in rows_by_id.values() if row["comment"])
    months = Counter(rows_by_id[rid]["submitted_at"][:7] for rid in tagged)
    return {
        "mentions": len(tagged),
        "share": len(tagged) / commented,
        "with": with_score,
        "impact": overall - data.nps(without)[0],
        "labels": labels,
        "mean": sum(c for _, _, c, _ in tags[name]) / len(tagged),
        "intents": {name: intents[name] for name in INTENTS},
        "months": months,
    }


def test_theme_insights_match_the_definitions_from_raw_rows_and_rollups(client, db_session, workspace):
    survey = create_survey(client, workspace.headers)
    rows = data.generate(13, 300, "nps", survey["id"])
    data.post_all(client, workspace.headers, rows)
    external = {r["id"]: r for r in rows}
    rows_by_id = {
        rid: external[ext] for rid, ext in db_session.execute(select(Response.id, Response.external_id)).all()
    }
    tags = _tag(db_session, workspace.workspace.id)

    def fetch(**params):
        reply = client.get(
            "/api/v1/insights/themes",
            headers=workspace.key_headers("analyst"),
            query_string={"survey_id": survey["id"], **params},
        )
        assert reply.status_code == 200, reply.json
        return reply.json

    raw = fetch()
    assert raw["source"] == "raw"  # theme rollups never built yet
    theme_rollups.sync(db_session)
    db_session.commit()
    rolled = fetch()
    assert rolled["source"] == "rollups"
    raw.pop("source"), rolled.pop("source")
    assert raw == rolled

    names = [item["name"] for item in rolled["items"]]
    assert set(names) == {"integrations", "billing"}
    impacts = [item["impact"] for item in rolled["items"]]
    assert impacts == sorted(impacts)  # most harmful first
    for item in rolled["items"]:
        expected = _expected(rows_by_id, tags, item["name"])
        assert item["mentions"] == expected["mentions"]
        assert data.close(item["share"], expected["share"], 0.0001)
        assert data.close(item["with_theme"]["score"], expected["with"])
        assert data.close(item["impact"], expected["impact"], 0.011)
        assert item["with_theme"]["responses"] + item["without_theme"]["responses"] == 300
        sentiment = item["sentiment"]
        assert (sentiment["positive"], sentiment["neutral"], sentiment["negative"]) == (
            expected["labels"]["positive"],
            expected["labels"]["neutral"],
            expected["labels"]["negative"],
        )
        assert data.close(sentiment["mean_compound"], expected["mean"], 0.0001)
        assert item["intents"] == expected["intents"]
        assert {t["period"]: t["mentions"] for t in item["trend"]} == dict(expected["months"])
    integrations = next(i for i in rolled["items"] if i["name"] == "integrations")
    assert integrations["impact"] is not None

    # ?intent= keeps the themes with such mentions, most first, with the same figures.
    by_name = {item["name"]: item for item in rolled["items"]}
    for intent in INTENTS:
        ranked = fetch(intent=intent)
        assert ranked["source"] == "rollups" and ranked["intent"] == intent
        expected = sorted(
            (i for i in rolled["items"] if i["intents"][intent]), key=lambda i: -i["intents"][intent]
        )
        assert [i["name"] for i in ranked["items"]] == [i["name"] for i in expected]
        assert all(item == by_name[item["name"]] for item in ranked["items"])
    assert [i["name"] for i in fetch(intent="praise")["items"]] == ["billing"]  # no SSO praise


def test_theme_insights_windows_segments_and_stale_rollups_agree_with_raw(client, db_session, workspace):
    survey = create_survey(client, workspace.headers)
    data.post_all(client, workspace.headers, data.generate(17, 250, "nps", survey["id"]))
    _tag(db_session, workspace.workspace.id)
    theme_rollups.sync(db_session)
    db_session.commit()
    segment = client.post(
        "/api/v1/segments",
        headers=workspace.headers,
        json={"name": "Pro", "conditions": [{"field": "attributes.plan", "op": "eq", "value": "pro"}]},
    ).json
    base = dict(workspace_id=workspace.workspace.id, survey_id=survey["id"])
    window = dict(start=datetime(2026, 5, 20, 8, 30, tzinfo=UTC), end=datetime(2026, 7, 3, 17, tzinfo=UTC))
    for kwargs, source in (
        (window, "mixed"),
        ({**window, "interval": "week"}, "mixed"),
        # A saved segment has theme rollups of its own (built when it was saved).
        ({"segment_id": segment["id"]}, "rollups"),
        ({**window, "segment_id": segment["id"]}, "mixed"),
    ):
        fast = theme_insights(db_session, **base, **kwargs)
        slow = theme_insights(db_session, **base, rollups=False, **kwargs)
        assert fast.pop("source") == source and slow.pop("source") == "raw"
        assert fast == slow and fast["items"], kwargs
    pro = theme_insights(db_session, **base, segment_id=segment["id"])
    everyone = theme_insights(db_session, **base)
    assert pro["overall"]["responses"] < everyone["overall"]["responses"]

    # A newer analysis than the rollups know of: readers fall back to raw rows until the tick.
    response_id = db_session.execute(select(Response.id).limit(1)).scalar_one()
    db_session.add(Analysis(response_id=response_id, analyzer_version="test", taxonomy_version=1))
    db_session.commit()
    assert theme_insights(db_session, **base)["source"] == "raw"
    theme_rollups.sync(db_session)
    db_session.commit()
    assert theme_insights(db_session, **base)["source"] == "rollups"


def test_theme_insights_bad_queries_are_problems(client, db_session, workspace):
    from surveys.workspace.service import create_api_key, create_workspace

    survey = create_survey(client, workspace.headers)
    other = create_workspace(db_session, name="Other", slug="other")
    _, key = create_api_key(db_session, workspace=other, role="admin")
    db_session.commit()
    for params, headers, status in (
        ({}, workspace.headers, 422),
        ({"survey_id": survey["id"], "interval": "day"}, workspace.headers, 422),
        ({"survey_id": survey["id"], "intent": "angry"}, workspace.headers, 422),
        ({"survey_id": survey["id"], "segment_id": "seg_x"}, workspace.headers, 404),
        ({"survey_id": survey["id"]}, {"Authorization": f"Bearer {key}"}, 404),
        ({"survey_id": survey["id"]}, workspace.key_headers("ingest"), 403),
    ):
        reply = client.get("/api/v1/insights/themes", query_string=params, headers=headers)
        assert reply.status_code == status, (params, reply.json)
        assert reply.mimetype == "application/problem+json"
    empty = client.get(
        "/api/v1/insights/themes", query_string={"survey_id": survey["id"]}, headers=workspace.headers
    ).json
    assert empty["items"] == [] and empty["overall"]["responses"] == 0


def test_theme_insights_after_the_real_analysis_worker(client, workspace, run_worker):
    survey = create_survey(client, workspace.headers)
    comments = [
        "The invoice was wrong and billing charged us twice.",
        "Billing is a mess, refund took weeks.",
        "Great support team, answered in minutes.",
        "Support solved it on the first reply.",
    ]
    data.post_all(
        client,
        workspace.headers,
        [
            {"survey_id": survey["id"], "score": score, "comment": comment}
            for score, comment in zip((2, 3, 10, 9), comments, strict=True)
        ],
    )
    assert run_worker() >= 1
    reply = client.get(
        "/api/v1/insights/themes", query_string={"survey_id": survey["id"]}, headers=workspace.headers
    )
    items = {item["name"]: item for item in reply.json["items"]}
    assert items["billing"]["mentions"] == 2 and items["billing"]["sentiment"]["negative"] >= 1
    assert items["billing"]["with_theme"]["score"] == -100.0
    assert items["billing"]["impact"] < 0 < items["support"]["impact"]
    assert reply.json["items"][0]["name"] == "billing"


def test_theme_rollups_follow_answers_changed_or_deleted_through_the_orm(client, db_session, workspace):
    survey = create_survey(client, workspace.headers)
    data.post_all(client, workspace.headers, data.generate(23, 120, "nps", survey["id"]))
    tags = _tag(db_session, workspace.workspace.id)
    theme_rollups.sync(db_session)
    db_session.commit()
    billing = [response for response, *_ in tags["billing"]]
    db_session.delete(billing[0])
    billing[1].score = 0 if billing[1].score else 10
    billing[2].submitted_at = billing[2].submitted_at.replace(year=2025)
    db_session.commit()
    base = dict(workspace_id=workspace.workspace.id, survey_id=survey["id"])
    fast, slow = theme_insights(db_session, **base), theme_insights(db_session, **base, rollups=False)
    assert fast.pop("source") == "rollups" and slow.pop("source") == "raw"
    assert fast == slow
    assert next(i for i in fast["items"] if i["name"] == "billing")["mentions"] == len(billing) - 1


# 16 compounds (4 places, as VADER gives them) summing to exactly -1.3: a mean of -0.08125, on a
# rounding boundary. Added as floats in the order given the sum is -1.2999999999999998, sorted
# it is -1.3000000000000007, and rounding those means alone gives -0.0812 and -0.0813.
BOUNDARY = [-0.5241, 0.0885, -0.2601, 0.2078, 0.2514, -0.8689, -0.9737, 0.6749, -0.4813, -0.5313,
            0.9913, -0.0595, 0.6729, -0.0473, 0.2781, -0.7187]  # fmt: skip


def test_mean_compound_does_not_depend_on_the_order_the_sum_was_added_in():
    exact = sum(Decimal(str(c)) for c in BOUNDARY) / len(BOUNDARY)
    assert exact == Decimal("-0.08125")
    orders = [BOUNDARY, sorted(BOUNDARY), sorted(BOUNDARY, reverse=True)]
    shuffler = random.Random(7)
    for _ in range(50):
        orders.append(shuffler.sample(BOUNDARY, len(BOUNDARY)))
    sums = {sum(order) for order in orders}
    assert len({round(s / len(BOUNDARY), 4) for s in sums}) == 2  # the case the rounding is for
    means = {mean_compound(s, len(BOUNDARY)) for s in sums}
    assert len(means) == 1
    assert abs(Decimal(str(means.pop())) - exact) <= Decimal("0.00005")
