"""Silences: an account or a segment that stopped answering (the daily rollups' latest day with
an answer), and a touchpoint whose response rate fell significantly (invitations sent in two
windows, answered within :data:`ANSWER_GRACE`, compared by the two-proportion z test)."""

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveys.alert.checks import Finding, evidence
from surveys.alert.models import AlertRule
from surveys.invitation.models import Invitation
from surveys.metrics.models import DailyRollup
from surveys.metrics.rollups import Bucket, day_start, segment_dim
from surveys.metrics.significance import compare
from surveys.survey.models import Touchpoint

# A touchpoint's response rate counts answers within this long of sending, and its windows end
# this long ago, so the latest invitations are not judged before their customers could answer.
ANSWER_GRACE = timedelta(days=3)


def no_response(session: Session, rule: AlertRule, now: datetime) -> Finding:
    if rule.touchpoint_id:
        return _response_rate(session, rule, now)
    if rule.account:
        dim, value = f"attributes.{rule.account['attribute']}", rule.account["value"]
        who = f"{rule.account['attribute']} = {value}"
        filters = {"attribute": rule.account["attribute"], "value": value}
    else:
        dim, value, who, filters = (
            segment_dim(rule.segment_id),
            "",
            "the segment",
            {"segment": rule.segment_id},
        )
    query = select(func.max(DailyRollup.day)).where(
        DailyRollup.workspace_id == rule.workspace_id,
        DailyRollup.dim == dim,
        DailyRollup.value == value,
        DailyRollup.responses > 0,
    )
    if rule.survey_id:
        query = query.where(DailyRollup.survey_id == rule.survey_id)
    last = session.execute(query).scalar()
    if last is None:
        return Finding(
            False, {"status": "never answered", "detail": f"{who} has no answers yet: nothing went silent"}
        )
    silent = (now.date() - last).days - 1  # whole days since the last day with an answer
    if silent < rule.window_days:
        return Finding(False, {"status": "answering", "detail": f"{who} last answered on {last.isoformat()}"})
    title = f"No answer from {who} for {silent} days (last on {last.isoformat()})"
    return Finding(
        True,
        {"status": "fired", "detail": title},
        window_key=f"no_response:{dim}={value}:{last.isoformat()}",
        window_from=day_start(last + timedelta(days=1)),
        window_to=day_start(now.date()),
        title=title,
        figures={"last_answer_day": last.isoformat(), "silent_days": silent, "window_days": rule.window_days},
        evidence_path=evidence(rule.survey_id, last - timedelta(days=30), last, **filters),
    )


def _rate_bucket(session: Session, touchpoint_id: str, start: datetime, end: datetime) -> Bucket:
    """Invitations sent in [start, end) as a two-valued bucket: answered within the grace (as a
    5) or not (as a 1), so the CSAT comparison is exactly the two-proportion test on rates."""
    scope = (Invitation.touchpoint_id == touchpoint_id, Invitation.sent_at >= start, Invitation.sent_at < end)
    sent = session.execute(select(func.count()).where(*scope)).scalar_one()
    # The grace is compared here, not in SQL: interval arithmetic is spelt differently on SQLite.
    answered = sum(
        1
        for sent_at, responded_at in session.execute(
            select(Invitation.sent_at, Invitation.responded_at).where(
                *scope, Invitation.responded_at.is_not(None)
            )
        )
        if responded_at <= sent_at + ANSWER_GRACE
    )
    counts = [0] * 11
    counts[5], counts[1] = answered, sent - answered
    return Bucket(counts=counts)


def _response_rate(session: Session, rule: AlertRule, now: datetime) -> Finding:
    touchpoint = session.get(Touchpoint, rule.touchpoint_id)
    end = day_start(now.date()) - ANSWER_GRACE
    width = timedelta(days=rule.window_days)
    current = _rate_bucket(session, touchpoint.id, end - width, end)
    previous = _rate_bucket(session, touchpoint.id, end - 2 * width, end - width)
    result = compare("csat", current, previous, alpha=rule.significance, min_sample=rule.min_responses)
    figures = {
        **result.as_dict(),
        "test": "two-proportion z test",
        "sent": current.n,
        "sent_before": previous.n,
        "answered": current.counts[5],
        "answered_before": previous.counts[5],
        "answer_grace_days": ANSWER_GRACE.days,
        "measure": "response rate (%)",
    }
    if not result.enough:
        reason = (result.reason or "").replace("answers", "invitations")
        return Finding(False, {"status": "too few invitations", "detail": reason, "figures": figures})
    if not result.significant or (result.difference or 0) >= 0:
        detail = f"response rate {result.current}% against {result.previous}%: p = {result.p_value}"
        return Finding(False, {"status": "no change", "detail": detail, "figures": figures})
    title = (
        f"Response rate of “{touchpoint.name}” fell from {result.previous}% to {result.current}% "
        f"({result.difference:+} points, 95% CI {result.ci95[0]:+} to {result.ci95[1]:+}, "
        f"p = {result.p_value})"
    )
    return Finding(
        True,
        {"status": "fired", "detail": title, "figures": figures},
        window_key=f"no_response:rate:{(end - width).date().isoformat()}/{end.date().isoformat()}",
        window_from=end - width,
        window_to=end,
        title=title,
        figures=figures,
        p_value=result.p_value,
        difference=result.difference,
        ci95=list(result.ci95) if result.ci95 else None,
        evidence_path=evidence(touchpoint.survey_id, (end - width).date(), end.date()),
    )
