"""The demo's inbox has cases: one per detractor-level answer, some worked, some waiting, and the
loop's figures have something to show."""

from sqlalchemy import func, select

from surveys.case.models import Case
from surveys.case.rules import detractor_level
from surveys.case.stats import case_stats
from surveys.core.db import db
from surveys.response.models import Response
from surveys.survey.models import Survey
from surveys.workspace.models import Workspace


def test_demo_seeds_worked_cases(app):
    result = app.test_cli_runner().invoke(args=["demo", "--responses", "300"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        session = db.session
        workspace = session.execute(select(Workspace).where(Workspace.slug == "demo")).scalar_one()
        low = session.execute(
            select(func.count()).select_from(Response).join(Survey).where(detractor_level())
        ).scalar_one()
        statuses = dict(session.execute(select(Case.status, func.count()).group_by(Case.status)).all())
        figures = case_stats(session, workspace_id=workspace.id)
        db.session.remove()
    assert sum(statuses.values()) == low > 0
    assert {"open", "resolved"} <= set(statuses)
    assert figures["close_rate"]["n"] > 0 and figures["median_hours_to_first_contact"]["value"] is not None
