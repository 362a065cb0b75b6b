"""Several independent statements in one network round trip (psycopg pipeline mode).

The hot ingest path needs a few reads (or writes) that do not depend on each other's results;
sent one by one, each costs a round trip to PostgreSQL and back, a BEGIN included. Sent in one
pipeline they cost one. Statements run in order, in the session's transaction, as if sent one by
one; the first error raises once the pipeline is synced, and the transaction is then aborted as
it would be anyway. PostgreSQL only (callers check :func:`surveys.core.db.is_postgres`).
"""

from psycopg.rows import namedtuple_row
from sqlalchemy.orm import Session


def driver(session: Session):
    """The psycopg connection under the session's current transaction."""
    return session.connection().connection.driver_connection


def run(session: Session, statements: list[tuple[str, object]], *, binary: bool = False) -> list[list]:
    """Run ``(sql, params)`` statements in one round trip; their rows (named tuples) in order.
    A statement without a result set gives ``[]``."""
    conn = driver(session)
    cursors = []
    with conn.pipeline():
        for sql, params in statements:
            cursor = conn.cursor(row_factory=namedtuple_row)
            cursor.execute(sql, params, binary=binary)
            cursors.append(cursor)
    return [cursor.fetchall() if cursor.description is not None else [] for cursor in cursors]


def fetch(session: Session, sql: str, params: object, *, binary: bool = False) -> list:
    """One statement's rows (named tuples), sent plainly: a pipeline costs more client CPU than
    it saves for a single statement."""
    cursor = driver(session).cursor(row_factory=namedtuple_row)
    cursor.execute(sql, params, binary=binary)
    return cursor.fetchall() if cursor.description is not None else []
