"""Declarative base, the Flask-SQLAlchemy handle, the column types every model shares, and
the few helpers that hide the differences between the two databases we run on.

Ids are prefixed, time-ordered strings (``sv_01J...``) so a cursor is simply the last id seen.
Times are stored timezone-aware and always come back in UTC, on PostgreSQL and SQLite alike.

PostgreSQL (production, tests) and the embedded SQLite (the zero-setup default) differ in a few
places; the domain code asks these helpers instead of reading the dialect name itself:

- :func:`is_postgres`: the one place that looks at which database a session talks to, for the
  SQL that is spelt differently (date functions, JSON operators, advisory locks, bulk paths);
- :func:`lock_rows`: ``SELECT ... FOR UPDATE`` on PostgreSQL, nothing on SQLite, where a write
  transaction already keeps every other writer out;
- :func:`upsert_insert`: an INSERT that has ``on_conflict_do_update``/``on_conflict_do_nothing``
  and ``excluded``, in the spelling of the session's database.
"""

import os
import time
from datetime import UTC, datetime

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import JSON, DateTime, ForeignKey, MetaData, String, TypeDecorator
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Session, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Base32 in Crockford's alphabet, whose characters ascend in ASCII, so the text sorts exactly
# like the bits (and so by time). Spelt two characters (10 bits) at a time from a table: the
# same text as RFC 4648 ``base64.b32encode`` re-spelt, at a third of the cost (batches make
# thousands of ids a request).
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_PAIRS = [a + b for a in _CROCKFORD for b in _CROCKFORD]
_PAIR_SHIFTS = range(120, -1, -10)


def new_id(prefix: str) -> str:
    """A time-ordered id with a type prefix: 48 bits of milliseconds then 80 random bits (26
    characters: the 128 bits padded with two zero bits)."""
    bits = ((time.time_ns() // 1_000_000) << 82) | (int.from_bytes(os.urandom(10), "big") << 2)
    return prefix + "_" + "".join([_PAIRS[(bits >> shift) & 1023] for shift in _PAIR_SHIFTS])


def utcnow() -> datetime:
    return datetime.now(UTC)


def rfc3339(value: datetime | None) -> str | None:
    """The one spelling of times in answers: RFC 3339, UTC, with a ``Z``."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class UTCDateTime(TypeDecorator):
    """DateTime that refuses naive values on the way in and is never naive on the way out."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# JSONB on PostgreSQL (indexable, compact), plain JSON on SQLite.
JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


# Column helpers shared by every model module, so ids, times and foreign keys are declared alike.
def id_column(prefix: str):
    return mapped_column(String(40), primary_key=True, default=lambda: new_id(prefix))


def created_column():
    return mapped_column(UTCDateTime(), default=utcnow, nullable=False)


def updated_column():
    return mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False)


def fk_column(target: str, *, ondelete: str = "CASCADE", nullable: bool = False, index: bool = False):
    return mapped_column(String(40), ForeignKey(target, ondelete=ondelete), nullable=nullable, index=index)


# ---- PostgreSQL and the embedded SQLite ---------------------------------------------------------


def is_postgres(session: Session) -> bool:
    """True on PostgreSQL, False on the embedded SQLite (the only other database we run on)."""
    return session.get_bind().dialect.name == "postgresql"


def chunks(values: list, size: int):
    """``values`` in consecutive slices of at most ``size`` (statements over id lists stay
    bounded in parameters and plan size)."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def among(session: Session, column, ids: list[str]):
    """``column`` is one of ``ids`` (strings): one array parameter on PostgreSQL, whose statement
    text and plan do not grow with the list (an ``IN`` list of hundreds costs more to render, send
    and parse than the look-ups it makes); ``IN`` on SQLite."""
    if is_postgres(session):
        from sqlalchemy import String, any_, literal
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == any_(literal(list(ids), type_=ARRAY(String)))
    return column.in_(ids)


def contains_pattern(text: str) -> str:
    """A LIKE pattern for "contains ``text``" with its ``\\``, ``%`` and ``_`` taken literally
    (use it with ``escape="\\"``)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def lock_rows(session: Session, query, *, of=None, skip_locked: bool = False):
    """``query`` with ``FOR UPDATE [OF of] [SKIP LOCKED]`` on PostgreSQL; unchanged on SQLite,
    which has no row locks and lets one write transaction at a time in anyway.

    Pass ``of`` (an entity) when the query eager-loads relationships with outer joins:
    PostgreSQL refuses to lock the nullable side of an outer join.
    """
    if not is_postgres(session):
        return query
    return query.with_for_update(of=of, skip_locked=skip_locked)


def upsert_insert(session: Session, table):
    """``insert(table)`` from the session's dialect: PostgreSQL's or SQLite's, both of which
    add ``on_conflict_do_update``, ``on_conflict_do_nothing`` and ``excluded``."""
    insert = postgresql.insert if is_postgres(session) else sqlite.insert
    return insert(table)


def workspace_row(session: Session, model, object_id: str, *, workspace_id: str):
    """The ``model`` row ``object_id`` if it belongs to the workspace, else None.

    Another workspace's id is simply unknown, and so is an id PostgreSQL cannot even compare (one
    with a NUL character), rather than a database error.
    """
    if "\x00" in object_id:
        return None
    row = session.get(model, object_id)
    return row if row is not None and row.workspace_id == workspace_id else None
