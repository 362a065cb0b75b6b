"""The caller's workspace settings: fatigue window, revenue attribute, widget origins, branding."""

import re

from flask import g

from surveys.core.db import db
from surveys.core.errors import Invalid
from surveys.workspace.schemas import WorkspaceSchema, WorkspaceUpdateSchema
from vocservice.api.common import Blueprint
from vocservice.auth import ADMIN, READ, require

PREFIX = "/workspace"
blp = Blueprint("workspace", __name__, description="Workspace settings")
HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


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
