"""The product managers' web app under ``/app``: server-rendered pages over the ``surveys``
services, with users who log in (``vocservice.webapp.auth``), per-session CSRF tokens, strict
security headers and no third-party assets (local CSS and a small script, inline SVG charts).
"""

from flask import Blueprint, Flask, render_template, request
from werkzeug.exceptions import HTTPException

from surveys.core.errors import DomainError
from vocservice.errors import problem_type

bp = Blueprint("webapp", __name__, url_prefix="/app")

# Scripts and styles only from our own origin: customer text can never become code, even if
# an escaping bug slipped through. Inline SVG needs no exception (attributes, not styles).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


@bp.after_request
def _security_headers(response):
    # A view may set its own (the sandboxed preview frames do); every other page gets ours.
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    # Pages show customer feedback of one workspace: never kept by shared caches or bfcache.
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.errorhandler(DomainError)
def _domain_error(error: DomainError):
    status, _, title = problem_type(error)
    return render_template("app/error.html", status=status, title=title, detail=error.detail), status


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    status = error.code or 500
    detail = error.description or error.name
    if status == 429:
        detail = "Too many attempts. Please wait a minute and try again."
    response = render_template("app/error.html", status=status, title=error.name, detail=detail)
    return response, status


def init_app(app: Flask) -> None:
    from vocservice.webapp import (  # noqa: F401 - registers the views on the blueprint
        alerts,
        auth,
        cases,
        customers,
        dashboard,
        digest_settings,
        emerging,
        export,
        feedback,
        learning,
        previews,
        privacy,
        roadmap,
        roadmap_item,
        settings,
        surveys_pages,
        themes,
        touchpoint_pages,
        webhooks,
    )

    auth.configure_session(app)
    app.jinja_env.filters.setdefault("zip", lambda left, right: list(zip(left, right, strict=False)))
    app.register_blueprint(bp)

    @app.context_processor
    def _current_path() -> dict:
        return {"current_path": request.path}
