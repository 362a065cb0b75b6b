"""Workspace settings (``/app/settings``, admins only): API keys (created with the key shown
once, revoked), the inbound webhook secret, and the team's users.
"""

from flask import flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from surveys.core.db import db
from surveys.core.errors import DomainError
from surveys.workspace.models import ROLES, ApiKey, User
from surveys.workspace.service import create_api_key, create_user, revoke_api_key
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
    users = (
        db.session.execute(select(User).where(User.workspace_id == workspace_id).order_by(User.email))
        .scalars()
        .all()
    )
    context = {
        "keys": keys,
        "users": users,
        "roles": ROLES,
        "new_key": None,
        "key_error": None,
        "user_error": None,
        "user_form": {},
        **extra,
    }
    return render_template("app/settings.html", **context), status


@bp.get("/settings")
@admin_required
def settings():
    return _page()


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
