"""Lists and pages of customers and accounts, read from their profiles.

Lists sort on indexed columns (health, revenue, last answer) within a workspace and page by
keyset: first the rows that have a value, in order, then those without (the index serves each
part), the cursor carrying the part, the last value and the last id. Contacts appear once scored:
at their first answer or the next tick.
"""

import base64
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from surveys.contact.models import Contact
from surveys.core.db import rfc3339, workspace_row
from surveys.core.errors import Invalid, NotFound
from surveys.customer.models import CustomerAccount, CustomerProfile
from surveys.customer.timeline import TIMELINE
from surveys.response.models import Response
from surveys.segment.service import filter_for

SORTS = ("health", "-health", "revenue", "-revenue", "last_answer", "-last_answer")
BANDS = ("at_risk", "watch", "healthy")
_COLUMNS = {"health": "health", "revenue": "revenue", "last_answer": "last_answer_at"}


@dataclass(frozen=True)
class ContactFilters:
    segment_id: str | None = None
    attributes: tuple[tuple[str, str], ...] = ()
    band: str | None = None
    at_risk: bool | None = None
    declining: bool | None = None
    account: str | None = None


def _encode(part: int, value, last_id: str) -> str:
    raw = json.dumps([part, value, last_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[int, object, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        part, value, last_id = json.loads(raw)
        if part not in (0, 1) or not isinstance(last_id, str) or isinstance(value, bool):
            raise ValueError
        if part == 0 and not isinstance(value, int | float | str):
            raise ValueError
        return part, value, last_id
    except (ValueError, TypeError, UnicodeDecodeError):
        raise Invalid(
            "This cursor does not belong to this list.", errors={"cursor": ["use the next_cursor given"]}
        ) from None


def keyset_page(session: Session, query: Select, *, column, id_column, descending: bool, limit: int, cursor):
    """Rows of ``query`` ordered by ``column`` (nulls last) then ``id_column``; ``(rows, next)``.

    Each row's first two selected values must be the sort value and the id."""
    part, value, last_id = _decode(cursor) if cursor else (0, None, None)
    if part == 0 and value is not None and isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise Invalid("This cursor does not belong to this list.", errors={"cursor": ["bad"]}) from None
    rows: list = []
    if part == 0:
        q = query.where(column.is_not(None))
        if last_id is not None:
            beyond = column < value if descending else column > value
            tie = id_column < last_id if descending else id_column > last_id
            q = q.where(or_(beyond, and_(column == value, tie)))
        order = (column.desc(), id_column.desc()) if descending else (column, id_column)
        rows = list(session.execute(q.order_by(*order).limit(limit + 1)).all())
        last_id = None
    if len(rows) <= limit:
        q = query.where(column.is_(None))
        if part == 1 and last_id is not None:
            q = q.where(id_column > last_id)
        rows += list(session.execute(q.order_by(id_column).limit(limit + 1 - len(rows))).all())
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more and rows:
        sort_value, row_id = rows[-1][0], rows[-1][1]
        if sort_value is None:
            next_cursor = _encode(1, None, row_id)
        else:
            next_cursor = _encode(
                0, rfc3339(sort_value) if hasattr(sort_value, "tzinfo") else sort_value, row_id
            )
    return rows, next_cursor


def _contact_query(session: Session, workspace_id: str, column, filters: ContactFilters) -> Select:
    p = CustomerProfile
    query = (
        select(column, p.contact_id, p, Contact)
        .join(Contact, Contact.id == p.contact_id)
        .where(p.workspace_id == workspace_id)
    )
    if filters.band:
        query = query.where(p.band == filters.band)
    if filters.at_risk is not None:
        risky = or_(p.band == "at_risk", p.declining.is_(True))
        query = query.where(risky if filters.at_risk else ~risky)
    if filters.declining is not None:
        query = query.where(p.declining.is_(filters.declining))
    if filters.account is not None:
        query = query.where(p.account_key == filters.account)
    for name, value in filters.attributes:
        query = query.where(Contact.attributes[name].as_string() == value)
    if filters.segment_id:
        clause = filter_for(session, workspace_id=workspace_id, segment_id=filters.segment_id)
        query = query.where(
            select(Response.id)
            .where(Response.contact_id == p.contact_id, Response.workspace_id == workspace_id, clause)
            .exists()
        )
    return query


def profile_body(profile: CustomerProfile, contact: Contact) -> dict:
    return {
        "id": contact.id,
        "external_id": contact.external_id,
        "email": contact.email,
        "name": contact.name,
        "attributes": contact.attributes or {},
        "account": profile.account_key,
        "revenue": profile.revenue,
        "last_answer_at": rfc3339(profile.last_answer_at),
        "latest_category": profile.latest_category,
        "health": health_body(profile),
    }


def health_body(row) -> dict:
    return {
        "score": row.health,
        "band": row.band,
        "factors": list(row.factors or []),
        "declining": getattr(row, "declining", None),
        "decline": getattr(row, "decline", None),
        "computed_at": rfc3339(row.computed_at),
    }


def list_contacts(
    session: Session, *, workspace_id: str, filters: ContactFilters, sort: str, limit: int, cursor: str | None
) -> dict:
    name = sort.lstrip("-")
    column = getattr(CustomerProfile, _COLUMNS[name])
    query = _contact_query(session, workspace_id, column, filters)
    rows, next_cursor = keyset_page(
        session,
        query,
        column=column,
        id_column=CustomerProfile.contact_id,
        descending=sort.startswith("-"),
        limit=limit,
        cursor=cursor,
    )
    return {"items": [profile_body(r[2], r[3]) for r in rows], "next_cursor": next_cursor}


def get_contact(session: Session, *, workspace_id: str, contact_id: str, timeline_limit: int = 100) -> dict:
    contact = workspace_row(session, Contact, contact_id, workspace_id=workspace_id)
    if contact is None:
        raise NotFound(f"No contact with id {contact_id!r} in this workspace.")
    profile = session.get(CustomerProfile, contact.id)
    body = (
        profile_body(profile, contact)
        if profile is not None
        else {
            "id": contact.id,
            "external_id": contact.external_id,
            "email": contact.email,
            "name": contact.name,
            "attributes": contact.attributes or {},
            "account": None,
            "revenue": None,
            "last_answer_at": None,
            "latest_category": None,
            "health": None,
        }
    )
    body["unsubscribed_at"] = rfc3339(contact.unsubscribed_at)
    body["created_at"] = rfc3339(contact.created_at)
    body["timeline"] = TIMELINE.read(
        session, workspace_id=workspace_id, contact_id=contact.id, limit=timeline_limit
    )
    return body


def account_body(account: CustomerAccount) -> dict:
    return {
        "key": account.key,
        "contacts": account.contacts,
        "at_risk_contacts": account.at_risk_contacts,
        "revenue": account.revenue,
        "last_answer_at": rfc3339(account.last_answer_at),
        "health": health_body(account),
    }


def list_accounts(
    session: Session, *, workspace_id: str, band: str | None, sort: str, limit: int, cursor: str | None
) -> dict:
    name = sort.lstrip("-")
    column = getattr(CustomerAccount, _COLUMNS[name])
    query = select(column, CustomerAccount.key, CustomerAccount).where(
        CustomerAccount.workspace_id == workspace_id
    )
    if band:
        query = query.where(CustomerAccount.band == band)
    rows, next_cursor = keyset_page(
        session,
        query,
        column=column,
        id_column=CustomerAccount.key,
        descending=sort.startswith("-"),
        limit=limit,
        cursor=cursor,
    )
    return {"items": [account_body(r[2]) for r in rows], "next_cursor": next_cursor}


def get_account(
    session: Session, *, workspace_id: str, key: str, limit: int = 100, cursor: str | None = None
):
    account = session.get(CustomerAccount, (workspace_id, key)) if "\x00" not in key else None
    if account is None:
        raise NotFound(f"No account {key!r} in this workspace.")
    body = account_body(account)
    body["members"] = list_contacts(
        session,
        workspace_id=workspace_id,
        filters=ContactFilters(account=key),
        sort="health",
        limit=limit,
        cursor=cursor,
    )
    return body


def summary(session: Session, *, workspace_id: str, declining: int = 8) -> dict:
    """Customers per band and the customers in decline that carry the most revenue (dashboard)."""
    p = CustomerProfile
    counts = dict(
        session.execute(
            select(p.band, func.count()).where(p.workspace_id == workspace_id).group_by(p.band)
        ).all()
    )
    rows = session.execute(
        select(p, Contact)
        .join(Contact, Contact.id == p.contact_id)
        .where(p.workspace_id == workspace_id, p.declining.is_(True))
        .order_by(p.revenue.desc().nulls_last(), p.decline.desc(), p.contact_id)
        .limit(declining)
    ).all()
    total_declining = session.execute(
        select(func.count()).where(p.workspace_id == workspace_id, p.declining.is_(True))
    ).scalar_one()
    return {
        "bands": {band: int(counts.get(band, 0)) for band in BANDS},
        "unscored": int(counts.get(None, 0)),
        "declining": [profile_body(profile, contact) for profile, contact in rows],
        "declining_total": int(total_declining),
    }
