"""Re-survey a shipped item's customers through a chosen touchpoint.

The customers are the item's linked customers (:func:`surveys.roadmap.outcome.linked_contacts`).
Each is asked the way a journey event would ask them
(:func:`surveys.event.service.invite_contacts`): an event ``roadmap_item.shipped`` with the id
``roadmap:<item>:<contact>``, then the touchpoint's conditions, unsubscribes, missing email,
sampling and fatigue decide, and a suppressed send is recorded with its reason. The event id makes
a second call ask nobody twice; the tick delivers what was scheduled, and the invitation email
tells the customer what shipped (:func:`shipped_note`, on ``invitation_notes``).
"""

from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys.core.db import utcnow, workspace_row
from surveys.core.errors import Conflict, Invalid
from surveys.event.models import Event
from surveys.event.service import invite_contacts
from surveys.roadmap.models import RoadmapItem
from surveys.roadmap.outcome import linked_contacts
from surveys.survey.models import Survey, Touchpoint
from surveys.workspace.models import Workspace

EVENT_NAME = "roadmap_item.shipped"


def _touchpoint(session: Session, workspace_id: str, touchpoint_id: str) -> Touchpoint:
    touchpoint = workspace_row(session, Touchpoint, touchpoint_id, workspace_id=workspace_id)
    if touchpoint is None:
        raise Invalid(
            f"No touchpoint with id {touchpoint_id!r} in this workspace.",
            errors={"touchpoint_id": ["unknown touchpoint"]},
        )
    survey = session.get(Survey, touchpoint.survey_id)
    if not touchpoint.active or survey.status != "active":
        raise Invalid(
            "This touchpoint is paused or its survey is not active, so nobody can be asked through it.",
            errors={"touchpoint_id": ["choose an active touchpoint of an active survey"]},
        )
    return touchpoint


def resurvey(session: Session, *, workspace: Workspace, item: RoadmapItem, touchpoint_id: str) -> dict:
    """Schedule the re-survey; counts ``{"customers", "scheduled", "suppressed": {reason: n},
    "already_asked"}``. Conflict when the item is not shipped."""
    if item.status != "shipped" or item.shipped_at is None:
        raise Conflict(f"Roadmap item {item.id} is not shipped yet: re-survey its customers once it ships.")
    touchpoint = _touchpoint(session, workspace.id, touchpoint_id)
    contact_ids = list(session.execute(linked_contacts(item)).scalars())
    result = invite_contacts(
        session,
        workspace=workspace,
        touchpoint=touchpoint,
        contact_ids=contact_ids,
        event_name=EVENT_NAME,
        key_prefix=f"roadmap:{item.id}:",
        properties={"roadmap_item_id": item.id, "title": item.title},
        now=utcnow(),
    )
    suppressed = Counter(i.reason for i in result.invitations if i.status == "suppressed")
    return {
        "customers": len(contact_ids),
        "scheduled": sum(1 for i in result.invitations if i.status == "scheduled"),
        "suppressed": dict(sorted(suppressed.items())),
        "already_asked": result.already,
    }


def shipped_note(session: Session, invitation, strings: dict) -> str | None:
    """For the invitation email (``invitation_notes``): a re-survey tells the customer what
    shipped; any other invitation gets nothing."""
    if invitation.event_id is None:
        return None
    event = session.get(Event, invitation.event_id)
    if event is None or event.name != EVENT_NAME:
        return None
    title = (event.properties or {}).get("title")
    return strings["email_shipped"].format(title=title) if title else None


def touchpoint_choices(session: Session, *, workspace_id: str) -> list[Touchpoint]:
    """Active touchpoints of active surveys, for the item page's re-survey form."""
    return list(
        session.execute(
            select(Touchpoint)
            .join(Survey, Survey.id == Touchpoint.survey_id)
            .where(
                Touchpoint.workspace_id == workspace_id,
                Touchpoint.active.is_(True),
                Survey.status == "active",
            )
            .order_by(Touchpoint.name, Touchpoint.id)
        ).scalars()
    )
