"""Case rules: create, change, delete, with every reference checked against the workspace."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys.analysis.models import Theme
from surveys.case.models import CaseRule
from surveys.core.db import workspace_row
from surveys.core.errors import Invalid, NotFound
from surveys.segment.models import Segment
from surveys.survey.models import Survey
from surveys.workspace.models import User

_REFERENCES = (
    ("survey_id", Survey, "survey"),
    ("segment_id", Segment, "segment"),
    ("theme_id", Theme, "theme"),
)


def get_rule(session: Session, *, workspace_id: str, rule_id: str) -> CaseRule:
    rule = workspace_row(session, CaseRule, rule_id, workspace_id=workspace_id)
    if rule is None:
        raise NotFound(f"No case rule with id {rule_id!r} in this workspace.")
    return rule


def list_rules(session: Session, *, workspace_id: str) -> list[CaseRule]:
    query = select(CaseRule).where(CaseRule.workspace_id == workspace_id).order_by(CaseRule.created_at)
    return list(session.execute(query).scalars())


def _check(session: Session, workspace_id: str, merged: dict) -> None:
    errors: dict[str, list[str]] = {}
    for name, model, what in _REFERENCES:
        value = merged.get(name)
        if value is not None and workspace_row(session, model, value, workspace_id=workspace_id) is None:
            errors[name] = [f"no {what} with this id in the workspace"]
    assignees = merged.get("assignee_ids") or []
    if assignees:
        if any("\x00" in a for a in assignees):
            known = set()
        else:
            known = set(
                session.execute(
                    select(User.id).where(User.workspace_id == workspace_id, User.id.in_(assignees))
                ).scalars()
            )
        unknown = [a for a in assignees if a not in known]
        if unknown:
            errors["assignee_ids"] = [f"not users of this workspace: {', '.join(unknown[:5])}"]
    if merged.get("assign") == "attribute" and not merged.get("owner_attribute"):
        errors["owner_attribute"] = ["name the contact attribute holding the owner's email"]
    if merged.get("assign") == "round_robin" and not assignees:
        errors["assignee_ids"] = ["round-robin needs at least one user"]
    if errors:
        raise Invalid("The case rule is not valid.", errors=errors)


def create_rule(session: Session, *, workspace_id: str, data: dict) -> CaseRule:
    _check(session, workspace_id, data)
    rule = CaseRule(workspace_id=workspace_id, **data)
    session.add(rule)
    session.flush()
    return rule


def update_rule(session: Session, *, workspace_id: str, rule_id: str, data: dict) -> CaseRule:
    rule = get_rule(session, workspace_id=workspace_id, rule_id=rule_id)
    merged = {name: getattr(rule, name) for name in ("assign", "assignee_ids", "owner_attribute")}
    merged.update(data)
    _check(session, workspace_id, merged)
    for name, value in data.items():
        setattr(rule, name, value)
    session.flush()
    return rule


def delete_rule(session: Session, *, workspace_id: str, rule_id: str) -> None:
    """The rule goes; the cases it opened stay (their ``rule_id`` becomes null)."""
    session.delete(get_rule(session, workspace_id=workspace_id, rule_id=rule_id))
    session.flush()
