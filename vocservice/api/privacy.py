"""Privacy (admin only): export everything held about a person, and erase them.

``GET /privacy/export?email=`` (or ``external_id``) streams one JSON document, read in batches.
``POST /privacy/erasure`` answers 202 at once, the same way whether or not anyone matches; the
``erase_person`` job does the work (see :mod:`surveys.privacy.erasure`). Both are audited by key.
"""

from flask import Response as FlaskResponse
from flask import g, stream_with_context

from surveys.core.db import db
from surveys.privacy import audit, erasure
from surveys.privacy.export import export_chunks
from surveys.privacy.schemas import (
    ErasureAcceptedSchema,
    ErasureCreateSchema,
    ExportArgsSchema,
    ExportDocumentSchema,
)
from vocservice.api.common import Blueprint
from vocservice.auth import ADMIN, require

PREFIX = "/privacy"
blp = Blueprint("privacy", __name__, description="Privacy: export and erasure of one person")


@blp.route("/export", methods=["GET"])
@require(ADMIN)
@blp.arguments(ExportArgsSchema, location="query")
@blp.alt_response(
    200,
    schema=ExportDocumentSchema,
    description="Everything held about the person, streamed as one JSON document.",
    success=True,
)
def export_person(args):
    kind, value = ExportArgsSchema().subject(args)
    audit.record(
        db.session, workspace_id=g.workspace.id, action="export", actor_kind="api_key", actor_id=g.api_key.id
    )
    db.session.commit()
    chunks = export_chunks(db.session, workspace_id=g.workspace.id, kind=kind, value=value)
    return FlaskResponse(
        stream_with_context(chunks),
        mimetype="application/json",
        headers={"Cache-Control": "no-store", "Content-Disposition": 'attachment; filename="export.json"'},
    )


@blp.route("/erasure", methods=["POST"])
@require(ADMIN)
@blp.arguments(ErasureCreateSchema)
@blp.response(202, ErasureAcceptedSchema)
def request_erasure(data):
    """Erase a person: 202 now; their rows, answers (out of every figure), logs mentioning them
    and queued work go in the background, ``contact.erased`` is emitted, and they are never
    invited again."""
    kind, value = ErasureCreateSchema().subject(data)
    row = erasure.request_erasure(
        db.session,
        workspace_id=g.workspace.id,
        kind=kind,
        value=value,
        actor_kind="api_key",
        actor_id=g.api_key.id,
    )
    db.session.commit()
    return {"id": row.id, "status": "pending", "requested_at": row.requested_at}
