"""The demo workspace's answers come through events and invitations, so the funnel of
``make run`` shows every stage and the reasons invitations were lost."""

from sqlalchemy import func, select

from surveys.core.db import db
from surveys.invitation.models import Invitation
from surveys.metrics.funnel import STAGES, funnel
from surveys.response.models import Response
from surveys.workspace.models import Workspace


def test_demo_funnel_is_seeded_through_invitations(app):
    result = app.test_cli_runner().invoke(args=["demo", "--responses", "300"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        session = db.session
        workspace = session.execute(select(Workspace).where(Workspace.slug == "demo")).scalar_one()
        # Every answer has its invitation, answered at the answer's time.
        unlinked = session.execute(
            select(func.count()).select_from(Response).where(Response.invitation_id.is_(None))
        ).scalar_one()
        assert unlinked == 0
        mismatched = session.execute(
            select(func.count())
            .select_from(Response)
            .join(Invitation, Invitation.id == Response.invitation_id)
            .where((Invitation.status != "responded") | (Invitation.responded_at != Response.submitted_at))
        ).scalar_one()
        assert mismatched == 0
        rows = funnel(session, workspace_id=workspace.id)
        db.session.remove()
    assert len(rows) == 3
    for row in rows:
        counts = [row["stages"][stage] for stage in STAGES]
        assert counts == sorted(counts, reverse=True), row  # a funnel never widens
        assert counts[-1] > 0 and counts[-2] > counts[-1] and counts[2] > counts[3]
        assert row["lost"]["suppressed"] > 0 and row["reasons"]["suppressed"]
    assert sum(row["stages"]["answered"] for row in rows) == 300
