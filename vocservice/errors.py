"""The one place where errors become HTTP: RFC 9457 ``application/problem+json`` for the API and
webhooks, small HTML pages for the customer-facing form. Never a 5xx for bad input.
"""

import logging
import sqlite3
import traceback

from flask import Flask, current_app, json, render_template, request
from psycopg import errors as pg_errors
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError

from surveys.core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Gone,
    Invalid,
    NotFound,
    Unauthorized,
)
from vocservice.logs import describe_database_error, safe_path

log = logging.getLogger(__name__)

PROBLEM_BASE = "https://vocservice.dev/problems/"

# Domain error class -> (HTTP status, problem type slug, title); subclasses inherit their parent's.
PROBLEM_TYPES: dict[type[DomainError], tuple[int, str, str]] = {
    Invalid: (422, "validation-error", "Validation failed"),
    NotFound: (404, "not-found", "Not found"),
    Conflict: (409, "conflict", "Conflict"),
    Gone: (410, "gone", "Gone"),
    Unauthorized: (401, "unauthorized", "Unauthorized"),
    Forbidden: (403, "forbidden", "Forbidden"),
    DomainError: (400, "bad-request", "Bad request"),
}


def problem_type(error: DomainError) -> tuple[int, str, str]:
    """The status, slug and title of a domain error: its own class's, else its nearest parent's."""
    for cls in type(error).__mro__:
        if cls in PROBLEM_TYPES:
            return PROBLEM_TYPES[cls]
    return PROBLEM_TYPES[DomainError]


def status_of(error: DomainError) -> int:
    return problem_type(error)[0]


def problem(status: int, title: str, detail: str, *, slug: str | None = None, **extra):
    body = {
        "type": PROBLEM_BASE + (slug or title.lower().replace(" ", "-")),
        "title": title,
        "status": status,
        "detail": detail,
        **{k: v for k, v in extra.items() if v is not None},
    }
    response = current_app.response_class(
        json.dumps(body), status=status, mimetype="application/problem+json"
    )
    return response


def _wants_html() -> bool:
    return not (
        request.path.startswith("/api")
        or request.path.startswith("/webhooks")
        or request.path.startswith("/w/")
        or request.path == "/embed.js"
    )


def _html_error(status: int, title: str, detail: str):
    return render_template("error.html", status=status, title=title, detail=detail), status


def problem_from_http_exception(error: HTTPException):
    status = error.code or 500
    title = error.name
    detail = error.description or title
    errors = None
    data = getattr(error, "data", None) or {}
    messages = data.get("messages") if isinstance(data, dict) else None
    if messages:
        # webargs nests messages by location ("json", "query"); flatten one level.
        errors = {}
        for location, fields in messages.items():
            if isinstance(fields, dict):
                errors.update(fields)
            else:
                errors[location] = fields
        if status == 422:
            title = "Validation failed"
            detail = "The request has invalid fields: see errors."
        else:
            detail = "The request body is not valid JSON."
    if status == 413:
        detail = f"Request bodies are limited to {current_app.config['MAX_CONTENT_LENGTH']} bytes."
    if _wants_html():
        return _html_error(status, title, detail)
    response = problem(status, title, detail, slug=_slug(status), errors=errors)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="vocservice"'
    for header, value in getattr(error, "get_headers", lambda: [])() or []:
        if header.lower() in ("retry-after", "allow"):
            response.headers[header] = value
    return response


def _slug(status: int) -> str:
    return {
        400: "bad-request",
        401: "unauthorized",
        403: "forbidden",
        404: "not-found",
        405: "method-not-allowed",
        409: "conflict",
        410: "gone",
        413: "payload-too-large",
        415: "unsupported-media-type",
        422: "validation-error",
        429: "rate-limited",
    }.get(status, "error")


def handle_domain_error(error: DomainError):
    status, slug, title = problem_type(error)
    if _wants_html():
        return _html_error(status, title, error.detail)
    response = problem(status, title, error.detail, slug=slug, errors=error.errors)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="vocservice"'
    return response


def _log_unexpected(error: Exception) -> None:
    where = f"{request.method} {safe_path(request.path)}"
    if isinstance(error, StatementError):
        frames = "".join(traceback.format_tb(error.__traceback__))
        log.error("unhandled database error on %s: %s\n%s", where, describe_database_error(error), frames)
        return
    log.exception("unhandled error on %s", where)


# PostgreSQL's answers that mean "not now" rather than "never": the transaction was rolled back
# whole, so the same request may simply be sent again. (A deadlock between two writers, a
# serialisation failure, a lock or statement timeout, a server starting, stopping or full.)
_TRANSIENT = (
    pg_errors.DeadlockDetected,
    pg_errors.SerializationFailure,
    pg_errors.LockNotAvailable,
    pg_errors.QueryCanceled,
    pg_errors.AdminShutdown,
    pg_errors.CannotConnectNow,
    pg_errors.TooManyConnections,
)


def retry_after(error: Exception) -> int | None:
    """Seconds to wait before sending the request again, when the database failed it for a
    passing reason (the server unreachable, a deadlock, a timeout); None for anything else."""
    if isinstance(error, PoolTimeout):
        return 2
    if not isinstance(error, DBAPIError):
        return None
    if isinstance(error.orig, _TRANSIENT):
        return 1
    if isinstance(error.orig, sqlite3.OperationalError) and "locked" in str(error.orig):
        return 1  # the embedded database: another writer held it past the busy timeout
    # No answer at all (refused, reset, the server gone mid-statement): psycopg's own
    # OperationalError, which carries no SQLSTATE.
    if error.connection_invalidated or (
        isinstance(error.orig, pg_errors.OperationalError) and not getattr(error.orig, "sqlstate", None)
    ):
        return 5
    return None


def handle_unexpected(error: Exception):
    _log_unexpected(error)
    if isinstance(error, HTTPException):
        return problem_from_http_exception(error)
    wait = retry_after(error)
    if wait is not None:
        detail = (
            "The database could not take this request just now; nothing of it was stored. Try again shortly."
        )
        if _wants_html():
            response = current_app.make_response(_html_error(503, "Service unavailable", detail))
        else:
            response = problem(503, "Service unavailable", detail, slug="unavailable")
        response.headers["Retry-After"] = str(wait)
        return response
    err = InternalServerError()
    if _wants_html():
        return _html_error(500, err.name, "Something went wrong on our side.")
    return problem(500, err.name, "Something went wrong on our side.", slug="internal-error")


def init_app(app: Flask) -> None:
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(HTTPException, problem_from_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
