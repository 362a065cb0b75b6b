"""Theme spikes (k standard deviations of the weekly baseline, with a minimum count) and
silences (an account that stopped answering, a touchpoint whose response rate fell), each
checked against hand-worked figures; the tick runs the evaluation."""

import math
import secrets
import statistics
from datetime import UTC, date, datetime, timedelta

from scipy import stats
from sqlalchemy import select

from surveys.alert.models import Alert, AlertRule
from surveys.analysis.models import ResponseTheme, Theme
from surveys.core.db import db
from surveys.invitation.models import Invitation
from surveys.metrics.models import ThemeRollup
from surveys.response.models import Response
from tests.support.helpers import make_invitation, tick
from tests.surveys.alert.conftest import make_rule, post_answers

END = date(2026, 11, 30)
NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def _evaluate(app, rule_id, now=NOW):
    from surveys.alert.evaluate import evaluate_rule

    with app.app_context():
        fired = evaluate_rule(db.session, rule_id=rule_id, now=now)
        db.session.remove()
    return fired


def _weeks(session, workspace_id, survey_id, theme_id, mentions, negative=None):
    """Theme rollup rows: ``mentions[0]`` in the last seven days, then one week back each."""
    for week, count in enumerate(mentions):
        bad = (negative or [0] * len(mentions))[week]
        session.add(
            ThemeRollup(
                workspace_id=workspace_id,
                survey_id=survey_id,
                day=END - timedelta(days=7 * week + 2),
                segment_key="",
                theme_id=theme_id,
                mentions=count,
                positive=count - bad,
                neutral=0,
                negative=bad,
                compound_sum=0.0,
                **{f"s{i}": 0 for i in range(11)},
            )
        )
    session.commit()


def _theme(session, workspace_id):
    return session.execute(select(Theme).where(Theme.workspace_id == workspace_id).limit(1)).scalar_one()


def test_theme_spike_fires_beyond_k_sigma_of_the_weekly_baseline(app, client, workspace, survey, db_session):
    theme = _theme(db_session, workspace.workspace.id)
    rule = make_rule(client, workspace, kind="theme_spike", survey_id=survey["id"], theme_id=theme.id)
    assert rule["baseline_windows"] == 8 and rule["min_responses"] == 10 and rule["k_sigma"] == 2
    baseline = [10, 12, 9, 11, 10, 13, 8, 11]
    _weeks(db_session, workspace.workspace.id, survey["id"], theme.id, [40, *baseline])
    post_answers(
        client,
        workspace,
        survey["id"],
        [9, 2],
        at=NOW - timedelta(days=2),
        comment="Billing is a mess",
        prefix="q",
    )
    answers = db_session.execute(select(Response.id, Response.score).order_by(Response.score)).all()
    for (response_id, _), label in zip(answers, ("negative", "positive"), strict=True):
        db_session.add(
            ResponseTheme(
                response_id=response_id,
                theme_id=theme.id,
                workspace_id=workspace.workspace.id,
                sentiment_label=label,
                sentiment_compound=0.0,
            )
        )
    db_session.commit()
    assert _evaluate(app, rule["id"]) is not None
    alert = db_session.execute(select(Alert)).scalar_one()
    mean, sd = statistics.fmean(baseline), statistics.stdev(baseline)  # 10.5, 1.6036
    assert alert.figures["mean"] == round(mean, 4) and alert.figures["sd"] == round(sd, 4)
    assert alert.figures["sd_used"] == round(max(sd, math.sqrt(mean)), 4)  # Poisson floor 3.24
    assert alert.figures["z"] == round((40 - mean) / math.sqrt(mean), 2)
    assert f"theme={theme.id}" in alert.evidence_path
    assert [e["score"] for e in alert.examples] == [2]  # the answer negative about the theme


