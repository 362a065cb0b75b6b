"""Themes: the workspace's taxonomy, with hierarchy. Analysts and admins read and edit them;
every change re-analyses the responses it may affect, in the background."""

from flask import g
from sqlalchemy import select

from surveys.analysis import themes as service
from surveys.analysis.models import Theme
from surveys.analysis.schemas import ThemeCreateSchema, ThemeSchema, ThemeUpdateSchema
from surveys.core.db import db
from surveys.core.schemas import ListArgsSchema
from vocservice.api.common import Blueprint, page
from vocservice.auth import READ, require
from vocservice.idempotency import idempotent

PREFIX = "/themes"
blp = Blueprint("themes", __name__, description="Themes comments are tagged with")
ANALYST = READ  # DESIGN.md: analysts manage themes


@blp.route("", methods=["GET"])
@blp.page_response(ThemeSchema)
@require(READ)
@blp.arguments(ListArgsSchema, location="query")
def list_themes(args):
    query = select(Theme).where(Theme.workspace_id == g.workspace.id)
    return page(db.session, query, Theme.id, dump=ThemeSchema().dump, **args)


@blp.route("", methods=["POST"])
@require(ANALYST)
@idempotent
@blp.arguments(ThemeCreateSchema)
@blp.response(201, ThemeSchema)
def create_theme(data):
    theme = service.create_theme(db.session, workspace=g.workspace, data=data)
    db.session.flush()  # @idempotent commits, with the stored answer
    return theme


@blp.route("/<theme_id>", methods=["GET"])
@require(READ)
@blp.response(200, ThemeSchema)
def get_theme(theme_id):
    return service.get_theme(db.session, workspace_id=g.workspace.id, theme_id=theme_id)


@blp.route("/<theme_id>", methods=["PATCH"])
@require(ANALYST)
@blp.arguments(ThemeUpdateSchema)
@blp.response(200, ThemeSchema)
def update_theme(data, theme_id):
    theme = service.update_theme(db.session, workspace=g.workspace, theme_id=theme_id, data=data)
    db.session.commit()
    return theme


@blp.route("/<theme_id>", methods=["DELETE"])
@require(ANALYST)
@blp.response(204)
def delete_theme(theme_id):
    service.delete_theme(db.session, workspace=g.workspace, theme_id=theme_id)
    db.session.commit()
    return ""
