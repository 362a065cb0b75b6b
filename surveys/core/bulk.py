"""Fast multi-row INSERTs.

On PostgreSQL a batch goes in as one statement with one array parameter per column,
``INSERT ... SELECT * FROM unnest(...)``: the statement text stays small and constant however
many rows there are, so neither SQLAlchemy nor psycopg nor the server re-parses thousands of
placeholders. Other databases (the embedded SQLite) use SQLAlchemy's executemany.
"""

from psycopg.rows import namedtuple_row
from psycopg.types.json import Jsonb
from sqlalchemy import Table, insert
from sqlalchemy.orm import Session
from sqlalchemy.sql.sqltypes import JSON

from surveys.core.db import is_postgres

_SQL_CACHE: dict[tuple, str] = {}
# Below this many rows one INSERT beats COPY's extra round trips.
COPY_FROM_ROWS = 50


class _Result(list):
    """Rows with attribute access, plus ``scalars()`` like a SQLAlchemy result."""

    def scalars(self):
        return [row[0] for row in self]


def _pg_sql(session: Session, table: Table, on_conflict: str, returning: str, *, one: bool = False) -> str:
    key = (table.name, on_conflict, returning, one)
    if key not in _SQL_CACHE and one:
        # One row (the single-event API path): plain parameters, no arrays to build and unpack.
        dialect = session.get_bind().dialect
        names = [c.name for c in table.columns]
        values = ", ".join(f"CAST(%({c.name})s AS {c.type.compile(dialect=dialect)})" for c in table.columns)
        _SQL_CACHE[key] = (  # noqa: S608
            f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({values}) {on_conflict} {returning}"  # noqa: S608
        )
    if key not in _SQL_CACHE:
        # Not a database check (this only runs on PostgreSQL): the server's own dialect object
        # spells each column type for the array casts, as the schema declared it (JSONB, ...).
        dialect = session.get_bind().dialect
        names = [c.name for c in table.columns]
        arrays = ", ".join(
            f"CAST(%({c.name})b AS {c.type.compile(dialect=dialect)}[])" for c in table.columns
        )
        # Only table/column names and fixed clauses from our own code: no user input here.
        _SQL_CACHE[key] = (  # noqa: S608
            f"INSERT INTO {table.name} ({', '.join(names)}) "  # noqa: S608
            f"SELECT * FROM unnest({arrays}) AS t({', '.join(names)}) {on_conflict} {returning}"
        )
    return _SQL_CACHE[key]


def _json_column(column) -> bool:
    return isinstance(column.type, JSON) or getattr(column.type, "impl", None) is JSON


# table -> its columns' (name, is JSON) in order, read once: the single-event path builds two
# one-row statements per request.
_COLUMNS: dict[Table, list[tuple[str, bool]]] = {}


def _columns(table: Table) -> list[tuple[str, bool]]:
    found = _COLUMNS.get(table)
    if found is None:
        found = _COLUMNS[table] = [(c.name, _json_column(c)) for c in table.columns]
    return found


def insert_statement(
    session: Session, table: Table, rows: list[dict], *, on_conflict: str = "", returning: str = ""
) -> tuple[str, dict]:
    """The PostgreSQL ``INSERT ... SELECT * FROM unnest(...)`` of ``rows`` and its parameters (one
    array per column), to run with ``binary=True``: alone (:func:`insert_rows`) or in a pipeline
    (:mod:`surveys.core.pipeline`)."""
    columns = _columns(table)
    if len(rows) == 1:
        row = rows[0]
        params = {}
        for name, is_json in columns:
            value = row.get(name)
            params[name] = Jsonb(value) if is_json and value is not None else value
        return _pg_sql(session, table, on_conflict, returning, one=True), params
    params = {}
    for name, is_json in columns:
        values = [row.get(name) for row in rows]
        if is_json:
            values = [None if v is None else Jsonb(v) for v in values]
        params[name] = values
    return _pg_sql(session, table, on_conflict, returning), params


def insert_rows(
    session: Session,
    table: Table,
    rows: list[dict],
    *,
    on_conflict: str = "",
    returning: str = "",
    sqlalchemy_statement=None,
):
    """Insert ``rows`` (dicts keyed by column name). ``on_conflict``/``returning`` are SQL
    clauses for PostgreSQL; ``sqlalchemy_statement`` is a callable building the equivalent
    statement for SQLite (built only when needed)."""
    if not rows:
        return None
    if is_postgres(session):
        sql, params = insert_statement(session, table, rows, on_conflict=on_conflict, returning=returning)
        # The driver's own cursor, binary protocol: no text escaping of thousands of values.
        cursor = session.connection().connection.driver_connection.cursor(row_factory=namedtuple_row)
        cursor.execute(sql, params, binary=True)
        return _Result(cursor.fetchall() if returning else [])
    statement = sqlalchemy_statement() if sqlalchemy_statement is not None else insert(table)
    return session.execute(statement, rows)


def copy_rows(session: Session, table: Table, rows: list[dict]) -> None:
    """Plain inserts with no conflict handling or RETURNING: COPY on PostgreSQL (fastest path
    into the server), executemany elsewhere. Runs inside the session's transaction."""
    if not rows:
        return
    connection = session.connection()
    if not is_postgres(session) or len(rows) < COPY_FROM_ROWS:
        insert_rows(session, table, rows)
        return
    names = [c.name for c in table.columns]
    json_at = [i for i, c in enumerate(table.columns) if isinstance(c.type, JSON)]
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
        for row in rows:
            values = [row.get(name) for name in names]
            for i in json_at:  # only the JSON columns need wrapping
                if values[i] is not None:
                    values[i] = Jsonb(values[i])
            copy.write_row(values)
