"""Privacy in the web app (``/app/settings/privacy``, admins only): export everything held about
a person as a JSON download, erase them after typing a confirmation, set the retention period,
and read the audit log (who asked, when; never of whom). The same services as ``/api/v1/privacy``.
Identifiers travel in POST bodies only, so no address lands in a URL, a log line or history.
"""

from flask import Response as FlaskResponse
from flask import flash, g, redirect, render_template, request, stream_with_context, url_for
from sqlalchemy import select

from surveys.core.db import db
from surveys.privacy import audit, erasure
from surveys.privacy.export import export_chunks
from surveys.privacy.models import ErasureRequest, PrivacyAudit
from surveys.privacy.schemas import ErasureCreateSchema
from surveys.workspace.models import ApiKey, User
from surveys.workspace.schemas import WorkspaceUpdateSchema
from vocservice.webapp import bp
from vocservice.webapp.auth import admin_required
from vocservice.webapp.forms_util import load_data

PAGE_SIZE = 50
CONFIRM = "ERASE"
ACTION_TEXT = {
    "export": "Export downloaded",
    "erasure_requested": "Erasure requested",
    "erasure_done": "Erasure carried out",
    "retention": "Retention applied to old answers",
}


def _subject_form() -> dict:
    kind = request.form.get("kind") if request.form.get("kind") in ("email", "external_id") else "email"
    return {kind: (request.form.get("value") or "").strip()}


def _page(status: int = 200, **extra):
    before = request.args.get("before") or None
    query = select(PrivacyAudit).where(PrivacyAudit.workspace_id == g.workspace.id)
    if before:
        query = query.where(PrivacyAudit.id < before[:40])
    rows = db.session.execute(query.order_by(PrivacyAudit.id.desc()).limit(PAGE_SIZE + 1)).scalars().all()
    requests = {
        r.id: r
        for r in db.session.execute(
            select(ErasureRequest).where(ErasureRequest.id.in_([a.request_id for a in rows if a.request_id]))
        ).scalars()
    }
    ids = [a.actor_id for a in rows if a.actor_id]
    actors = {
        **{
            u.id: f"user {u.email}"
            for u in db.session.execute(select(User).where(User.id.in_(ids))).scalars()
        },
        **{
            k.id: f"API key {k.name or k.prefix}"
            for k in db.session.execute(select(ApiKey).where(ApiKey.id.in_(ids))).scalars()
        },
    }
    context = {
        "actors": actors,
        "entries": rows[:PAGE_SIZE],
        "older": rows[PAGE_SIZE - 1].id if len(rows) > PAGE_SIZE else None,
        "requests": requests,
        "action_text": ACTION_TEXT,
        "errors": {},
        "retention_errors": {},
        "form": {"kind": "email", "value": ""},
        "confirm": CONFIRM,
        **extra,
    }
    return render_template("app/privacy.html", **context), status


@bp.get("/settings/privacy")
@admin_required
def privacy():
    return _page()


@bp.post("/settings/privacy/export")
@admin_required
def privacy_export():
    data, errors = load_data(ErasureCreateSchema(), _subject_form())
    if data is None:
        return _page(422, errors=errors, form=request.form)
    kind, value = ErasureCreateSchema().subject(data)
    audit.record(
        db.session, workspace_id=g.workspace.id, action="export", actor_kind="user", actor_id=g.user.id
    )
    db.session.commit()
    chunks = export_chunks(db.session, workspace_id=g.workspace.id, kind=kind, value=value)
    return FlaskResponse(
        stream_with_context(chunks),
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="privacy-export.json"'},
    )


@bp.post("/settings/privacy/erase")
@admin_required
def privacy_erase():
    data, errors = load_data(ErasureCreateSchema(), _subject_form())
    if data is not None and (request.form.get("confirm") or "").strip() != CONFIRM:
        data, errors = None, {"confirm": [f"Type {CONFIRM} to confirm: erasure cannot be undone."]}
    if data is None:
        return _page(422, errors=errors, form=request.form)
    kind, value = ErasureCreateSchema().subject(data)
    erasure.request_erasure(
        db.session, workspace_id=g.workspace.id, kind=kind, value=value, actor_kind="user", actor_id=g.user.id
    )
    db.session.commit()
    flash("Erasure requested. Everything held about that person is removed in the background.")
    return redirect(url_for("webapp.privacy"), 303)


@bp.post("/settings/privacy/retention")
@admin_required
def privacy_retention():
    days = (request.form.get("retention_days") or "").strip()
    body = {"retention_days": days or None, "retention_action": request.form.get("retention_action") or ""}
    data, errors = load_data(WorkspaceUpdateSchema(), body)
    if data is None:
        return _page(422, retention_errors=errors)
    g.workspace.retention_days = data["retention_days"]
    g.workspace.retention_action = data["retention_action"]
    db.session.commit()
    flash("Retention saved." if data["retention_days"] else "Retention is off: answers are kept.")
    return redirect(url_for("webapp.privacy"), 303)
