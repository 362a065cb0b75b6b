"""Web app users: login and logout with server-side sessions, roles, CSRF protection, login
throttling, and each user's own account page (password, sessions).

Users are ``surveys.workspace.models.User`` rows (admin or analyst of one workspace). The signed
cookie (``voc_session``) holds a random session token, the role the user logged in with and a
CSRF token. The token names a ``web_sessions`` row (``surveys.workspace.sessions``), so logging
out, a password change, or disabling or removing the user ends the session even where a copy of
the cookie was kept. Every ``/app`` page except the login form needs a live session, and every
state-changing request must echo the session's CSRF token (constant-time compare).

Logins are throttled per client address (every attempt) and per account (failed attempts for
the submitted email, from any address), so neither one address nor many can guess at will.
"""

import hashlib
import hmac
import math
import secrets
import time
from datetime import timedelta
from functools import wraps
from urllib.parse import urlsplit

from flask import (
    Flask,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_limiter.errors import RateLimitExceeded

from surveys.core.db import db
from surveys.core.errors import DomainError, Invalid
from surveys.digest.service import last_digests
from surveys.workspace.models import Workspace
from surveys.workspace.service import authenticate_user, change_password, normalise_email
from surveys.workspace.sessions import (
    end_session,
    end_user_sessions,
    live_sessions,
    resolve_session,
    start_session,
)
from vocservice.errors import status_of
from vocservice.extensions import limiter
from vocservice.webapp import _http_error, bp

PUBLIC_ENDPOINTS = {"webapp.login"}
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
BAD_LOGIN = "That email and password do not match an account."
DISABLED_LOGIN = "This account is disabled. Ask an admin of your workspace to enable it."
AMBIGUOUS_LOGIN = "This login works in several workspaces: name the one you want."
IP_THROTTLED = "Too many login attempts from your network."
ACCOUNT_THROTTLED = "Too many failed login attempts for this account."
COOKIE_NAME = "voc_session"
LIFETIME = timedelta(hours=12)


def configure_session(app: Flask) -> None:
    # Flask's defaults are always in app.config, so ``setdefault`` would never apply: ours
    # replace Flask's own values, and only an explicitly configured one wins.
    defaults = Flask.default_config
    if app.config.get("SESSION_COOKIE_NAME") in (None, defaults["SESSION_COOKIE_NAME"]):
        app.config["SESSION_COOKIE_NAME"] = COOKIE_NAME
    if app.config.get("PERMANENT_SESSION_LIFETIME") in (None, defaults["PERMANENT_SESSION_LIFETIME"]):
        app.config["PERMANENT_SESSION_LIFETIME"] = LIFETIME
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = app.config.get("PUBLIC_BASE_URL", "").lower().startswith("https://")
    app.jinja_env.globals["csrf_token"] = csrf_token


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


@bp.before_request
def _load_user():
    g.user = None
    g.web_session = None
    token = session.get("sid")
    if token:
        live = resolve_session(db.session, token=token)
        # A session also ends when its user's role changed since login.
        if live is not None and session.get("role") == live.user.role:
            if db.session.is_modified(live):
                # last_seen_at, before any query could autoflush it into a transaction that
                # nothing commits.
                db.session.commit()
            g.user, g.web_session = live.user, live
            g.workspace = db.session.get(Workspace, live.user.workspace_id)
        else:
            # Ended, expired, disabled or removed: this cookie opens nothing any more.
            session.pop("sid", None)
            session.pop("role", None)
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


def _begin(user) -> None:
    """Start a server-side session for ``user`` and put only its token in a fresh cookie."""
    _, token = start_session(
        db.session,
        user=user,
        lifetime=current_app.permanent_session_lifetime,
        user_agent=request.user_agent.string,
    )
    db.session.commit()
    # A fresh cookie (and CSRF token): nothing planted before survives it.
    session.clear()
    session.permanent = True
    session["sid"] = token
    session["role"] = user.role
    session["csrf"] = secrets.token_urlsafe(32)


# ---- Throttling ----------------------------------------------------------------------------------


def _login_limit() -> str:
    return current_app.config.get("WEBAPP_LOGIN_RATE_LIMIT", "10 per minute")


def _account_limit() -> str:
    return current_app.config.get("WEBAPP_ACCOUNT_LOGIN_RATE_LIMIT", "10 per 15 minutes")


def _account_key() -> str:
    # The normalised email, hashed: Redis keys carry no addresses.
    email = normalise_email(request.form.get("email", "")[:320])
    return "login-account:" + hashlib.sha256(email.encode()).hexdigest()[:32]


def _session_key() -> str:
    return "password-change:" + hashlib.sha256(session.get("sid", "").encode()).hexdigest()[:32]


def _failed(_response) -> bool:
    return bool(g.get("auth_failed"))


def _wait_text() -> str:
    current = limiter.current_limit
    try:
        seconds = current.reset_at - time.time() if current else 60
    except Exception:  # storage trouble (errors are swallowed): the limit was still hit
        seconds = 60
    minutes = max(1, math.ceil(seconds / 60))
    return f"Wait {minutes} minute{'s' if minutes != 1 else ''} and try again."


@bp.errorhandler(RateLimitExceeded)
def _throttled(error: RateLimitExceeded):
    # Limits are checked before the user is loaded: only the login page is rendered here.
    if request.endpoint == "webapp.login":
        message = f"{error.description} {_wait_text()}"
        return _login_page(message, ask_workspace=bool(request.form.get("workspace"))), 429
    return _http_error(error)


# ---- Login and logout ----------------------------------------------------------------------------


def _login_page(error: str | None, *, ask_workspace: bool = False):
    form = request.form if request.method == "POST" else {}
    return render_template(
        "app/login.html",
        error=error,
        email=form.get("email", "")[:320],
        ask_workspace=ask_workspace,
        next=form.get("next", "") if form else request.args.get("next", ""),
    )


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], error_message=IP_THROTTLED)
@limiter.limit(
    _account_limit,
    methods=["POST"],
    key_func=_account_key,
    deduct_when=_failed,
    error_message=ACCOUNT_THROTTLED,
)
def login():
    if request.method == "GET":
        if g.user is not None:
            return redirect(_safe_next(request.args.get("next")))
        return _login_page(None)
    slug = request.form.get("workspace", "")[:64]
    attempt = authenticate_user(
        db.session,
        email=request.form.get("email", "")[:320],
        password=request.form.get("password", "")[:1000],
        workspace_slug=slug,
    )
    if attempt.user is None:
        if attempt.ambiguous:
            return _login_page(AMBIGUOUS_LOGIN, ask_workspace=True), 401
        g.auth_failed = True  # counted against the account
        if attempt.disabled:
            return _login_page(DISABLED_LOGIN, ask_workspace=bool(slug)), 403
        return _login_page(BAD_LOGIN, ask_workspace=bool(slug)), 401
    target = _safe_next(request.form.get("next"))
    if previous := session.get("sid"):
        end_session(db.session, token=previous, reason="replaced")
    _begin(attempt.user)
    return redirect(target)


