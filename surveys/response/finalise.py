"""Partial answers are finalised: a score given through the hosted form, an email one-click or
the widget counts even when the respondent never presses "Send".

Such an answer stays partial (editable, out of metrics and analysis) while the respondent is
active; once nobody has touched it for a while (the ``after`` setting, one hour by default) the
tick completes it as answered at its last activity: the invitation becomes ``responded`` and the
answer goes through the same flush listeners as any other, so the daily rollups count it and a
commented one is handed to the job port for analysis (see :mod:`surveys.wiring`).
"""

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys.core.db import lock_rows
from surveys.invitation.models import Invitation
from surveys.response.models import Response

DEFAULT_AFTER = timedelta(hours=1)
BATCH = 1000


def finalise_partial_answers(
    session: Session, *, now: datetime, after: timedelta = DEFAULT_AFTER, limit: int = BATCH
) -> int:
    """Complete up to ``limit`` scored partial answers inactive for ``after``; how many were.

    Rows a respondent is saving right now are skipped (``SKIP LOCKED``) and picked up by a later
    tick. The invitation is locked before the answer, in the order the form's own save takes
    them, so a "Send" racing the tick either lands first (and the answer is no longer partial)
    or finds the answer complete (409), and the answer is counted once either way."""
    inactive = (
        Response.completed.is_(False),
        Response.score.is_not(None),
        Response.last_activity_at < now - after,
    )
    candidates = session.execute(
        select(Response.id, Response.invitation_id)
        .where(*inactive)
        .order_by(Response.last_activity_at)
        .limit(limit)
    ).all()
    if not candidates:
        return 0
    wanted = [invitation_id for _, invitation_id in candidates if invitation_id]
    held: dict = {}
    if wanted:
        query = select(Invitation).where(Invitation.id.in_(wanted))
        held = {
            invitation.id: invitation
            for invitation in session.execute(lock_rows(session, query, of=Invitation, skip_locked=True))
            .unique()
            .scalars()
        }
    ids = [
        response_id for response_id, invitation_id in candidates if not invitation_id or invitation_id in held
    ]
    query = select(Response).where(Response.id.in_(ids), *inactive).execution_options(populate_existing=True)
    responses = (
        session.execute(lock_rows(session, query, of=Response, skip_locked=True)).unique().scalars().all()
    )
    for response in responses:
        answered_at = response.last_activity_at
        response.completed = True
        response.submitted_at = answered_at
        invitation = held.get(response.invitation_id)
        if invitation is not None:
            invitation.status = "responded"
            invitation.responded_at = answered_at
    session.flush()
    return len(responses)
