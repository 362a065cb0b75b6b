"""Alert rules: create, change, delete, read, with the checks every path shares (API and web app),
and the warnings a rule shows when part of its delivery cannot happen.

What each kind needs:

- ``detractor``: a survey (optionally a segment); fires for the detractor-level answers (NPS 0-6,
  CSAT 1-2, CES 1-3, as ``response.detractor``) made final since the last alert, coalesced;
- ``score_drop``: a survey (optionally a segment); ``window_days``, ``baseline`` (``previous``
  window or ``trailing``: the ``baseline_windows`` windows before), ``min_responses`` in each and
  the ``significance`` level;
- ``theme_spike``: a survey and a theme (optionally a segment); ``measure`` (``mentions`` or
  ``negative_share``) in the last 7 days beyond ``k_sigma`` standard deviations of the
  ``baseline_windows`` weeks before, with at least ``min_responses`` mentions;
- ``no_response``: exactly one of an ``account`` (a contact attribute value), a ``segment_id``
  (no answer for ``window_days``) or a ``touchpoint_id`` (its response rate over ``window_days``
  fell significantly against the window before).
"""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveys.alert.models import AlertRule, AlertSignal
from surveys.analysis.models import Theme
from surveys.core.db import utcnow, workspace_row
from surveys.core.errors import Invalid, NotFound
from surveys.metrics import dims
from surveys.segment.models import Segment
from surveys.survey.models import Survey, Touchpoint
from surveys.webhook.models import WebhookEndpoint
from surveys.workspace.models import User

DEFAULT_MIN = {"theme_spike": 10}
DEFAULT_BASELINE_WINDOWS = {"theme_spike": 8}
_REFS = (("survey_id", Survey), ("segment_id", Segment), ("theme_id", Theme), ("touchpoint_id", Touchpoint))
_EDITABLE = (
    "name",
    "kind",
    "enabled",
    "survey_id",
    "segment_id",
    "theme_id",
    "touchpoint_id",
    "account",
    "window_days",
    "baseline",
    "baseline_windows",
    "min_responses",
    "significance",
    "k_sigma",
    "measure",
    "notify",
)


def _active_emails(session: Session, workspace_id: str) -> set[str]:
    rows = session.execute(
        select(User.email).where(User.workspace_id == workspace_id, User.disabled_at.is_(None))
    ).scalars()
    return {email.lower() for email in rows}


def _check(session: Session, workspace_id: str, values: dict) -> dict:
    """``values`` (a whole rule) made whole with the kind's defaults, or Invalid naming each field."""
    errors: dict[str, list[str]] = {}
    kind = values["kind"]
    for field, model in _REFS:
        if (
            values.get(field)
            and workspace_row(session, model, values[field], workspace_id=workspace_id) is None
        ):
            errors[field] = [f"no such {field.removesuffix('_id')} in this workspace"]
    needs_survey = kind in ("detractor", "score_drop", "theme_spike")
    if needs_survey and not values.get("survey_id"):
        errors.setdefault("survey_id", []).append(f"a {kind} rule watches one survey")
    if kind == "theme_spike" and not values.get("theme_id"):
        errors.setdefault("theme_id", []).append("a theme_spike rule watches one theme")
    if kind != "theme_spike" and values.get("theme_id"):
        errors.setdefault("theme_id", []).append("only theme_spike rules take a theme")
    if kind == "no_response":
        chosen = [f for f in ("account", "segment_id", "touchpoint_id") if values.get(f)]
        if len(chosen) != 1:
            errors.setdefault("account", []).append(
                "a no_response rule watches exactly one of account, segment_id or touchpoint_id"
            )
    else:
        for field in ("account", "touchpoint_id"):
            if values.get(field):
                errors.setdefault(field, []).append("only no_response rules take this")
    touchpoint_id, survey_id = values.get("touchpoint_id"), values.get("survey_id")
    if touchpoint_id and survey_id and "touchpoint_id" not in errors:
        touchpoint = session.get(Touchpoint, touchpoint_id)
        if touchpoint.survey_id != survey_id:
            errors.setdefault("touchpoint_id", []).append("this touchpoint asks another survey")
    notify = values.get("notify") or {}
    known = _active_emails(session, workspace_id)
    strangers = [e for e in notify.get("emails") or () if e.lower() not in known]
    if strangers:
        errors["notify"] = [f"not an active user of this workspace: {', '.join(sorted(strangers))}"]
    for endpoint_id in notify.get("webhook_endpoint_ids") or ():
        if workspace_row(session, WebhookEndpoint, endpoint_id, workspace_id=workspace_id) is None:
            errors.setdefault("notify", []).append(f"no webhook endpoint {endpoint_id!r} in this workspace")
    if errors:
        raise Invalid("The alert rule cannot be saved as given.", errors=errors)
    values = dict(values)
    if values.get("min_responses") is None:
        values["min_responses"] = DEFAULT_MIN.get(kind, 30)
    if values.get("baseline_windows") is None:
        values["baseline_windows"] = DEFAULT_BASELINE_WINDOWS.get(kind, 4)
    values["notify"] = {
        "emails": sorted({e.lower() for e in notify.get("emails") or ()}),
        "webhook_endpoint_ids": list(dict.fromkeys(notify.get("webhook_endpoint_ids") or ())),
    }
    return values


