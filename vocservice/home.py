"""The service's front page: what is running here and where to go next."""

from flask import Blueprint, Flask, current_app, render_template
from sqlalchemy import func, select

from surveys.core.db import db, utcnow
from surveys.invitation.models import Invitation
from surveys.response.models import Response
from surveys.survey.models import Survey
from surveys.workspace.models import Workspace

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    database = db.engine.url.get_backend_name()
    # Embedded demo mode (`make run`: SQLite, jobs in this process) is one person trying the
    # service; only there does the front page show what is stored and a live demo survey link.
    # Anywhere else it would tell strangers about every workspace on the install.
    embedded = not current_app.config.get("REDIS_URL")
    demo_mode = embedded and database == "sqlite"
    counts, demo = None, None
    if demo_mode:
        counts = {
            "workspaces": db.session.scalar(select(func.count()).select_from(Workspace)),
            "surveys": db.session.scalar(select(func.count()).select_from(Survey)),
            "invitations": db.session.scalar(select(func.count()).select_from(Invitation)),
            "responses": db.session.scalar(select(func.count()).select_from(Response)),
        }
        # The demo workspace's open invitation lets a newcomer answer as a customer would.
        demo = db.session.execute(
            select(Invitation.token)
            .join(Workspace, Workspace.id == Invitation.workspace_id)
            .where(Workspace.slug == "demo", Invitation.status == "sent", Invitation.expires_at > utcnow())
            .limit(1)
        ).scalar_one_or_none()
    return render_template("home.html", counts=counts, demo_token=demo, embedded=embedded, database=database)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