def test_theme_within_noise_or_below_the_minimum_does_not_fire(app, client, workspace, survey, db_session):
    theme = _theme(db_session, workspace.workspace.id)
    rule = make_rule(client, workspace, kind="theme_spike", survey_id=survey["id"], theme_id=theme.id)
    _weeks(db_session, workspace.workspace.id, survey["id"], theme.id, [14, 10, 12, 9, 11, 10, 13, 8, 11])
    assert _evaluate(app, rule["id"]) is None  # z = (14 - 10.5) / 3.24 = 1.08
    assert db_session.get(AlertRule, rule["id"]).last_outcome["status"] == "no change"

    quiet = make_rule(
        client,
        workspace,
        kind="theme_spike",
        survey_id=survey["id"],
        theme_id=theme.id,
        measure="negative_share",
        min_responses=20,
    )
    assert _evaluate(app, quiet["id"]) is None  # 14 mentions < 20
    outcome = db_session.get(AlertRule, quiet["id"]).last_outcome
    assert outcome["status"] == "too few mentions" and "at least 20" in outcome["detail"]


def test_account_that_went_silent_alerts_once_per_silence(app, client, workspace, survey, db_session):
    rule = make_rule(
        client,
        workspace,
        kind="no_response",
        account={"attribute": "company", "value": "Acme"},
        window_days=14,
    )
    other = make_rule(
        client, workspace, kind="no_response", account={"attribute": "company", "value": "Nobody"}
    )
    post_answers(
        client,
        workspace,
        survey["id"],
        [9, 8],
        at=NOW - timedelta(days=20),
        attributes={"company": "Acme"},
        prefix="acme",
    )
    assert _evaluate(app, rule["id"]) is not None
    assert _evaluate(app, rule["id"], NOW + timedelta(days=1)) is None  # the same silence
    alert = db_session.execute(select(Alert)).scalar_one()
    assert alert.figures["silent_days"] == 19 and "attribute=company" in alert.evidence_path
    assert _evaluate(app, other["id"]) is None
    assert db_session.get(AlertRule, other["id"]).last_outcome["status"] == "never answered"

    post_answers(
        client,
        workspace,
        survey["id"],
        [9],
        at=NOW - timedelta(days=1),
        attributes={"company": "Acme"},
        prefix="back",
    )
    assert _evaluate(app, rule["id"], NOW + timedelta(days=2)) is None
    assert db_session.get(AlertRule, rule["id"]).last_outcome["status"] == "answering"


def _invitations(session, template: Invitation, sent: datetime, total: int, answered: int):
    for i in range(total):
        session.add(
            Invitation(
                workspace_id=template.workspace_id,
                contact_id=template.contact_id,
                survey_id=template.survey_id,
                touchpoint_id=template.touchpoint_id,
                token=secrets.token_urlsafe(24),
                channel="email",
                status="sent",
                scheduled_for=sent,
                sent_at=sent,
                expires_at=sent + timedelta(days=30),
                responded_at=sent + timedelta(days=1) if i < answered else None,
            )
        )
    session.commit()


def test_touchpoint_response_rate_fall_uses_the_two_proportion_test(app, client, workspace, db_session):
    template = make_invitation(db_session, workspace.workspace.id)
    rule = make_rule(
        client, workspace, kind="no_response", touchpoint_id=template.touchpoint_id, window_days=7
    )
    end = datetime.combine(END, datetime.min.time(), UTC) - timedelta(days=3)
    _invitations(db_session, template, end - timedelta(days=10), 200, 80)  # 40%
    _invitations(db_session, template, end - timedelta(days=3), 200, 50)  # 25%
    assert _evaluate(app, rule["id"]) is not None
    alert = db_session.execute(select(Alert)).scalar_one()
    pooled = 130 / 400
    z = (0.25 - 0.40) / math.sqrt(pooled * (1 - pooled) * (2 / 200))
    assert math.isclose(alert.p_value, 2 * stats.norm.sf(abs(z)), abs_tol=1e-6)
    assert alert.difference == -15.0 and alert.figures["sent"] == 200


def test_the_tick_evaluates_rules_and_reports_it(app, client, workspace, survey, db_session):
    from surveys.core.db import utcnow

    make_rule(client, workspace, kind="detractor", survey_id=survey["id"])
    now = utcnow()
    post_answers(client, workspace, survey["id"], [0], at=now)
    counts = tick(app, now=now + timedelta(minutes=2))
    assert counts["alert_rules_evaluated"] == 1 and counts["alerts_fired"] == 1
    assert tick(app, now=now + timedelta(minutes=3))["alerts_fired"] == 0