def _prepare(session: Session, workspace_id: str, rule: AlertRule) -> None:
    """What a rule needs before its first evaluation: the account's attribute rolled up, and
    a detractor rule's start (answers before the rule existed do not alert)."""
    if rule.account:
        dims.add_attribute(session, workspace_id=workspace_id, name=rule.account["attribute"])
    if rule.kind == "detractor":
        rule.signal_cursor = session.execute(select(func.coalesce(func.max(AlertSignal.id), 0))).scalar_one()


def create_rule(session: Session, *, workspace_id: str, data: dict) -> AlertRule:
    values = _check(session, workspace_id, data)
    rule = AlertRule(workspace_id=workspace_id, last_outcome={}, **{k: values.get(k) for k in _EDITABLE})
    _prepare(session, workspace_id, rule)
    session.add(rule)
    session.flush()
    return rule


def get_rule(session: Session, *, workspace_id: str, rule_id: str) -> AlertRule:
    rule = workspace_row(session, AlertRule, rule_id, workspace_id=workspace_id)
    if rule is None:
        raise NotFound(f"No alert rule with id {rule_id!r} in this workspace.")
    return rule


def update_rule(session: Session, *, workspace_id: str, rule_id: str, data: dict) -> AlertRule:
    rule = get_rule(session, workspace_id=workspace_id, rule_id=rule_id)
    merged = {k: getattr(rule, k) for k in _EDITABLE}
    if "kind" in data and data["kind"] != rule.kind:
        # Another kind's defaults apply unless given again.
        merged.update(min_responses=None, baseline_windows=None)
    merged.update(data)
    values = _check(session, workspace_id, merged)
    kind_changed = values["kind"] != rule.kind
    for key in _EDITABLE:
        setattr(rule, key, values.get(key))
    if kind_changed or data.get("account"):
        _prepare(session, workspace_id, rule)
    rule.last_outcome = {}
    rule.updated_at = utcnow()
    session.flush()
    return rule


def delete_rule(session: Session, *, workspace_id: str, rule_id: str) -> None:
    session.delete(get_rule(session, workspace_id=workspace_id, rule_id=rule_id))
    session.flush()


def rules_query(*, workspace_id: str, kind: str | None = None):
    query = select(AlertRule).where(AlertRule.workspace_id == workspace_id)
    return query.where(AlertRule.kind == kind) if kind else query


def warnings(session: Session, rule: AlertRule) -> list[str]:
    """What keeps part of the rule's delivery from happening (the alert is still recorded)."""
    found = []
    ids = (rule.notify or {}).get("webhook_endpoint_ids") or []
    if ids:
        endpoints = {
            e.id: e
            for e in session.execute(select(WebhookEndpoint).where(WebhookEndpoint.id.in_(ids))).scalars()
        }
        for endpoint_id in ids:
            endpoint = endpoints.get(endpoint_id)
            if endpoint is None:
                found.append(f"webhook endpoint {endpoint_id} was deleted: alerts are not sent there")
            elif not endpoint.enabled:
                why = f" ({endpoint.disabled_reason})" if endpoint.disabled_reason else ""
                found.append(
                    f"webhook endpoint {endpoint.url} is disabled{why}: alerts are recorded and emailed, "
                    "not sent there"
                )
    emails = (rule.notify or {}).get("emails") or []
    if emails:
        gone = sorted(set(emails) - _active_emails(session, rule.workspace_id))
        if gone:
            found.append(f"no longer active users, not emailed: {', '.join(gone)}")
    if not rule.enabled:
        found.append("the rule is off: it is not evaluated")
    return found


def rule_view(session: Session, rule: AlertRule) -> dict:
    """The rule as the output schema reads it, with its warnings."""
    return {
        **{c: getattr(rule, c) for c in (*_EDITABLE, "id", "created_at", "updated_at")},
        "last_evaluated_at": rule.last_evaluated_at,
        "last_outcome": rule.last_outcome or {},
        "warnings": warnings(session, rule),
    }
