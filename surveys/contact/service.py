"""Contacts: upserted from journey events and API responses, keyed by the sender's external id.

The upsert is a single INSERT ... ON CONFLICT statement so two events about a new customer that
arrive at the same moment cannot both create them.
"""

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from surveys.contact.models import Contact
from surveys.core.bulk import insert_rows, insert_statement
from surveys.core.db import is_postgres, new_id, upsert_insert, utcnow
from surveys.core.errors import Invalid
from surveys.core.values import check_contact_attributes


def contact_key(data: dict) -> str:
    """The key a contact is found by: its external id, else its email."""
    return _key(data)


def _key(data: dict) -> str:
    external_id = data.get("external_id") or data.get("email")
    if not external_id:
        raise Invalid(
            "A contact needs an external_id or an email.",
            errors={"contact": ["external_id or email is required"]},
        )
    return str(external_id)


_PG_MERGE = (
    "ON CONFLICT (workspace_id, external_id) DO UPDATE SET "
    "email = COALESCE(EXCLUDED.email, contacts.email), "
    "name = COALESCE(EXCLUDED.name, contacts.name), "
    "locale = COALESCE(EXCLUDED.locale, contacts.locale), "
    "attributes = contacts.attributes || EXCLUDED.attributes, "
    "updated_at = EXCLUDED.updated_at"
)


def _upsert_statement(session: Session):
    """The SQLAlchemy spelling of :data:`_PG_MERGE` (what :func:`insert_rows` runs on SQLite)."""
    table = Contact.__table__
    stmt = upsert_insert(session, table)
    if is_postgres(session):
        merged = table.c.attributes.op("||")(stmt.excluded.attributes)
    else:
        merged = func.json_patch(table.c.attributes, stmt.excluded.attributes)
    return stmt.on_conflict_do_update(
        index_elements=["workspace_id", "external_id"],
        set_={
            "email": func.coalesce(stmt.excluded.email, table.c.email),
            "name": func.coalesce(stmt.excluded.name, table.c.name),
            "locale": func.coalesce(stmt.excluded.locale, table.c.locale),
            "attributes": merged,
            "updated_at": stmt.excluded.updated_at,
        },
    ).returning(*table.c)


def lock_contacts(session: Session, *, workspace_id: str, items: list[dict]) -> dict[str, Row]:
    """Create or update the contacts described by ``items`` (external_id, email, name, locale,
    attributes) in one statement and return their rows by external id.

    Later items win; given fields overwrite stored ones and attributes are merged key by key.
    ``ON CONFLICT DO UPDATE`` also locks each row for the rest of the transaction, and rows go
    in external-id order, so two concurrent batches touching the same customers serialise on
    them (fatigue decisions stay correct) without deadlocking.
    """
    merged, rows = _merged_rows(workspace_id, items)
    result = insert_rows(
        session,
        Contact.__table__,
        rows,
        on_conflict=_PG_MERGE,
        returning="RETURNING *",
        sqlalchemy_statement=lambda: _upsert_statement(session),
    )
    return locked_contacts(merged, result)


def lock_contacts_statement(session: Session, *, workspace_id: str, items: list[dict]):
    """:func:`lock_contacts` as ``(sql, params, finish)`` for a PostgreSQL pipeline: run the
    statement (``binary=True``), then ``finish(rows)`` checks and returns what it would."""
    merged, rows = _merged_rows(workspace_id, items)
    sql, params = insert_statement(
        session, Contact.__table__, rows, on_conflict=_PG_MERGE, returning="RETURNING *"
    )
    return sql, params, lambda result: locked_contacts(merged, result)


_ONE_SQL: dict[str, str] = {}


def lock_contact_unless_statement(
    session: Session, *, workspace_id: str, data: dict, unless: str
) -> tuple[str, dict, object]:
    """One contact's :func:`lock_contacts` upsert, skipped when the SQL condition ``unless``
    holds, as an ``INSERT ... SELECT ... WHERE NOT (...) ON CONFLICT ... RETURNING *`` to embed
    in a larger statement (a CTE). Its parameters are prefixed ``c_`` so they cannot clash with
    the embedding statement's. Run with ``binary=True``; ``finish(rows)`` checks the row as
    :func:`lock_contacts` would."""
    merged, rows = _merged_rows(workspace_id, [data])
    table = Contact.__table__
    sql = _ONE_SQL.get(unless)
    if sql is None:
        dialect = session.get_bind().dialect
        names = [c.name for c in table.columns]
        values = ", ".join(
            f"CAST(%(c_{c.name})s AS {c.type.compile(dialect=dialect)})" for c in table.columns
        )
        # Only column names and fixed clauses from our own code: no user input in the text.
        sql = _ONE_SQL[unless] = (  # noqa: S608
            f"INSERT INTO contacts ({', '.join(names)}) SELECT {values} "  # noqa: S608
            f"WHERE NOT ({unless}) {_PG_MERGE} RETURNING *"
        )
    _, params = insert_statement(session, table, rows)
    return sql, {f"c_{k}": v for k, v in params.items()}, lambda result: locked_contacts(merged, result)


def _merged_rows(workspace_id: str, items: list[dict]) -> tuple[dict[str, dict], list[dict]]:
    merged: dict[str, dict] = {}
    for data in items:
        key = _key(data)
        current = merged.setdefault(key, {"email": None, "name": None, "locale": None, "attributes": {}})
        for field in ("email", "name", "locale"):
            if data.get(field) is not None:
                current[field] = data[field]
        current["attributes"].update(data.get("attributes") or {})
    now = utcnow()
    rows = [
        {
            "id": new_id("ct"),
            "workspace_id": workspace_id,
            "external_id": key,
            **data,
            "unsubscribed_at": None,
            "created_at": now,
            "updated_at": now,
        }
        for key, data in sorted(merged.items())
    ]
    return merged, rows


def locked_contacts(merged: dict[str, dict], result) -> dict[str, Row]:
    rows = {row.external_id: row for row in result}
    for key, row in rows.items():
        # Attributes merge across events: refuse the call (the caller rolls back) rather than let
        # one contact grow without bound or keep half of an update.
        if merged[key]["attributes"]:
            check_contact_attributes(row.attributes, contact=key)
    return rows


def upsert_contact(session: Session, *, workspace_id: str, data: dict) -> Contact:
    """Create or update one contact (see :func:`lock_contacts`) and return it as a model."""
    row = lock_contacts(session, workspace_id=workspace_id, items=[data])[_key(data)]
    return session.get(Contact, row.id, populate_existing=True)


def find_contact(session: Session, *, workspace_id: str, external_id: str) -> Contact | None:
    return session.execute(
        select(Contact).where(Contact.workspace_id == workspace_id, Contact.external_id == external_id)
    ).scalar_one_or_none()
