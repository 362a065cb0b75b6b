"""Reading cases: the inbox's filtered query and a case's full view (owner, customer, the answer
with its quoted evidence, notes), shared by the API and the web app."""

from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, selectinload

from surveys.analysis.models import Analysis, ResponseTheme
from surveys.case.models import Case
from surveys.core.db import utcnow
from surveys.response.models import Response
from surveys.segment.service import get_segment, segment_clause
from surveys.survey.scales import category


def cases_query(
    session: Session,
    *,
    workspace_id: str,
    status: str | None = None,
    owner_id: str | None = None,
    unassigned: bool = False,
    overdue: bool | None = None,
    contact_id: str | None = None,
    survey_id: str | None = None,
    segment_id: str | None = None,
    theme_id: str | None = None,
    now: datetime | None = None,
):
    """``select(Case)`` of the workspace with the inbox's filters (all optional)."""
    now = now or utcnow()
    query = (
        select(Case)
        .where(Case.workspace_id == workspace_id)
        .options(selectinload(Case.response).selectinload(Response.analyses))
    )
    if status:
        query = query.where(Case.status == status)
    if owner_id:
        query = query.where(Case.owner_id == owner_id)
    if unassigned:
        query = query.where(Case.owner_id.is_(None))
    if overdue is True:
        query = query.where(Case.status == "open", Case.due_at <= now)
    elif overdue is False:
        query = query.where((Case.status != "open") | (Case.due_at > now))
    if contact_id:
        query = query.where(Case.contact_id == contact_id)
    if survey_id:
        query = query.where(Case.survey_id == survey_id)
    if theme_id:
        query = query.where(
            exists().where(ResponseTheme.response_id == Case.response_id, ResponseTheme.theme_id == theme_id)
        )
    if segment_id:
        segment = get_segment(session, workspace_id=workspace_id, segment_id=segment_id)
        answers = select(Response.id).where(Response.workspace_id == workspace_id)
        answers = answers.where(segment_clause(session, segment.conditions))
        query = query.where(Case.response_id.in_(answers))
    return query


def latest_analysis(response: Response) -> Analysis | None:
    analyses = sorted(response.analyses or (), key=lambda a: a.created_at)
    return analyses[-1] if analyses else None


def answer_view(response: Response) -> dict:
    analysis = latest_analysis(response)
    sentiment = None
    if analysis is not None and analysis.sentiment_label is not None:
        sentiment = {"label": analysis.sentiment_label, "compound": analysis.sentiment_compound}
    kind = response.survey.kind
    return {
        "id": response.id,
        "survey_id": response.survey_id,
        "kind": kind,
        "score": response.score,
        "category": category(kind, response.score),
        "comment": response.comment,
        "submitted_at": response.submitted_at,
        "attributes": response.attributes or {},
        "sentiment": sentiment,
        "themes": list(analysis.themes or []) if analysis is not None else [],
    }


def case_view(case: Case, users: dict[str, str], *, now: datetime | None = None) -> dict:
    """Everything about a case, for ``CaseSchema``; ``users``: id -> email of the workspace."""
    now = now or utcnow()
    contact = case.response.contact
    return {
        "id": case.id,
        "status": case.status,
        "rule_id": case.rule_id,
        "survey_id": case.survey_id,
        "response_id": case.response_id,
        "contact_id": case.contact_id,
        "owner_id": case.owner_id,
        "owner": {"id": case.owner_id, "email": users.get(case.owner_id)} if case.owner_id else None,
        "due_at": case.due_at,
        "overdue": case.status == "open" and case.due_at <= now,
        "first_contacted_at": case.first_contacted_at,
        "closed_at": case.closed_at,
        "resolution": case.resolution,
        "created_at": case.created_at,
        "updated_at": case.updated_at,
        "contact": (
            {
                "id": contact.id,
                "external_id": contact.external_id,
                "email": contact.email,
                "name": contact.name,
            }
            if contact is not None
            else None
        ),
        "answer": answer_view(case.response),
        "notes": list(case.notes),
    }


def customer_history(session: Session, case: Case, *, limit: int = 50) -> list[dict]:
    """The customer's other answers, newest first, each with its case if it has one."""
    if case.contact_id is None:
        return []
    rows = session.execute(
        select(Response, Case.id, Case.status)
        .outerjoin(Case, Case.response_id == Response.id)
        .where(Response.contact_id == case.contact_id, Response.id != case.response_id)
        .where(Response.workspace_id == case.workspace_id, Response.completed.is_(True))
        .order_by(Response.submitted_at.desc())
        .limit(limit)
    ).all()
    return [
        {
            "response": response,
            "category": category(response.survey.kind, response.score),
            "case_id": case_id,
            "case_status": case_status,
        }
        for response, case_id, case_status in rows
    ]
