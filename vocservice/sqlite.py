"""The embedded SQLite database under concurrent writers: WAL, a busy timeout, one writer at a time.

``make run`` serves request threads and runs jobs and the tick in threads of the same process,
all on one SQLite file. SQLite takes one writer at a time, and with its default rollback journal
two transactions that both read and then want to write deadlock: one of them gets ``database is
locked`` at once, whatever the timeout, and the request answers 500. So on every connection:

- ``journal_mode=WAL``: readers never block the writer and the writer never blocks readers;
- ``busy_timeout``: a writer waits for the other (another process, e.g. a CLI command) instead
  of failing;
- ``synchronous=NORMAL``: the usual pairing with WAL (durable at checkpoints, never corrupt);

and, inside this process, a connection takes one lock before its first write statement and
holds it until it goes back to the pool (after its commit or rollback), so this process's
writers queue in Python rather than racing inside SQLite. pysqlite opens the transaction at that
first write (earlier reads run in their own implicit transactions), so the writer always starts
from a fresh snapshot and never has to upgrade a stale one (which fails at once, timeout or not).
"""

import logging
import threading

from sqlalchemy import event
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 30_000
# A plain lock (any thread may release it: a connection can be returned by another thread), with
# its owner so that a thread writing on a second connection while its first holds the lock goes
# on instead of waiting for itself; SQLite's busy timeout orders those two.
_WRITER = threading.Lock()
_owner: int | None = None
_HELD = "voc_writer_lock"
_READS = ("SELECT", "PRAGMA", "EXPLAIN")


def _on_connect(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _before_execute(conn, _cursor, statement: str, _params, _context, _executemany) -> None:
    global _owner
    if conn.info.get(_HELD):
        return
    words = statement.split(None, 1)
    if not words or words[0].upper() in _READS or _owner == threading.get_ident():
        return
    if _WRITER.acquire(timeout=BUSY_TIMEOUT_MS / 1000):
        _owner = threading.get_ident()
        conn.info[_HELD] = True
    else:  # never wait forever on this lock: SQLite's own busy timeout still applies
        log.warning("embedded database: no writer slot after %d ms, writing anyway", BUSY_TIMEOUT_MS)


def _release(_dbapi_connection, record, *_args) -> None:
    # On the way back to the pool, so after the COMMIT or ROLLBACK has reached SQLite: releasing
    # any earlier would let the next writer open its snapshot before this one's commit lands.
    global _owner
    if record is not None and record.info.pop(_HELD, False):
        _owner = None
        _WRITER.release()


def install(engine: Engine) -> None:
    """Tune ``engine`` (an SQLite engine) as this module describes; idempotent."""
    for target, name, listener in (
        (engine, "connect", _on_connect),
        (engine, "before_cursor_execute", _before_execute),
        (engine.pool, "checkin", _release),
        (engine.pool, "invalidate", _release),
        (engine.pool, "soft_invalidate", _release),
    ):
        if not event.contains(target, name, listener):
            event.listen(target, name, listener)
