"""Responses: the answers themselves, whichever way they arrive (hosted form, email one-click,
widget, API), validated against the survey kind and stored with a snapshot of who answered and why.
"""

import hmac
import re
import secrets
from datetime import datetime
from functools import cache

from sqlalchemy import Column, Table, bindparam, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, lazyload

from surveys.contact.service import find_contact, upsert_contact
from surveys.contact.suppression import refusal, suppressed_keys
from surveys.core.db import lock_rows, rfc3339, utcnow
from surveys.core.errors import Conflict, Forbidden, Gone, Invalid, NotFound
from surveys.core.schemas import MAX_ATTRIBUTES
from surveys.core.values import check_free_form
from surveys.event.models import Event
from surveys.invitation.models import Invitation
from surveys.response.models import Response
from surveys.survey.models import Survey
from surveys.survey.scales import category, validate_score
from surveys.workspace.models import Workspace
from surveys.workspace.secrets import verify_contact_token

MAX_COMMENT = 10_000
_TOKEN = re.compile(r"[A-Za-z0-9_-]{8,64}")
# Invitations in these states were never meant to be answered (or no longer are).
_CLOSED_STATUSES = {
    "cancelled": "This survey link was cancelled.",
    "suppressed": "This survey link is no longer active.",
    "expired": "This survey link has expired.",
}


def clean_comment(comment: str | None) -> str | None:
    if comment is None:
        return None
    # PostgreSQL text cannot hold NUL; it is never meaningful in a comment anyway.
    comment = comment.replace("\x00", "").replace("\r\n", "\n").strip()
    if len(comment) > MAX_COMMENT:
        raise Invalid(
            f"Comments are limited to {MAX_COMMENT} characters.",
            errors={"comment": [f"at most {MAX_COMMENT} characters"]},
        )
    return comment or None


def _check_open(invitation: Invitation, response: Response | None, now: datetime) -> None:
    # "Already answered" wins over "expired": it is the more useful thing to tell the person.
    # A "responded" invitation without its answer: the answer was deleted; the link stays used.
    if (response is not None and response.completed) or (
        response is None and invitation.status == "responded"
    ):
        raise Conflict("This survey has already been answered.")
    if invitation.status in _CLOSED_STATUSES:
        raise Gone(_CLOSED_STATUSES[invitation.status])
    if invitation.expires_at <= now:
        raise Gone(_CLOSED_STATUSES["expired"])
    if invitation.survey.status == "closed":
        raise Gone("This survey is closed.")


def response_for_invitation(session: Session, *, invitation_id: str) -> Response | None:
    return (
        session.execute(select(Response).where(Response.invitation_id == invitation_id))
        .unique()
        .scalar_one_or_none()
    )


def _valid_token(token: str) -> str:
    # Tokens are url-safe base64; anything else (NUL bytes included) cannot match a row.
    if not _TOKEN.fullmatch(token or ""):
        raise NotFound("There is no survey at this address.")
    return token


@cache
def _open_form_statement():
    """What the hosted form reads, in one statement built once (on first use: options need every
    model mapped): the invitation with its contact, survey and workspace (only the name and
    branding the page shows), and its answer if any. The answer's own survey and contact are the
    invitation's, already in the session, so they are not joined a second time; nor are its
    roadmap links read."""
    return (
        select(Invitation, Response)
        .outerjoin(Response, Response.invitation_id == Invitation.id)
        .where(Invitation.token == bindparam("token"))
        .options(
            joinedload(Invitation.workspace).load_only(Workspace.name, Workspace.branding),
            lazyload(Response.survey),
            lazyload(Response.contact),
            lazyload(Response.roadmap_items),
        )
    )


def open_invitation(session: Session, *, token: str, now: datetime | None = None) -> Invitation:
    """The invitation behind a form link, if it may still be answered. Never writes."""
    return open_invitation_with_answer(session, token=token, now=now)[0]


def open_invitation_with_answer(
    session: Session, *, token: str, now: datetime | None = None
) -> tuple[Invitation, Response | None]:
    """:func:`open_invitation` and the (partial) answer it already has, read once."""
    _valid_token(token)
    row = session.execute(_open_form_statement(), {"token": token}).one_or_none()
    if row is None:
        raise NotFound("There is no survey at this address.")
    invitation, response = row
    _check_open(invitation, response, now or utcnow())
    return invitation, response


def _event_snapshot(session: Session, event_id: str | None) -> dict | None:
    event = session.get(Event, event_id) if event_id else None
    if event is None:
        return None
    return {
        "name": event.name,
        "external_id": event.external_id,
        "occurred_at": rfc3339(event.occurred_at),
        "properties": dict(event.properties or {}),
    }