@bp.post("/logout")
def logout():
    end_session(db.session, token=session.get("sid", ""), reason="logout")
    db.session.commit()
    session.clear()
    return redirect(url_for("webapp.login"))


# ---- The user's own account ----------------------------------------------------------------------


def _account_page(*, error: str | None = None, errors: dict | None = None):
    return render_template(
        "app/account.html",
        error=error,
        errors=errors or {},
        sessions=live_sessions(db.session, user_id=g.user.id),
        current_id=g.web_session.id,
        digests=last_digests(db.session, user_id=g.user.id),
    )


@bp.get("/account")
def account():
    return _account_page()


@bp.post("/account/password")
@limiter.limit("10 per 15 minutes", key_func=_session_key, deduct_when=_failed)
def account_password():
    new = request.form.get("password", "")[:1001]
    try:
        if new != request.form.get("confirm", "")[:1001]:
            raise Invalid("The two new passwords differ.", errors={"confirm": ["does not match"]})
        change_password(
            db.session,
            user=g.user,
            current_password=request.form.get("current_password", "")[:1000],
            new_password=new,
        )
    except DomainError as error:
        db.session.rollback()
        g.auth_failed = "current_password" in (error.errors or {})
        return _account_page(error=error.detail, errors=error.errors), status_of(error)
    # Every session of this user ended, this browser's too: it gets a new one.
    _begin(g.user)
    flash("Password changed. You are logged out everywhere else.", "success")
    return redirect(url_for("webapp.account"))


@bp.post("/account/sessions/end")
def end_other_sessions():
    ended = end_user_sessions(db.session, user_id=g.user.id, reason="ended", keep_id=g.web_session.id)
    db.session.commit()
    flash(f"Logged out {ended} other session{'' if ended == 1 else 's'}.", "success")
    return redirect(url_for("webapp.account"))
