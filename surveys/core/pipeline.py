"""Several independent statements in one network round trip (psycopg pipeline mode).

The hot ingest path needs a few reads (or writes) that do not depend on each other's results;
sent one by one, each costs a round trip to PostgreSQL and back, a BEGIN included. Sent in one
pipeline they cost one. Statements run in order, in the session's transaction, as if sent one by
one; the first error raises once the pipeline is synced, and the transaction is then aborted as
it would be anyway. PostgreSQL only (callers check :func:`surveys.core.db.is_postgres`).
"""

from threading import Lock
from weakref import WeakSet

from psycopg.pq import ExecStatus
from psycopg.rows import namedtuple_row
from sqlalchemy import event
from sqlalchemy.orm import Session

TUPLES_OK = ExecStatus.TUPLES_OK


def driver(session: Session):
    """The psycopg connection under the session's current transaction."""
    return session.connection().connection.driver_connection


def run(session: Session, statements: list[tuple[str, object]], *, binary: bool = False) -> list[list]:
    """Run ``(sql, params)`` statements in one round trip; their rows (named tuples) in order.
    A statement without a result set gives ``[]``. A pending :func:`prelude` goes first, and is
    checked before any rows are returned."""
    first = session.info.pop(_PRELUDE, None)
    if first is not None:
        statements = [first[:2], *statements]
    conn = driver(session)
    cursors = []
    with conn.pipeline():
        for sql, params in statements:
            cursor = conn.cursor(row_factory=namedtuple_row)
            cursor.execute(sql, params, binary=binary)
            cursors.append(cursor)
    results = [_rows(cursor) for cursor in cursors]
    if first is not None:
        first[2](results.pop(0))
    return results


def fetch(session: Session, sql: str, params: object, *, binary: bool = False) -> list:
    """One statement's rows (named tuples), sent plainly: a pipeline costs more client CPU than
    it saves for a single statement. With a pending :func:`prelude` both go in one round trip."""
    if _PRELUDE in session.info:
        return run(session, [(sql, params)], binary=binary)[0]
    cursor = driver(session).cursor(row_factory=namedtuple_row)
    cursor.execute(sql, params, binary=binary)
    return _rows(cursor)


def _rows(cursor) -> list:
    # ``cursor.description is not None``, without building a Column per column to say so.
    result = cursor.pgresult
    if result is not None and (result.nfields or result.status == TUPLES_OK):
        return cursor.fetchall()
    return []


# A check the caller assumed passed, sent with the transaction's next statements (see prelude).
_PRELUDE = "voc_prelude"


def prelude(session: Session, sql: str, params: object, check) -> None:
    """Send ``(sql, params)`` ahead of the next :func:`run` or :func:`fetch` on this session, in
    the same round trip, and call ``check(rows)`` on its rows before returning theirs; ``check``
    raises to refuse what was assumed (the caller rolls back). Work the caller did on the
    assumption is thereby checked in the round trip that starts it, without one of its own. A
    caller that may reach its commit or answer without such a call sends it with :func:`settle`.
    Statements sent through SQLAlchemy do not carry it."""
    session.info[_PRELUDE] = (sql, params, check)


def pending(session: Session) -> bool:
    """Whether a :func:`prelude` is still waiting to be sent."""
    return _PRELUDE in session.info


def settle(session: Session) -> None:
    """Send a pending :func:`prelude` now, on its own (nothing if there is none)."""
    if _PRELUDE in session.info:
        run(session, [])


def discard(session: Session) -> None:
    """Forget a pending :func:`prelude` (its work is being rolled back)."""
    session.info.pop(_PRELUDE, None)


# Statements sent with the transaction's COMMIT (see :func:`at_commit`), kept on the connection's
# info; emptied when a transaction begins, commits or rolls back.
_AT_COMMIT = "voc_at_commit"
_INSTALL = Lock()
_INSTALLED = WeakSet()  # engines whose listeners are in place


def at_commit(session: Session, sql: str, params: object, *, binary: bool = False) -> None:
    """Run ``(sql, params)`` in the session's transaction, sent in one round trip with its
    COMMIT: a write nothing later in the transaction reads (the last insert of a request) costs
    no round trip of its own. The COMMIT's answer is awaited as usual, so the statement is
    durable when ``session.commit()`` returns; if it fails, nothing commits and the commit
    raises. A rolled-back transaction drops it. Inside a savepoint (which could roll back
    without the transaction) the statement runs at once instead."""
    connection = session.connection()
    if connection.in_nested_transaction():
        driver(session).cursor().execute(sql, params, binary=binary)
        return
    engine = connection.engine
    if engine not in _INSTALLED:  # event.contains, asked on every call, cost more than a set
        with _INSTALL:
            if not event.contains(engine, "commit", _commit):
                event.listen(engine, "begin", _forget)
                event.listen(engine, "rollback", _forget)
                event.listen(engine, "commit", _commit)
            _INSTALLED.add(engine)
    connection.info.setdefault(_AT_COMMIT, []).append((sql, params, binary))


def _forget(connection) -> None:
    connection.info.pop(_AT_COMMIT, None)


def _commit(connection) -> None:
    statements = connection.info.pop(_AT_COMMIT, None)
    if not statements:
        return
    conn = connection.connection.driver_connection
    with conn.pipeline():
        for sql, params, binary in statements:
            conn.cursor().execute(sql, params, binary=binary)
        # Queued behind them and synced: one round trip, the COMMIT's answer awaited. The
        # dialect's own commit then finds no transaction open and sends nothing.
        conn.commit()
