"""The score that proves itself: on generated customers whose churn depends on their score, the
AUC per horizon matches scipy's Mann-Whitney U / (n1 * n2), its interval Hanley-McNeil worked by
hand, and leaving the informative factor out drops it to chance."""

import math
import random
from datetime import timedelta

import pytest
from scipy.stats import mannwhitneyu
from sqlalchemy import select

from surveys.contact.models import Contact
from surveys.core.db import utcnow
from surveys.customer import health, validation
from surveys.customer.models import HealthPoint
from surveys.customer.settings import update
from tests.support.helpers import create_survey


def _generate(client, workspace, db_session, *, customers=90, seed=7):
    rng = random.Random(seed)
    survey = create_survey(client, workspace.headers)
    now = utcnow()
    items, churned = [], set()
    for i in range(customers):
        score = rng.randint(0, 10)
        # Churn depends on the score: detractors mostly leave, promoters mostly stay.
        if rng.random() < 0.85 - 0.075 * score:
            churned.add(f"g-{i}")
        items.append(
            {
                "survey_id": survey["id"],
                "contact": {"external_id": f"g-{i}"},
                "score": score,
                "submitted_at": (now - timedelta(days=150)).isoformat(),
            }
        )
    answer = client.post("/api/v1/responses/batch", json={"responses": items}, headers=workspace.headers)
    assert answer.status_code in (200, 201, 207), answer.json
    # The score as it stood 120 days ago (the nightly run of that day).
    health.recompute(db_session, workspace_id=workspace.workspace.id, now=now - timedelta(days=120))
    db_session.commit()
    for n, contact in enumerate(sorted(churned)):
        body = {
            "id": f"churn-{contact}",
            "name": "subscription.cancelled",
            "occurred_at": (now - timedelta(days=1 + n % 20)).isoformat(),
            "contact": {"external_id": contact},
        }
        assert client.post("/api/v1/events", json=body, headers=workspace.headers).status_code == 202
    update(db_session, workspace_id=workspace.workspace.id, data={"churn_events": ["subscription.cancelled"]})
    db_session.commit()
    return now, churned


def _scores_at(db_session, day):
    rows = db_session.execute(
        select(Contact.external_id, HealthPoint.score)
        .join(Contact, Contact.id == HealthPoint.contact_id)
        .where(HealthPoint.day == day)
    ).all()
    return dict(rows)


def test_validation_auc_matches_scipy_and_leaving_out_the_signal_is_chance(client, workspace, db_session):
    now, churned = _generate(client, workspace, db_session)
    result = validation.validate(db_session, workspace_id=workspace.workspace.id, now=now)
    scores = _scores_at(db_session, (now - timedelta(days=120)).date())
    stayed = [s for c, s in scores.items() if c not in churned]
    left = [s for c, s in scores.items() if c in churned]
    u = mannwhitneyu(stayed, left, alternative="two-sided").statistic
    expected = u / (len(stayed) * len(left))
    for horizon in result["horizons"]:
        assert horizon["status"] == "ok"
        assert horizon["churned"] == len(left) and horizon["stayed"] == len(stayed)
        assert horizon["auc"] == pytest.approx(expected, abs=1e-4)
        a, n1, n2 = expected, len(left), len(stayed)
        q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
        se = math.sqrt((a * (1 - a) + (n1 - 1) * (q1 - a * a) + (n2 - 1) * (q2 - a * a)) / (n1 * n2))
        assert horizon["ci95"][0] == pytest.approx(a - 1.96 * se, abs=1e-3)
        assert horizon["ci95"][1] == pytest.approx(min(1.0, a + 1.96 * se), abs=1e-3)
        assert horizon["without"]["latest_score"] == pytest.approx(0.5)
        assert horizon["without"]["recency"] == pytest.approx(expected, abs=1e-4)
    assert expected > 0.7  # the generated signal is found


def test_validation_below_minimum_churns_is_not_enough_data(client, workspace, db_session):
    now, churned = _generate(client, workspace, db_session, customers=20, seed=3)
    update(db_session, workspace_id=workspace.workspace.id, data={"min_churns": len(churned) + 1})
    db_session.commit()
    result = validation.validate(db_session, workspace_id=workspace.workspace.id, now=now)
    assert {h["status"] for h in result["horizons"]} == {"not_enough_data"}
    assert all(h["auc"] is None and h["churned"] == len(churned) for h in result["horizons"])


def test_validation_auc_by_ranks_handles_ties():
    stayed, left = [1, 2, 2, 3, 5], [2, 2, 0, 1]
    u = mannwhitneyu(stayed, left, alternative="two-sided").statistic
    assert validation.auc(stayed, left) == pytest.approx(u / 20)
