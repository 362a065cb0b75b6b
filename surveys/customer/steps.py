"""When health is recomputed: installed by :mod:`surveys.wiring`.

- answers stored or changed through the ORM: an ``after_flush`` listener notes their contacts
  and a ``before_commit`` listener scores them, once per transaction, in that transaction;
- answers inserted set-based (``responses_inserted``) and analyses stored (``after_analysis``):
  their contacts are scored at once, set-based;
- the tick (:func:`sweep`): contacts new or changed since their profile (revenue, account),
  and once a day every contact of each workspace (the nightly run, which also moves recency).
"""

from collections import defaultdict
from datetime import UTC, datetime

from sqlalchemy import inspect, or_, select
from sqlalchemy.orm import Session

from surveys.contact.models import Contact
from surveys.core.db import utcnow
from surveys.customer import health
from surveys.customer.models import CustomerProfile
from surveys.customer.settings import stored
from surveys.response.models import Response
from surveys.workspace.models import Workspace

_KEY = "voc_health_contacts"
SWEEP_LIMIT = 5000


_SCORED = ("score", "completed", "submitted_at", "contact_id", "comment")


def _changed(obj: Response) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in _SCORED)


def track_flush(session: Session, flush_context) -> None:
    """After a flush: note the customers of answers stored, deleted or changed in what the score
    reads (not, e.g., an analysis lease taken by a worker)."""
    changed = [
        obj
        for obj in (*session.new, *session.deleted, *(o for o in session.dirty if isinstance(o, Response)))
        if isinstance(obj, Response)
        and obj.contact_id
        and (obj in session.new or obj in session.deleted or _changed(obj))
    ]
    for obj in changed:
        session.info.setdefault(_KEY, defaultdict(set))[obj.workspace_id].add(obj.contact_id)


def score_tracked(session: Session) -> None:
    if not session.info.get(_KEY):
        return
    session.flush()
    pending = session.info.pop(_KEY, None) or {}
    for workspace_id, contact_ids in pending.items():
        health.recompute(session, workspace_id=workspace_id, contact_ids=sorted(contact_ids))


def drop_tracked(session: Session, *args) -> None:
    session.info.pop(_KEY, None)


def on_inserted(session: Session, *, rows: list[dict]) -> None:
    by_workspace: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        if row.get("contact_id"):
            by_workspace[row["workspace_id"]].add(row["contact_id"])
    for workspace_id, contact_ids in by_workspace.items():
        health.recompute(session, workspace_id=workspace_id, contact_ids=sorted(contact_ids))


def on_analysis(session: Session, *, workspace_id: str, response_ids: list[str]) -> None:
    contact_ids = session.execute(
        select(Response.contact_id)
        .where(Response.id.in_(response_ids), Response.contact_id.is_not(None))
        .distinct()
    ).scalars()
    ids = sorted(contact_ids)
    if ids:
        health.recompute(session, workspace_id=workspace_id, contact_ids=ids)


def sweep(session: Session, *, now: datetime | None = None) -> int:
    """The tick's part: returns the number of contacts scored."""
    now = now or utcnow()
    today = now.astimezone(UTC).date()
    done = 0
    for workspace_id in session.execute(select(Workspace.id)).scalars().all():
        row = stored(session, workspace_id)
        if row.nightly_on is None or row.nightly_on < today:
            done += health.recompute(session, workspace_id=workspace_id, now=now)
            row.nightly_on = today
            session.add(row)
            continue
        stale = (
            session.execute(
                select(Contact.id)
                .outerjoin(CustomerProfile, CustomerProfile.contact_id == Contact.id)
                .where(
                    Contact.workspace_id == workspace_id,
                    or_(
                        CustomerProfile.contact_id.is_(None), Contact.updated_at > CustomerProfile.computed_at
                    ),
                )
                .limit(SWEEP_LIMIT)
            )
            .scalars()
            .all()
        )
        if stale:
            done += health.recompute(session, workspace_id=workspace_id, contact_ids=list(stale), now=now)
    return done
