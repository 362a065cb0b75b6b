"""Contacts: upserted from journey events and API responses, keyed by the sender's external id.

The upsert is a single INSERT ... ON CONFLICT statement so two events about a new customer that
arrive at the same moment cannot both create them.
"""

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from surveys.base import new_id, utcnow
from surveys.errors import Invalid
from surveys.models import Contact


def _key(data: dict) -> str:
    external_id = data.get("external_id") or data.get("email")
    if not external_id:
        raise Invalid("A contact needs an external_id or an email.",
                      errors={"contact": ["external_id or email is required"]})
    return str(external_id)


def lock_contacts(session: Session, *, workspace_id: str, items: list[dict]) -> dict[str, Contact]:
    """Create or update the contacts described by ``items`` (external_id, email, name, locale,
    attributes) and return them by external id, locked for this transaction on PostgreSQL.

    Later items win; attributes are merged key by key. Rows are locked in external-id order so
    two concurrent batches touching the same customers cannot deadlock.
    """
    merged: dict[str, dict] = {}
    for data in items:
        key = _key(data)
        current = merged.setdefault(key, {"attributes": {}})
        for field in ("email", "name", "locale"):
            if data.get(field) is not None:
                current[field] = data[field]
        current["attributes"].update(data.get("attributes") or {})
    now = utcnow()
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        insert(Contact.__table__).values([
            {"id": new_id("ct"), "workspace_id": workspace_id, "external_id": key,
             "email": data.get("email"), "name": data.get("name"), "locale": data.get("locale"),
             "attributes": data["attributes"], "created_at": now, "updated_at": now}
            for key, data in sorted(merged.items())
        ]).on_conflict_do_nothing(index_elements=["workspace_id", "external_id"])
    )
    query = (
        select(Contact)
        .where(Contact.workspace_id == workspace_id, Contact.external_id.in_(list(merged)))
        .order_by(Contact.external_id)
        .execution_options(populate_existing=True)
    )
    if dialect == "postgresql":
        query = query.with_for_update()
    contacts = {c.external_id: c for c in session.execute(query).scalars()}
    for key, data in merged.items():
        contact = contacts[key]
        changed = False
        for field in ("email", "name", "locale"):
            if field in data and getattr(contact, field) != data[field]:
                setattr(contact, field, data[field])
                changed = True
        if data["attributes"]:
            attributes = {**(contact.attributes or {}), **data["attributes"]}
            if attributes != contact.attributes:
                contact.attributes = attributes
                changed = True
        if changed:
            contact.updated_at = now
    return contacts


def upsert_contact(session: Session, *, workspace_id: str, data: dict, lock: bool = False) -> Contact:
    """Create or update one contact (see :func:`lock_contacts`)."""
    return lock_contacts(session, workspace_id=workspace_id, items=[data])[_key(data)]


def find_contact(session: Session, *, workspace_id: str, external_id: str) -> Contact | None:
    return session.execute(
        select(Contact).where(
            Contact.workspace_id == workspace_id, Contact.external_id == external_id
        )
    ).scalar_one_or_none()
