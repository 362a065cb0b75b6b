"""Surveys and touchpoints: the rules beyond what their schemas check.

Every function takes the session explicitly and keyword-only arguments, expects ``data`` loaded by
the matching schema (:mod:`surveys.survey.schemas`), flushes but never commits, and raises
:mod:`surveys.core.errors` exceptions:

- a survey or touchpoint of another workspace is unknown (:class:`NotFound`);
- a survey's kind is fixed once it has answers, since scores are validated and categorised by
  kind (:class:`Conflict`);
- a touchpoint sends for a survey of its own workspace (:class:`NotFound`), and the webhook
  channel needs a ``webhook_url`` that may be called (:class:`Invalid`; see
  :func:`surveys.core.netguard.check_url`).
"""

from sqlalchemy import column, select, table
from sqlalchemy.orm import Session

from surveys.core.db import workspace_row
from surveys.core.errors import Conflict, Invalid, NotFound
from surveys.core.netguard import check_url
from surveys.survey.models import SURVEY_STATUSES, Survey, Touchpoint
from surveys.workspace.models import Workspace

# Answers live in a higher domain (surveys.response) that this one must not import; whether a
# survey has any is one indexed lookup on the table that references it.
_answers = table("responses", column("survey_id"))


def get_survey(session: Session, *, workspace_id: str, survey_id: str, field: str | None = None) -> Survey:
    """The survey ``survey_id`` of the workspace; :class:`NotFound` otherwise (naming ``field`` in
    ``errors`` when the id came from a request field)."""
    survey = workspace_row(session, Survey, survey_id, workspace_id=workspace_id)
    if survey is None:
        raise NotFound(
            f"No survey with id {survey_id!r} in this workspace.",
            errors={field: ["unknown survey"]} if field else None,
        )
    return survey


def has_answers(session: Session, *, survey_id: str) -> bool:
    found = session.execute(select(_answers.c.survey_id).where(_answers.c.survey_id == survey_id).limit(1))
    return found.first() is not None


def create_survey(session: Session, *, workspace: Workspace, data: dict) -> Survey:
    survey = Survey(workspace_id=workspace.id, **data)
    session.add(survey)
    session.flush()
    return survey


def update_survey(session: Session, *, workspace: Workspace, survey_id: str, data: dict) -> Survey:
    """Change the fields given; the kind only while the survey has no answers."""
    survey = get_survey(session, workspace_id=workspace.id, survey_id=survey_id)
    if data.get("kind", survey.kind) != survey.kind and has_answers(session, survey_id=survey.id):
        raise Conflict("This survey has responses; its kind can no longer change.")
    for name, value in data.items():
        setattr(survey, name, value)
    session.flush()
    return survey


def set_survey_status(session: Session, *, workspace: Workspace, survey_id: str, status: str) -> Survey:
    """Open (``active``), pause (``draft``) or close a survey; for callers without a schema."""
    if status not in SURVEY_STATUSES:
        raise Invalid(f"Unknown status {status!r}.", errors={"status": list(SURVEY_STATUSES)})
    return update_survey(session, workspace=workspace, survey_id=survey_id, data={"status": status})


def get_touchpoint(session: Session, *, workspace_id: str, touchpoint_id: str) -> Touchpoint:
    touchpoint = workspace_row(session, Touchpoint, touchpoint_id, workspace_id=workspace_id)
    if touchpoint is None:
        raise NotFound(f"No touchpoint with id {touchpoint_id!r} in this workspace.")
    return touchpoint


def check_touchpoint(
    session: Session,
    *,
    workspace: Workspace,
    data: dict,
    allow_private_urls: bool,
    touchpoint: Touchpoint | None = None,
) -> None:
    """The rules ``data`` (all fields of a new touchpoint, or the changes to ``touchpoint``) must
    keep: its survey belongs to the workspace; a webhook URL may be called (private, loopback and
    link-local targets only when ``allow_private_urls``); the webhook channel has a URL."""
    if "survey_id" in data:
        get_survey(session, workspace_id=workspace.id, survey_id=data["survey_id"])
    if data.get("webhook_url"):
        check_url(data["webhook_url"], field="webhook_url", allow_private=allow_private_urls)
    channel = data.get("channel", touchpoint.channel if touchpoint else None)
    url = data.get("webhook_url", touchpoint.webhook_url if touchpoint else None)
    if channel == "webhook" and not url:
        raise Invalid(
            "The webhook channel needs a webhook_url.",
            errors={"webhook_url": ["required for the webhook channel"]},
        )


def create_touchpoint(
    session: Session, *, workspace: Workspace, data: dict, allow_private_urls: bool = False
) -> Touchpoint:
    check_touchpoint(session, workspace=workspace, data=data, allow_private_urls=allow_private_urls)
    touchpoint = Touchpoint(workspace_id=workspace.id, **data)
    session.add(touchpoint)
    session.flush()
    return touchpoint


def update_touchpoint(
    session: Session,
    *,
    workspace: Workspace,
    touchpoint_id: str,
    data: dict,
    allow_private_urls: bool = False,
) -> Touchpoint:
    touchpoint = get_touchpoint(session, workspace_id=workspace.id, touchpoint_id=touchpoint_id)
    check_touchpoint(
        session, workspace=workspace, data=data, allow_private_urls=allow_private_urls, touchpoint=touchpoint
    )
    for name, value in data.items():
        setattr(touchpoint, name, value)
    session.flush()
    return touchpoint
