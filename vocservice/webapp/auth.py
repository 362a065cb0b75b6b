"""Web app users: login and logout with Flask's signed session, roles, and CSRF protection.

Users are ``surveys.workspace.models.User`` rows (admin or analyst of one workspace). The session holds
only the user id and a CSRF token; every ``/app`` page except the login form needs a user, and
every state-changing request must echo the session's token (constant-time compare).
"""

import hmac
import secrets
from datetime import timedelta
from functools import wraps
from urllib.parse import urlsplit

from flask import (
    Flask,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from surveys.core.db import db
from surveys.workspace.models import User, Workspace
from vocservice.extensions import limiter
from vocservice.webapp import bp

PUBLIC_ENDPOINTS = {"webapp.login"}
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Compared against when the email is unknown, so both paths cost one hash check.
_DUMMY_HASH = generate_password_hash(secrets.token_urlsafe(16))
BAD_LOGIN = "That email and password do not match an account."


def configure_session(app: Flask) -> None:
    app.config.setdefault("SESSION_COOKIE_NAME", "voc_session")
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = app.config.get("PUBLIC_BASE_URL", "").lower().startswith("https://")
    app.config.setdefault("PERMANENT_SESSION_LIFETIME", timedelta(hours=12))
    app.jinja_env.globals["csrf_token"] = csrf_token


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


@bp.before_request
def _load_user():
    g.user = None
    user_id = session.get("uid")
    if user_id:
        user = db.session.get(User, user_id)
        # A deleted user, or one whose role changed, is dropped at the next request.
        if user is not None and session.get("role") == user.role:
            g.user = user
            g.workspace = db.session.get(Workspace, user.workspace_id)
    if g.user is None and request.endpoint not in PUBLIC_ENDPOINTS:
        # Only a page can be come back to after login, not a form post.
        target = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("webapp.login", next=target))
    return None


@bp.before_request
def _check_csrf():
    if request.method not in UNSAFE_METHODS:
        return None
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    expected = session.get("csrf") or ""
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        abort(400, "The form has expired or did not come from this site. Reload and try again.")
    return None


def admin_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if g.user is None or g.user.role != "admin":
            abort(403, "Only workspace admins can do this.")
        return view(*args, **kwargs)

    return wrapper


def _safe_next(target: str | None) -> str:
    # Only paths of this app: never an absolute or scheme-relative URL (open redirect).
    if target and target.startswith("/app") and not urlsplit(target).netloc and "\\" not in target:
        return target
    return url_for("webapp.dashboard")


def _find_user(email: str, password: str, slug: str) -> tuple[User | None, bool]:
    """The one user these credentials open; ``ambiguous`` when several workspaces match."""
    query = select(User).where(User.email == email.strip().lower())
    if slug:
        query = query.join(Workspace, Workspace.id == User.workspace_id).where(Workspace.slug == slug.strip())
    candidates = db.session.execute(query.limit(20)).scalars().all()
    if not candidates:
        check_password_hash(_DUMMY_HASH, password)
        return None, False
    matching = [u for u in candidates if check_password_hash(u.password_hash, password)]
    if len(matching) > 1:
        return None, True
    return (matching[0] if matching else None), False


def _login_limit() -> str:
    return current_app.config.get("WEBAPP_LOGIN_RATE_LIMIT", "10 per minute")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if request.method == "GET":
        if g.user is not None:
            return redirect(_safe_next(request.args.get("next")))
        return render_template(
            "app/login.html", error=None, email="", ask_workspace=False, next=request.args.get("next", "")
        )
    email = request.form.get("email", "")[:320]
    password = request.form.get("password", "")[:1000]
    slug = request.form.get("workspace", "")[:64]
    user, ambiguous = _find_user(email, password, slug)
    if user is None:
        error = "This login works in several workspaces: name the one you want." if ambiguous else BAD_LOGIN
        return render_template(
            "app/login.html",
            error=error,
            email=email,
            ask_workspace=ambiguous or bool(slug),
            next=request.form.get("next", ""),
        ), 401
    target = _safe_next(request.form.get("next"))
    # A fresh session (and CSRF token) at login: nothing planted before survives it.
    session.clear()
    session.permanent = True
    session["uid"] = user.id
    session["role"] = user.role
    session["csrf"] = secrets.token_urlsafe(32)
    return redirect(target)


@bp.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("webapp.login"))
