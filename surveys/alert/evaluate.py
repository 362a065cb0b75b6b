"""Evaluating the alert rules, from the tick: each rule in its own short transaction, under a row
lock, so a second tick running at the same time skips a rule being evaluated and a tick killed
half-way loses nothing (an uncommitted rule is evaluated again by the next tick) and repeats
nothing (a committed alert moved the rule's cursor, and an alert is unique per rule and window:
``INSERT ... ON CONFLICT DO NOTHING``).

Detractor rules are looked at on every tick (their query reads only signals after the cursor);
the others, whose windows are whole days, at most every :data:`EVERY`.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from surveys.alert import checks, notify, silence
from surveys.alert.models import Alert, AlertRule
from surveys.core.db import lock_rows, new_id, upsert_insert

log = logging.getLogger(__name__)
CHECKS = {
    "detractor": checks.detractor,
    "score_drop": checks.score_drop,
    "theme_spike": checks.theme_spike,
    "no_response": silence.no_response,
}
EVERY = timedelta(minutes=10)
BATCH = 500  # rules per tick; the rest wait for the next tick, oldest evaluated first


@dataclass
class Evaluation:
    evaluated: int = 0
    fired: list[str] = field(default_factory=list)


def _due(now: datetime):
    return (AlertRule.kind == "detractor") | or_(
        AlertRule.last_evaluated_at.is_(None), AlertRule.last_evaluated_at <= now - EVERY
    )


def evaluate_rules(session: Session, *, now: datetime, base_url: str = "") -> Evaluation:
    """Evaluate every enabled rule that is due, committing after each one."""
    result = Evaluation()
    ids = list(
        session.execute(
            select(AlertRule.id)
            .where(AlertRule.enabled.is_(True), _due(now))
            .order_by(AlertRule.last_evaluated_at.asc().nulls_first(), AlertRule.id)
            .limit(BATCH)
        ).scalars()
    )
    for rule_id in ids:
        alert_id = evaluate_rule(session, rule_id=rule_id, now=now, base_url=base_url)
        result.evaluated += 1
        if alert_id:
            result.fired.append(alert_id)
    return result


def evaluate_rule(session: Session, *, rule_id: str, now: datetime, base_url: str = "") -> str | None:
    """One rule in one transaction; returns the id of the alert it fired, if any."""
    try:
        rule = session.execute(
            lock_rows(session, select(AlertRule).where(AlertRule.id == rule_id), skip_locked=True)
        ).scalar_one_or_none()
        if rule is None or not rule.enabled:
            session.rollback()
            return None
        finding = CHECKS[rule.kind](session, rule, now)
        alert_id = _record(session, rule, finding, now, base_url) if finding.fire else None
        if finding.cursor is not None:
            rule.signal_cursor = finding.cursor
        rule.last_outcome = {**finding.outcome, "at": now.isoformat(), "alert_id": alert_id}
        rule.last_evaluated_at = now
        session.commit()
    except Exception:
        session.rollback()
        log.exception("alert rule %s could not be evaluated; trying again next tick", rule_id)
        return None
    if alert_id:
        log.info("alert rule %s fired alert %s", rule_id, alert_id)
    return alert_id


def _record(
    session: Session, rule: AlertRule, finding: checks.Finding, now: datetime, base_url: str
) -> str | None:
    """Store the alert unless this rule already alerted for this window; tell whom it concerns."""
    emails = notify.recipients(session, rule)
    row = {
        "id": new_id("alt"),
        "workspace_id": rule.workspace_id,
        "rule_id": rule.id,
        "kind": rule.kind,
        "window_key": finding.window_key[:120],
        "window_from": finding.window_from,
        "window_to": finding.window_to,
        "fired_at": now,
        "title": finding.title,
        "figures": finding.figures,
        "p_value": finding.p_value,
        "difference": finding.difference,
        "ci95": finding.ci95,
        "examples": finding.examples,
        "evidence_path": finding.evidence_path,
        "email_status": "pending" if emails else "none",
        "emailed_to": [],
        "email_enqueued_at": now if emails else None,
        "email_attempts": 0,
    }
    stmt = (
        upsert_insert(session, Alert)
        .values(row)
        .on_conflict_do_nothing(index_elements=["rule_id", "window_key"])
        .returning(Alert.id)
    )
    inserted = session.execute(stmt).scalar_one_or_none()
    if inserted is None:
        return None
    alert = session.get(Alert, inserted)
    notify.announce(session, rule=rule, alert=alert, base_url=base_url, emails=emails)
    return inserted
