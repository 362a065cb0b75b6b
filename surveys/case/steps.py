"""Where cases open, installed by :mod:`surveys.wiring`:

- :func:`track_flush` (``after_flush``): answers the flush stored final or completed (hosted
  form, widget, single API answers, the tick's finalisation of partial answers); a partial
  answer (a one-click score, a widget score before "done") opens nothing until it is final;
- :func:`on_inserted` (``responses_inserted``): answers stored set-based (API batches, CSV
  imports), one ``INSERT ... SELECT`` per rule for the whole batch;
- :func:`on_analysed` (``after_analysis``): rules on a theme or negative sentiment, once the
  analysis that can qualify an answer has landed;
- :func:`seed_rule` (``workspace_created``): every workspace starts with the default rule;
- :func:`on_user_removed` (``user_removed``): a removed user's open cases are reassigned.
"""

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from surveys.case.models import CaseRule
from surveys.case.service import open_and_assign, reassign_removed_user
from surveys.response.models import Response
from surveys.workspace.models import User, Workspace

DEFAULT_RULE = {
    "name": "Detractor-level answers",
    "enabled": True,
    "assign": "none",
    "assignee_ids": [],
    "sla_hours": 48,
    "negative_sentiment": False,
}


def track_flush(session: Session, flush_context) -> None:
    by_workspace: dict[str, list[str]] = {}
    for obj in session.new:
        if isinstance(obj, Response) and obj.completed and obj.score is not None:
            by_workspace.setdefault(obj.workspace_id, []).append(obj.id)
    for obj in session.dirty:
        if isinstance(obj, Response) and obj.completed and obj.score is not None:
            history = inspect(obj).attrs.completed.history
            if history.deleted and not history.deleted[0]:
                by_workspace.setdefault(obj.workspace_id, []).append(obj.id)
    for workspace_id, ids in by_workspace.items():
        open_and_assign(session, workspace_id=workspace_id, response_ids=ids)


def on_inserted(session: Session, *, rows: list[dict]) -> None:
    by_workspace: dict[str, list[str]] = {}
    for row in rows:
        if row.get("completed", True) and row.get("score") is not None:
            by_workspace.setdefault(row["workspace_id"], []).append(row["id"])
    for workspace_id, ids in by_workspace.items():
        open_and_assign(session, workspace_id=workspace_id, response_ids=ids)


def on_analysed(session: Session, *, workspace_id: str, response_ids: list[str]) -> None:
    open_and_assign(session, workspace_id=workspace_id, response_ids=list(response_ids), analysed=True)


def seed_rule(session: Session, *, workspace: Workspace, **_) -> None:
    session.add(CaseRule(workspace_id=workspace.id, **DEFAULT_RULE))
    session.flush()


def on_user_removed(session: Session, *, user: User) -> None:
    reassign_removed_user(session, user=user)
