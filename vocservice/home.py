"""The service's front page: what is running here and where to go next."""

from flask import Blueprint, Flask, current_app, render_template
from sqlalchemy import func, select

from surveys.base import db
from surveys.models import Invitation, Response, Survey, Workspace

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    counts = {
        "workspaces": db.session.scalar(select(func.count()).select_from(Workspace)),
        "surveys": db.session.scalar(select(func.count()).select_from(Survey)),
        "invitations": db.session.scalar(select(func.count()).select_from(Invitation)),
        "responses": db.session.scalar(select(func.count()).select_from(Response)),
    }
    return render_template(
        "home.html", counts=counts,
        embedded=not current_app.config.get("REDIS_URL"),
        database=db.engine.url.get_backend_name(),
    )


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
