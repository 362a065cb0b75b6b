"""The caller's workspace settings: fatigue window, revenue attribute, widget origins, branding;
and rotating its secrets (inbound, outbound, widget: see surveys.workspace.secrets), the only
way to see one again: the new secret is in the rotation's answer, once, and nowhere else.
"""

import re
from datetime import timedelta

from flask import g

from surveys.core.db import db
from surveys.core.errors import Invalid, NotFound
from surveys.workspace.schemas import (
    SecretRotateSchema,
    SecretRotationSchema,
    WorkspaceSchema,
    WorkspaceUpdateSchema,
)
from surveys.workspace.secrets import KINDS, rotate_secret
from vocservice.api.common import Blueprint
from vocservice.auth import ADMIN, READ, require

PREFIX = "/workspace"
blp = Blueprint("workspace", __name__, description="Workspace settings")
HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}\Z")


@blp.route("", methods=["GET"])
@require(READ)
@blp.response(200, WorkspaceSchema)
def get_workspace():
    return g.workspace


@blp.route("", methods=["PATCH"])
@require(ADMIN)
@blp.arguments(WorkspaceUpdateSchema)
@blp.response(200, WorkspaceSchema)
def update_workspace(data):
    branding = data.get("branding")
    if branding and "color" in branding and not HEX_COLOR.match(branding["color"]):
        raise Invalid("Brand colour must be #RRGGBB.", errors={"branding": ["color: #RRGGBB"]})
    if branding and branding.get("logo_url", "").split(":")[0] not in ("", "https"):
        raise Invalid("The logo must be an https URL.", errors={"branding": ["logo_url: https"]})
    workspace = g.workspace
    for field, value in data.items():
        setattr(workspace, field, value)
    db.session.commit()
    return workspace


@blp.route("/secrets/<kind>/rotate", methods=["POST"])
@require(ADMIN)
@blp.arguments(SecretRotateSchema)
@blp.response(200, SecretRotationSchema)
@blp.doc(
    parameters=[{"in": "path", "name": "kind", "required": True, "schema": {"type": "string", "enum": KINDS}}]
)
def rotate_workspace_secret(data, kind: str):
    """Replace the ``kind`` secret and show the new one once; the old one keeps working for
    ``overlap_hours`` (default 24, 0 = stops at once)."""
    if kind not in KINDS:
        raise NotFound(f"No secret kind {kind!r}: one of {', '.join(KINDS)}.")
    rotation = rotate_secret(
        db.session, workspace=g.workspace, kind=kind, overlap=timedelta(hours=data["overlap_hours"])
    )
    db.session.commit()
    return rotation, 200, {"Cache-Control": "no-store"}
