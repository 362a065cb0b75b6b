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


def upsert_contact(session: Session, *, workspace_id: str, data: dict, lock: bool = False) -> Contact:
    """Create or update the contact described by ``data`` (external_id, email, name, locale,
    attributes). Attributes are merged key by key; given fields overwrite stored ones."""
    external_id = data.get("external_id") or data.get("email")
    if not external_id:
        raise Invalid("A contact needs an external_id or an email.",
                      errors={"contact": ["external_id or email is required"]})
    now = utcnow()
    values = {
        "id": new_id("ct"),
        "workspace_id": workspace_id,
        "external_id": str(external_id),
        "email": data.get("email"),
        "name": data.get("name"),
        "locale": data.get("locale"),
        "attributes": data.get("attributes") or {},
        "created_at": now,
        "updated_at": now,
    }
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(Contact.__table__).values(**values)
    stmt = stmt.on_conflict_do_nothing(index_elements=["workspace_id", "external_id"])
    session.execute(stmt)
    query = (
        select(Contact)
        .where(Contact.workspace_id == workspace_id, Contact.external_id == str(external_id))
        .execution_options(populate_existing=True)
    )
    if lock and dialect == "postgresql":
        # Serialises decisions about one contact (fatigue) across concurrent events.
        query = query.with_for_update()
    contact = session.execute(query).scalar_one()
    changed = False
    for field in ("email", "name", "locale"):
        if data.get(field) is not None and getattr(contact, field) != data[field]:
            setattr(contact, field, data[field])
            changed = True
    if data.get("attributes"):
        merged = {**(contact.attributes or {}), **data["attributes"]}
        if merged != contact.attributes:
            contact.attributes = merged
            changed = True
    if changed:
        contact.updated_at = now
    return contact


def find_contact(session: Session, *, workspace_id: str, external_id: str) -> Contact | None:
    return session.execute(
        select(Contact).where(
            Contact.workspace_id == workspace_id, Contact.external_id == external_id
        )
    ).scalar_one_or_none()
