"""Workspace settings (``/app/settings``, admins only): API keys (created with the key shown
once, revoked), the workspace's secrets (never displayed; rotated with the new one shown once),
the widget snippet, and the team's users.
"""

from datetime import timedelta

from flask import flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from surveys.core.db import db
from surveys.core.errors import Conflict, DomainError
from surveys.workspace.models import ROLES, ApiKey
from surveys.workspace.secrets import KINDS as SECRET_KINDS
from surveys.workspace.secrets import previous_valid_until, rotate_secret
from surveys.workspace.service import (
    create_api_key,
    create_user,
    disable_user,
    enable_user,
    get_user,
    list_users,
    remove_user,
    reset_password,
    revoke_api_key,
)
from vocservice.errors import status_of
from vocservice.webapp import bp
from vocservice.webapp.auth import admin_required


def _page(status: int = 200, **extra):
    workspace_id = g.workspace.id
    keys = (
        db.session.execute(
            select(ApiKey)
            .where(ApiKey.workspace_id == workspace_id)
            .order_by(ApiKey.revoked_at.is_not(None), ApiKey.id.desc())
        )
        .scalars()
        .all()
    )
    users = list_users(db.session, workspace_id=workspace_id)
    context = {
        "keys": keys,
        "users": users,
        "roles": ROLES,
        "new_key": None,
        "key_error": None,
        "user_error": None,
        "user_form": {},
        "team_error": None,
        "secret_kinds": SECRET_KINDS,
        "previous_valid_until": {kind: previous_valid_until(g.workspace, kind) for kind in SECRET_KINDS},
        "new_secret": None,
        "rotate_error": None,
        **extra,
    }
    return render_template("app/settings.html", **context), status


@bp.get("/settings")
@admin_required
def settings():
    return _page()


# Where the forms of these two post; a bookmarked or typed address lands on its section.
@bp.get("/settings/keys")
@admin_required
def keys_section():
    return redirect(url_for("webapp.settings", _anchor="keys-title"))


@bp.get("/settings/users")
@admin_required
def users_section():
    return redirect(url_for("webapp.settings", _anchor="team-title"))


@bp.post("/settings/keys")
@admin_required
def create_key():
    name = (request.form.get("name") or "").strip()[:200]
    try:
        key, plain = create_api_key(
            db.session, workspace=g.workspace, role=request.form.get("role") or "", name=name
        )
    except DomainError as error:
        db.session.rollback()
        return _page(status_of(error), key_error=error.detail)
    db.session.commit()
    # Rendered, not redirected: the plain key exists only in this response, never in a
    # session cookie or a log line.
    return _page(201, new_key={"key": plain, "name": key.name, "role": key.role})


@bp.post("/settings/keys/<key_id>/revoke")
@admin_required
def revoke_key(key_id: str):
    revoke_api_key(db.session, workspace=g.workspace, key_id=key_id)
    db.session.commit()
    flash("API key revoked.", "success")
    return redirect(url_for("webapp.settings"))


@bp.post("/settings/users")
@admin_required
def create_team_user():
    try:
        user = create_user(
            db.session,
            workspace=g.workspace,
            email=(request.form.get("email") or "")[:320],
            role=request.form.get("role") or "",
            password=(request.form.get("password") or "")[:1000],
        )
    except DomainError as error:
        db.session.rollback()
        return _page(
            status_of(error),
            user_error=error.detail,
            user_form={"email": request.form.get("email", ""), "role": request.form.get("role", "")},
        )
    db.session.commit()
    flash(f"{user.email} can now log in as {user.role}.", "success")
    return redirect(url_for("webapp.settings"))


def _ended(count: int) -> str:
    return f"{count} session{'' if count == 1 else 's'} ended"


def _team_change(change):
    """Apply ``change`` to a user of this workspace, which returns the message to flash; a
    refusal (the last admin, one's own account, a short password) is shown on the page."""
    try:
        message = change()
    except DomainError as error:
        db.session.rollback()
        return _page(status_of(error), team_error=error.detail)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("webapp.settings"))


def _member(user_id: str):
    return get_user(db.session, workspace_id=g.workspace.id, user_id=user_id)


@bp.post("/settings/users/<user_id>/disable")
@admin_required
def disable_team_user(user_id: str):
    def change() -> str:
        user = _member(user_id)
        ended = disable_user(db.session, user=user, actor=g.user)
        return f"{user.email} is disabled and logged out ({_ended(ended)})."

    return _team_change(change)


@bp.post("/settings/users/<user_id>/enable")
@admin_required
def enable_team_user(user_id: str):
    def change() -> str:
        user = _member(user_id)
        enable_user(db.session, user=user)
        return f"{user.email} can log in again."

    return _team_change(change)


@bp.post("/settings/users/<user_id>/remove")
@admin_required
def remove_team_user(user_id: str):
    def change() -> str:
        user = _member(user_id)
        email = user.email
        ended = remove_user(db.session, user=user, actor=g.user)
        return f"{email} is removed ({_ended(ended)})."

    return _team_change(change)


@bp.post("/settings/users/<user_id>/password")
@admin_required
def reset_team_user_password(user_id: str):
    def change() -> str:
        user = _member(user_id)
        if user.id == g.user.id:
            raise Conflict("Change your own password on your account page: it asks for the current one.")
        ended = reset_password(db.session, user=user, password=(request.form.get("password") or "")[:1001])
        return f"{user.email} has a new password and was logged out ({_ended(ended)})."

    return _team_change(change)


@bp.post("/settings/secrets/<kind>/rotate")
@admin_required
def rotate_workspace_secret(kind: str):
    if kind not in SECRET_KINDS:
        return _page(404, rotate_error="No such secret.")
    try:
        hours = int(request.form.get("overlap_hours") or 24)
        rotation = rotate_secret(db.session, workspace=g.workspace, kind=kind, overlap=timedelta(hours=hours))
    except (ValueError, OverflowError):
        return _page(422, rotate_error="The overlap must be a whole number of hours (0 to 720).")
    except DomainError as error:
        db.session.rollback()
        return _page(status_of(error), rotate_error=error.detail)
    db.session.commit()
    # Rendered, not redirected, like a new API key: the secret exists only in this response.
    return _page(200, new_secret=rotation)