def submit_form(
    session: Session,
    *,
    token: str,
    score: int | None,
    comment: str | None,
    final: bool,
    now: datetime | None = None,
    source: str = "form",
    locale: str | None = None,
) -> Response:
    """Record (``final=False``: save, still editable) or finish the answer to an invitation."""
    now = now or utcnow()
    # Serialise concurrent submits of the same link; ``of`` keeps the joined eager loads
    # (outer joins) out of the lock clause, which PostgreSQL would refuse.
    query = lock_rows(
        session, select(Invitation).where(Invitation.token == _valid_token(token)), of=Invitation
    )
    invitation = session.execute(query).unique().scalar_one_or_none()
    if invitation is None:
        raise NotFound("There is no survey at this address.")
    response = response_for_invitation(session, invitation_id=invitation.id)
    _check_open(invitation, response, now)
    if score is None:
        if final and (response is None or response.score is None):
            raise Invalid("Please choose a score.", errors={"score": ["required"]})
    else:
        score = validate_score(invitation.survey.kind, score)
    comment = clean_comment(comment)

    if response is None:
        contact = invitation.contact
        response = Response(
            workspace_id=invitation.workspace_id,
            survey=invitation.survey,
            invitation_id=invitation.id,
            contact=contact,
            touchpoint_id=invitation.touchpoint_id,
            source=source,
            locale=locale or contact.locale,
            meta={},
            attributes=dict(contact.attributes or {}),
            event_snapshot=_event_snapshot(session, invitation.event_id),
        )
        session.add(response)
    if score is not None:
        response.score = score
    response.comment = comment
    response.completed = final
    response.submitted_at = now
    response.last_activity_at = now
    invitation.opened_at = invitation.opened_at or now  # a press is a person, never a scanner
    if locale:
        response.locale = locale
    if final:
        invitation.status = "responded"
        invitation.responded_at = now
    session.flush()
    return response


def create_response(
    session: Session, *, workspace: Workspace, data: dict, now: datetime | None = None
) -> tuple[Response, bool]:
    """Store an answer posted through the API; the sender's ``id`` makes it idempotent."""
    now = now or utcnow()
    survey = session.get(Survey, data["survey_id"]) if "\x00" not in data["survey_id"] else None
    if survey is None or survey.workspace_id != workspace.id:
        raise NotFound(
            f"No survey with id {data['survey_id']!r} in this workspace.",
            errors={"survey_id": ["unknown survey"]},
        )
    score = validate_score(survey.kind, data["score"])
    # The schema's rules again, for callers that bypass it (CLI, imports): nothing non-finite,
    # huge or deeply nested is stored where a reader expects a number.
    check_free_form(data.get("metadata") or {}, "metadata", max_keys=MAX_ATTRIBUTES)
    attributes = (data.get("contact") or {}).get("attributes") or {}
    check_free_form(attributes, "contact.attributes", max_keys=MAX_ATTRIBUTES)
    external_id = data.get("id")
    if external_id and (existing := _by_external_id(session, workspace.id, external_id)):
        return existing, False
    contact = None
    if data.get("contact"):
        if suppressed_keys(
            session,
            workspace=workspace,
            contacts={"c": data["contact"]},
        ):
            raise refusal()
        contact = upsert_contact(session, workspace_id=workspace.id, data=data["contact"])
    response = Response(
        workspace_id=workspace.id,
        survey=survey,
        external_id=external_id,
        contact=contact,
        score=score,
        comment=clean_comment(data.get("comment")),
        completed=True,
        source=data.get("source") or "api",
        locale=contact.locale if contact else None,
        meta=dict(data.get("metadata") or {}),
        attributes=dict(contact.attributes or {}) if contact else {},
        submitted_at=data.get("submitted_at") or now,
    )
    try:
        # A SAVEPOINT, so losing the race for the same sender id does not poison the caller's
        # transaction; the winner's row is then returned like any repeat.
        with session.begin_nested():
            session.add(response)
            session.flush()
    except IntegrityError:
        existing = _by_external_id(session, workspace.id, external_id) if external_id else None
        if existing is None:
            raise
        return existing, False
    return response, True


def _by_external_id(session: Session, workspace_id: str, external_id: str) -> Response | None:
    return (
        session.execute(
            select(Response).where(Response.workspace_id == workspace_id, Response.external_id == external_id)
        )
        .unique()
        .scalar_one_or_none()
    )


def _dependents() -> list[tuple[Table, Column, str]]:
    """Every column of another table that references ``responses.id``, with its ON DELETE rule:
    analyses, response themes, tag corrections, roadmap links, and whatever later packages add."""
    found = []
    for table in Response.__table__.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table is Response.__table__ and table is not Response.__table__:
                found.append((table, fk.parent, (fk.ondelete or "").upper()))
    return found


