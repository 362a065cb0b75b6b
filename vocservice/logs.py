"""What reaches the logs, and in which shape: one JSON object per line (or text for a person at a
terminal), each carrying the request id of the HTTP request it belongs to, never a respondent's
secret link, never a raw control character.

Format: ``VOC_LOG_FORMAT=json|text|auto`` (default ``auto``: JSON unless stderr is a terminal, so
gunicorn, the worker and the scheduler under a process manager write JSON and ``make run`` in a
terminal writes text). A JSON line has ``time`` (RFC 3339 UTC), ``level``, ``logger``,
``message``, ``request_id`` (null outside a request or a job), ``exception`` when there is one,
and any ``extra=`` fields of the call (``job_id`` on job lines).

Request id: taken from the ``X-Request-ID`` header when it is 1 to 128 visible ASCII characters,
otherwise made here; returned in the response's ``X-Request-ID``, stored in the meta of every job
the request enqueues and restored in the worker while that job runs, so one id follows the work
from the HTTP request to the job's log lines.

A survey link (``/s/<token>``, ``/u/<token>``) is a bearer credential: whoever reads it can answer
or unsubscribe as that customer, so access logs show ``/s/[token]`` instead; the query of a
privacy export names a person, so it shows as ``[redacted]``. Paths are also
escaped (``\\x1b`` instead of the byte), so a crafted URL cannot forge or hide log lines.
:class:`GunicornLogger` applies both to gunicorn's access log (see the Procfile); the error log
calls :func:`safe_path` itself.
"""

import contextlib
import json
import logging
import os
import re
import sys
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime

from flask import Flask, g, request
from gunicorn.glogging import Logger
from sqlalchemy.exc import StatementError

_TOKEN_PATH = re.compile(r"(/(?:s|u)/)[^/?#\s]+")
# Whom a privacy export is about is itself personal data: its query values never reach a log.
_PRIVACY_QUERY = re.compile(r"(/privacy/[^?#\s]*\?)([^#\s]*)")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\\]")
_REQUEST_ID = re.compile(r"[\x21-\x7e]{1,128}")
REQUEST_ID_HEADER = "X-Request-ID"
FORMATS = ("json", "text", "auto")

request_id_var: ContextVar[str | None] = ContextVar("voc_request_id", default=None)


def _escape(match: re.Match) -> str:
    char = match.group()
    return "\\\\" if char == "\\" else f"\\x{ord(char):02x}"


def safe_path(text: str | None) -> str:
    """``text`` (a path, request line or URL) with survey tokens redacted and controls escaped."""
    if not text:
        return text or ""
    text = _PRIVACY_QUERY.sub(r"\1[redacted]", _TOKEN_PATH.sub(r"\1[token]", text))
    return _CONTROL.sub(_escape, text)


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
    """gunicorn's logger with :func:`safe_path` applied to every URL-bearing access-log atom, and
    in JSON mode its error and access logs as JSON lines (the access line with the request id)."""

    def setup(self, cfg):
        super().setup(cfg)
        if log_format() == "json":
            for handler in (*self.error_log.handlers, *self.access_log.handlers):
                handler.setFormatter(JsonFormatter())

    def access(self, resp, req, environ, request_time):
        if log_format() != "json":
            return super().access(resp, req, environ, request_time)
        if not self.access_log_enabled:
            return None
        atoms = self.atoms(resp, req, environ, request_time)
        fields = {
            "remote_addr": atoms.get("h"),
            "method": atoms.get("m"),
            "path": atoms.get("U"),
            "query": atoms.get("q") or None,
            "status": int(atoms["s"]) if str(atoms.get("s")).isdigit() else atoms.get("s"),
            "bytes": atoms.get("B"),
            "duration_ms": atoms.get("M"),
            "user_agent": atoms.get("a"),
            "request_id": atoms.get(f"{{{REQUEST_ID_HEADER.lower()}}}o"),
        }
        try:
            self.access_log.info("%s", atoms["r"], extra=fields)
        except Exception:  # noqa: BLE001 - gunicorn's own behaviour: a bad line is an error line
            self.exception("access log line failed")
        return None

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "q", "f", "{referer}i"):
            if isinstance(atoms.get(key), str):
                atoms[key] = safe_path(atoms[key])
        if "/privacy/" in str(atoms.get("U")) and atoms.get("q"):
            atoms["q"] = "[redacted]"  # the query alone, without the path safe_path keys on
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


def valid_request_id(value: str | None) -> str:
    """``value`` when it is 1 to 128 visible ASCII characters, else a new id."""
    if value and _REQUEST_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    return request_id_var.get()


@contextlib.contextmanager
def request_context(request_id: str | None) -> Iterator[None]:
    """Log lines inside carry ``request_id`` (a job restores its request's id with this)."""
    token = request_id_var.set(request_id)
    try:
        yield
    finally:
        request_id_var.reset(token)


_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class ContextFilter(logging.Filter):
    """Stamps every record with the request id of the request or job it was logged in."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, then the extras."""

    def format(self, record: logging.LogRecord) -> str:
        created = datetime.fromtimestamp(record.created, UTC)
        line = {
            "time": created.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in line and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The classic line, with the request id when there is one."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(rid)s%(message)s")

    def format(self, record: logging.LogRecord) -> str:
        rid = getattr(record, "request_id", None) or request_id_var.get()
        record.rid = f"[{rid}] " if rid else ""
        return super().format(record)


def log_format() -> str:
    """``json`` or ``text``, from VOC_LOG_FORMAT (``auto``: JSON unless stderr is a terminal)."""
    chosen = os.environ.get("VOC_LOG_FORMAT", "auto").strip().lower() or "auto"
    if chosen not in FORMATS:
        raise ValueError(f"VOC_LOG_FORMAT must be one of {', '.join(FORMATS)}, not {chosen!r}")
    if chosen == "auto":
        return "text" if sys.stderr.isatty() else "json"
    return chosen


def formatter(fmt: str | None = None) -> logging.Formatter:
    return JsonFormatter() if (fmt or log_format()) == "json" else TextFormatter()


def configure(fmt: str | None = None) -> None:
    """The root log: one handler on stderr in the chosen format, unless something (a test
    runner, an embedding program) configured logging already; its handlers get the request id."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(formatter(fmt))
        root.addHandler(handler)
        root.setLevel(logging.INFO)
    for handler in root.handlers:
        if not any(isinstance(f, ContextFilter) for f in handler.filters):
            handler.addFilter(ContextFilter())


def _begin_request() -> None:
    rid = valid_request_id(request.headers.get(REQUEST_ID_HEADER))
    g.request_id = rid
    g.request_id_token = request_id_var.set(rid)


def _tag_response(response):
    rid = g.get("request_id")
    if rid:
        response.headers[REQUEST_ID_HEADER] = rid
    return response


def _end_request(_error=None) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        try:
            request_id_var.reset(token)
        except ValueError:  # torn down in another context: just clear it
            request_id_var.set(None)


def init_app(app: Flask) -> None:
    """Give every request its id (registered first, so every later hook and log line has it)."""
    app.before_request_funcs.setdefault(None, []).insert(0, _begin_request)
    app.after_request(_tag_response)
    app.teardown_request(_end_request)
