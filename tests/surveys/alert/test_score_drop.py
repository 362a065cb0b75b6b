"""Score-drop rules end to end on the daily rollups: a known drop fires with the test, the
difference and its interval that an independent scipy computation gives; pure noise fires at
the stated rate (a one-sided drop at alpha: about alpha / 2 of windows); a window with three
answers or an empty segment does not fire and says why."""

import math
import random
from datetime import UTC, date, datetime, timedelta

import numpy as np
from scipy import stats
from sqlalchemy import select

from surveys.alert.models import Alert, AlertRule
from surveys.core.db import db
from surveys.metrics.models import DailyRollup
from tests.surveys.alert.conftest import make_rule, post_answers

END = date(2026, 11, 30)
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _scores(promoters, passives, detractors):
    return [10] * promoters + [8] * passives + [3] * detractors


def _independent_nps(current: list[int], previous: list[int]):
    """z test on the difference of means of +1/0/-1 scores (population variances), via scipy."""

    def coded(scores):
        return np.array([1 if s >= 9 else -1 if s <= 6 else 0 for s in scores], dtype=float)

    a, b = coded(current), coded(previous)
    diff = 100 * (a.mean() - b.mean())
    se = 100 * math.sqrt(a.var() / len(a) + b.var() / len(b))
    p = 2 * stats.norm.sf(abs(diff) / se)
    z = stats.norm.ppf(0.975)
    return diff, (diff - z * se, diff + z * se), p


def _evaluate(app, rule_id, now):
    from surveys.alert.evaluate import evaluate_rule

    with app.app_context():
        fired = evaluate_rule(db.session, rule_id=rule_id, now=now)
        db.session.remove()
    return fired


def test_known_drop_fires_with_the_figures_scipy_gives(app, client, workspace, survey, db_session):
    rule = make_rule(client, workspace, kind="score_drop", survey_id=survey["id"], window_days=7)
    previous = _scores(200, 100, 100)  # NPS +25
    current = _scores(140, 100, 160)  # NPS -5
    post_answers(client, workspace, survey["id"], previous, at=NOW - timedelta(days=10), prefix="p")
    post_answers(client, workspace, survey["id"], current, at=NOW - timedelta(days=3), prefix="c")
    assert _evaluate(app, rule["id"], NOW) is not None
    alert = db_session.execute(select(Alert)).scalar_one()
    diff, (low, high), p = _independent_nps(current, previous)
    assert alert.difference == round(diff, 2) == -30.0
    assert alert.ci95 == [round(low, 2), round(high, 2)]
    assert math.isclose(alert.p_value, p, abs_tol=1e-6)  # compare() keeps 6 decimals
    assert alert.figures["test"] == "z test on the difference of two NPS values"
    assert alert.window_from.date() == END - timedelta(days=7)
    assert len(alert.examples) == 3 and all(e["score"] <= 6 for e in alert.examples)
    assert _evaluate(app, rule["id"], NOW + timedelta(hours=1)) is None  # same window: once
    assert len(db_session.execute(select(Alert)).all()) == 1


def test_a_window_with_three_answers_does_not_fire_and_says_why(app, client, workspace, survey, db_session):
    rule = make_rule(client, workspace, kind="score_drop", survey_id=survey["id"])
    post_answers(
        client, workspace, survey["id"], _scores(200, 100, 100), at=NOW - timedelta(days=10), prefix="p"
    )
    post_answers(client, workspace, survey["id"], [0, 0, 1], at=NOW - timedelta(days=2), prefix="c")
    assert _evaluate(app, rule["id"], NOW) is None
    shown = client.get(f"/api/v1/alert-rules/{rule['id']}", headers=workspace.headers).json
    assert shown["last_outcome"]["status"] == "too few answers"
    assert "this period has 3, each needs at least 30" in shown["last_outcome"]["detail"]


def test_a_rule_on_an_empty_segment_neither_fires_nor_fails(app, client, workspace, survey, db_session):
    segment = client.post(
        "/api/v1/segments",
        json={
            "name": "Nobody",
            "conditions": [{"field": "attributes.plan", "op": "eq", "value": "none-such"}],
        },
        headers=workspace.headers,
    ).json
    rule = make_rule(client, workspace, kind="score_drop", survey_id=survey["id"], segment_id=segment["id"])
    post_answers(
        client, workspace, survey["id"], _scores(200, 100, 100), at=NOW - timedelta(days=10), prefix="p"
    )
    post_answers(
        client, workspace, survey["id"], _scores(10, 10, 300), at=NOW - timedelta(days=3), prefix="c"
    )
    assert _evaluate(app, rule["id"], NOW) is None
    outcome = db_session.get(AlertRule, rule["id"]).last_outcome
    assert outcome["status"] == "too few answers" and outcome["comparison"]["n_current"] == 0


def _rollup(session, workspace_id, survey_id, day, scores):
    counts = [0] * 11
    for s in scores:
        counts[s] += 1
    session.add(
        DailyRollup(
            workspace_id=workspace_id,
            survey_id=survey_id,
            day=day,
            touchpoint_key="",
            dim="",
            value="",
            responses=len(scores),
            commented=0,
            **{f"s{i}": c for i, c in enumerate(counts)},
        )
    )


def _trials(app, client, workspace, survey, db_session, *, drop: bool, trials: int, seed: int):
    rule = make_rule(client, workspace, kind="score_drop", survey_id=survey["id"], significance=0.05)
    rng = random.Random(seed)
    base = [10] * 40 + [8] * 30 + [3] * 30  # NPS +10
    worse = [10] * 25 + [8] * 30 + [3] * 45  # NPS -20
    expected, fired = [], 0
    for i in range(trials):
        end = END + timedelta(days=14 * i)
        previous = [rng.choice(base) for _ in range(200)]
        current = [rng.choice(worse if drop else base) for _ in range(200)]
        _rollup(db_session, workspace.workspace.id, survey["id"], end - timedelta(days=8), previous)
        _rollup(db_session, workspace.workspace.id, survey["id"], end - timedelta(days=1), current)
        db_session.commit()
        diff, _, p = _independent_nps(current, previous)
        expected.append(p < 0.05 and diff < 0)
        now = datetime.combine(end, datetime.min.time(), UTC) + timedelta(hours=1)
        fired += _evaluate(app, rule["id"], now) is not None
    return fired, sum(expected)


def test_pure_noise_fires_at_about_the_stated_rate(app, client, workspace, survey, db_session):
    fired, expected = _trials(app, client, workspace, survey, db_session, drop=False, trials=200, seed=7)
    assert fired == expected  # window by window, the rule agrees with scipy
    # One-sided at alpha 0.05: 2.5% of 200 is 5; 99.9% of binomial outcomes lie in [0, 14].
    assert fired <= 14


def test_a_real_drop_fires_in_most_windows(app, client, workspace, survey, db_session):
    fired, expected = _trials(app, client, workspace, survey, db_session, drop=True, trials=40, seed=11)
    assert fired == expected
    assert fired >= 32  # a 30-point drop is 3.6 standard errors at n = 200 each: power about 0.95