def delete_response(session: Session, *, workspace_id: str, response_id: str) -> None:
    """Delete one answer and everything derived from it, in the caller's transaction.

    Rows referencing it are deleted (or, for ``ON DELETE SET NULL`` columns, cleared) here, as
    PostgreSQL's foreign keys would, so the embedded SQLite, which does not enforce them, ends the
    same. The answer itself goes through the ORM, so the flush listeners subtract it from the daily
    rollups and recompute its day's theme rollups (:mod:`surveys.metrics`); roadmap impact is
    read from the remaining links. Its invitation stays ``responded`` (the customer did answer:
    fatigue rules and the one-answer-per-link rule keep holding) and the sender's id is free again.
    """
    query = lock_rows(
        session,
        select(Response).where(Response.id == response_id, Response.workspace_id == workspace_id),
        of=Response,
    )
    response = None if "\x00" in response_id else session.execute(query).unique().scalar_one_or_none()
    if response is None:
        raise NotFound(f"No response with id {response_id!r} in this workspace.")
    for table, column, rule in _dependents():
        if rule == "SET NULL":
            session.execute(update(table).where(column == response.id).values({column.name: None}))
        else:
            session.execute(delete(table).where(column == response.id))
    session.expire(response, ["analyses"])  # gone already: the ORM must not try to orphan them
    session.delete(response)
    session.flush()


def public_survey(session: Session, *, workspace: Workspace, survey_id: str) -> Survey:
    """A survey that public visitors (the widget) may see and answer: active ones only."""
    survey = session.get(Survey, survey_id) if "\x00" not in survey_id else None
    if survey is None or survey.workspace_id != workspace.id or survey.status == "draft":
        raise NotFound(f"No survey with id {survey_id!r}.")
    if survey.status != "active":
        raise Gone("This survey is closed.")
    return survey


def widget_start(
    session: Session,
    *,
    workspace: Workspace,
    survey_id: str,
    score: int,
    contact_external_id: str | None = None,
    contact_token: str | None = None,
    page_url: str | None = None,
    locale: str | None = None,
    now: datetime | None = None,
) -> Response:
    """A partial response holding the widget's first tap, editable with its ``edit_token``.

    Anyone can post to the widget, so a named contact is believed only with the host site's
    ``contact_token`` (:func:`surveys.workspace.secrets.verify_contact_token`). Without a token
    the answer is anonymous: no contact, no plan or revenue borrowed from one. A token that does
    not match is refused (Forbidden) and nothing is stored."""
    now = now or utcnow()
    survey = public_survey(session, workspace=workspace, survey_id=survey_id)
    score = validate_score(survey.kind, score)
    contact = None
    if contact_token is not None:
        if not contact_external_id or not verify_contact_token(
            workspace, contact_external_id, contact_token, now=now
        ):
            raise Forbidden("The contact token does not match the contact.")
        # A vouched-for id may point at a known customer but never creates one.
        contact = find_contact(session, workspace_id=workspace.id, external_id=contact_external_id)
    response = Response(
        workspace_id=workspace.id,
        survey=survey,
        score=score,
        completed=False,
        edit_token=secrets.token_urlsafe(24),
        source="widget",
        submitted_at=now,
        last_activity_at=now,
        contact=contact,
        locale=locale or (contact.locale if contact else None),
        attributes=dict(contact.attributes or {}) if contact else {},
        meta={"page_url": page_url} if page_url else {},
    )
    session.add(response)
    session.flush()
    return response


def widget_update(
    session: Session,
    *,
    workspace: Workspace,
    response_id: str,
    edit_token: str,
    score: int | None = None,
    comment: str | None = None,
    final: bool = False,
    now: datetime | None = None,
) -> Response:
    """Change the score, add the comment and/or finish a widget response."""
    query = lock_rows(
        session,
        select(Response).where(Response.id == response_id, Response.workspace_id == workspace.id),
        of=Response,
    )
    response = session.execute(query).unique().scalar_one_or_none()
    if response is None:
        raise NotFound(f"No response with id {response_id!r}.")
    # Constant-time compare: the token is the only thing standing between strangers and the row.
    if not response.edit_token or not hmac.compare_digest(response.edit_token.encode(), edit_token.encode()):
        raise Forbidden("The edit token does not match this response.")
    if response.completed:
        raise Conflict("This response is already complete.")
    if score is not None:
        response.score = validate_score(response.survey.kind, score)
    if comment is not None:
        response.comment = clean_comment(comment)
    now = now or utcnow()
    response.last_activity_at = now
    if final:
        response.completed = True
        response.submitted_at = now
    session.flush()
    return response


def serialize_response(response: Response) -> dict:
    """The answer itself; the shell adds its analysis and roadmap items."""
    contact = response.contact
    return {
        "id": response.id,
        "survey_id": response.survey_id,
        "score": response.score,
        "category": category(response.survey.kind, response.score),
        "comment": response.comment,
        "submitted_at": rfc3339(response.submitted_at),
        "source": response.source,
        "completed": response.completed,
        "contact": {"external_id": contact.external_id} if contact else None,
        "attributes": response.attributes or {},
        "metadata": response.meta or {},
        "invitation_id": response.invitation_id,
        "touchpoint_id": response.touchpoint_id,
        # The journey event that triggered the answer, as it was when the invitation was made.
        "event": response.event_snapshot,
    }
