"""A customer's timeline: sections registered by the domains that know something about a contact
(journey events, invitations with their suppression reasons, answers with their analysis and
the event that triggered each, follow-up cases with their owner and status), merged newest
first. A section is a function ``read(session, *, workspace_id, contact_id, limit)`` returning
entries ``{"kind", "at", "data"}``; another domain adds one with::

    TIMELINE.register(Section("cases", "Cases", read_cases))
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from surveys.analysis.service import serialize_analysis
from surveys.case.models import Case
from surveys.core.db import rfc3339
from surveys.event.models import Event
from surveys.invitation.models import Invitation
from surveys.response.models import Response
from surveys.response.service import serialize_response
from surveys.roadmap.service import response_items


@dataclass(frozen=True)
class Section:
    name: str
    label: str
    read: Callable[..., list[dict]]


class Timeline:
    def __init__(self) -> None:
        self._sections: dict[str, Section] = {}

    def register(self, section: Section) -> Section:
        self._sections[section.name] = section
        return section

    def sections(self) -> list[Section]:
        return list(self._sections.values())

    def read(self, session: Session, *, workspace_id: str, contact_id: str, limit: int = 100) -> list[dict]:
        """Every section's newest ``limit`` entries, merged newest first."""
        entries = []
        for section in self._sections.values():
            entries.extend(
                section.read(session, workspace_id=workspace_id, contact_id=contact_id, limit=limit)
            )
        entries.sort(key=lambda e: e["at"] or datetime.min, reverse=True)
        return [{**e, "at": rfc3339(e["at"])} for e in entries]


TIMELINE = Timeline()


def _events(session: Session, *, workspace_id: str, contact_id: str, limit: int) -> list[dict]:
    rows = session.execute(
        select(Event)
        .where(Event.workspace_id == workspace_id, Event.contact_id == contact_id)
        .order_by(Event.occurred_at.desc())
        .limit(limit)
    ).scalars()
    return [
        {
            "kind": "event",
            "at": e.occurred_at,
            "data": {
                "id": e.id,
                "name": e.name,
                "external_id": e.external_id,
                "properties": e.properties or {},
            },
        }
        for e in rows
    ]


def _invitations(session: Session, *, workspace_id: str, contact_id: str, limit: int) -> list[dict]:
    rows = session.execute(
        select(Invitation)
        .where(Invitation.workspace_id == workspace_id, Invitation.contact_id == contact_id)
        .order_by(Invitation.created_at.desc())
        .limit(limit)
    ).scalars()
    return [
        {
            "kind": "invitation",
            "at": i.created_at,
            "data": {
                "id": i.id,
                "survey_id": i.survey_id,
                "survey": i.survey.name,
                "touchpoint_id": i.touchpoint_id,
                "channel": i.channel,
                "status": i.status,
                "reason": i.reason,
                "scheduled_for": rfc3339(i.scheduled_for),
                "sent_at": rfc3339(i.sent_at),
                "responded_at": rfc3339(i.responded_at),
            },
        }
        for i in rows
    ]


def answer_body(response: Response) -> dict:
    """An answer as the API shows it: with its analysis, roadmap items and triggering event."""
    body = serialize_response(response)
    body["analysis"] = {**serialize_analysis(response), "roadmap_items": response_items(response)}
    body["survey"] = response.survey.name
    return body


def _answers(session: Session, *, workspace_id: str, contact_id: str, limit: int) -> list[dict]:
    rows = (
        session.execute(
            select(Response)
            .where(Response.workspace_id == workspace_id, Response.contact_id == contact_id)
            .options(selectinload(Response.analyses))
            .order_by(Response.submitted_at.desc())
            .limit(limit)
        )
        .unique()
        .scalars()
    )
    return [{"kind": "answer", "at": r.submitted_at, "data": answer_body(r)} for r in rows]


def _cases(session: Session, *, workspace_id: str, contact_id: str, limit: int) -> list[dict]:
    rows = session.execute(
        select(Case.id, Case.status, Case.due_at, Case.resolution, Case.response_id, Case.created_at)
        .where(Case.workspace_id == workspace_id, Case.contact_id == contact_id)
        .order_by(Case.created_at.desc())
        .limit(limit)
    ).all()
    return [
        {
            "kind": "case",
            "at": row.created_at,
            "data": {
                "id": row.id,
                "status": row.status,
                "due_at": rfc3339(row.due_at),
                "resolution": row.resolution,
                "response_id": row.response_id,
            },
        }
        for row in rows
    ]


TIMELINE.register(Section("events", "Journey events", _events))
TIMELINE.register(Section("invitations", "Invitations", _invitations))
TIMELINE.register(Section("answers", "Answers", _answers))
TIMELINE.register(Section("cases", "Cases", _cases))
