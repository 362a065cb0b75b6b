"""One click means one answer: the score a customer clicked in the invitation email is stored
as soon as a person has the hosted form in front of them, not only after a second press.

Mail scanners fetch every link of a message (some of them all eleven score links), so a GET
never writes. What proves a person is the page's small script, which scanners that only fetch
do not run, or a press of one of its buttons (:func:`surveys.response.service.submit_form`).
The script posts here: the invitation is marked opened and, when the page came from a score link,
that score is saved as a partial answer (still editable; the tick finalises it after a while
without activity, :mod:`surveys.response.finalise`).
"""

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from surveys.core.db import lock_rows, utcnow
from surveys.invitation.models import Invitation
from surveys.response.models import Response
from surveys.response.service import open_invitation, response_for_invitation, submit_form


def record_open(
    session: Session,
    *,
    token: str,
    score: int | None = None,
    locale: str | None = None,
    now: datetime | None = None,
) -> Response | None:
    """Mark the invitation behind ``token`` opened; with ``score``, save it as a partial answer.

    Raises what the form does for a link that cannot be answered (unknown, answered, expired).
    Returns the partial answer when a score was saved."""
    now = now or utcnow()
    invitation = open_invitation(session, token=token, now=now)  # validates; never writes
    if score is None:
        # One atomic statement: the first open wins, later ones change nothing.
        session.execute(
            update(Invitation)
            .where(Invitation.id == invitation.id, Invitation.opened_at.is_(None))
            .values(opened_at=now)
            .execution_options(synchronize_session=False)
        )
        return None
    # Hold the invitation's row (as submit_form does) so the comment read here is the one kept.
    session.execute(lock_rows(session, select(Invitation.id).where(Invitation.id == invitation.id)))
    saved = response_for_invitation(session, invitation_id=invitation.id)
    return submit_form(
        session,
        token=token,
        score=score,
        comment=saved.comment if saved else None,
        final=False,
        now=now,
        source="email",
        locale=locale,
    )
