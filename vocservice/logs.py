"""What reaches the logs: never a respondent's secret link, never a raw control character.

A survey link (``/s/<token>``, ``/u/<token>``) is a bearer credential: whoever reads it can answer
or unsubscribe as that customer, so access logs show ``/s/[token]`` instead. Paths are also
escaped (``\\x1b`` instead of the byte), so a crafted URL cannot forge or hide log lines.
:class:`GunicornLogger` applies both to gunicorn's access log (see the Procfile); the error log
calls :func:`safe_path` itself.
"""

import logging
import re

from gunicorn.glogging import Logger
from sqlalchemy.exc import StatementError

_TOKEN_PATH = re.compile(r"(/(?:s|u)/)[^/?#\s]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\\]")


def _escape(match: re.Match) -> str:
    char = match.group()
    return "\\\\" if char == "\\" else f"\\x{ord(char):02x}"


def safe_path(text: str | None) -> str:
    """``text`` (a path, request line or URL) with survey tokens redacted and controls escaped."""
    if not text:
        return text or ""
    return _CONTROL.sub(_escape, _TOKEN_PATH.sub(r"\1[token]", text))


def describe_database_error(error: StatementError) -> str:
    """A database error without the values it may quote (PostgreSQL's message names the bad
    value: a comment, an email): its kind, SQLSTATE and SQL statement only."""
    orig = getattr(error, "orig", None)
    code = getattr(getattr(orig, "diag", None), "sqlstate", None) or "-"
    return f"{type(orig or error).__name__} (sqlstate {code})\n[SQL: {error.statement}]"


class QuietDatabaseError(Exception):
    """Raised in place of a database error where its text would be logged or stored (RQ keeps a
    failed job's traceback in Redis)."""


class GunicornLogger(Logger):
    """gunicorn's logger with :func:`safe_path` applied to every URL-bearing access-log atom."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "q", "f", "{referer}i"):
            if isinstance(atoms.get(key), str):
                atoms[key] = safe_path(atoms[key])
        if isinstance(atoms.get("a"), str):
            atoms["a"] = _CONTROL.sub(_escape, atoms["a"])
        return atoms


class RedactingFilter(logging.Filter):
    """The same for the development server's request log (werkzeug), used by ``make run``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(safe_path(a) if isinstance(a, str) else a for a in record.args)
        return True


def install() -> None:
    werkzeug_log = logging.getLogger("werkzeug")
    if not any(isinstance(f, RedactingFilter) for f in werkzeug_log.filters):
        werkzeug_log.addFilter(RedactingFilter())
