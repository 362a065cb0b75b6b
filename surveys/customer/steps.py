"""When health is recomputed: installed by :mod:`surveys.wiring`.

- answers stored or changed through the ORM, and cases opened, moved on or found overdue (the
  cases factor): an ``after_flush`` listener notes their contacts and a ``before_commit``
  listener scores them, once per transaction, in that transaction;
- analyses stored (``after_analysis``, in the worker): their contacts are scored at once;
- answers inserted set-based (``responses_inserted``: API batches, imports) ask for a
  ``score_customers`` job after commit, which scores the customers whose contact row changed
  since they were scored (:func:`score_stale`: the batch upserted them), so a batch of a
  thousand answers does not wait for a thousand scores;
- the tick (:func:`sweep`): the same stale customers (new ones, changed attributes, a lost job),
  and once a day every contact of each workspace (the nightly run, which also moves recency).
"""

from collections import defaultdict
from datetime import UTC, datetime

from sqlalchemy import inspect, or_, select
from sqlalchemy.orm import Session

from surveys.case.models import Case
from surveys.contact.models import Contact
from surveys.core import jobs
from surveys.core.db import among, utcnow
from surveys.customer import health
from surveys.customer.models import CustomerProfile
from surveys.customer.settings import stored
from surveys.response.models import Response
from surveys.workspace.models import Workspace

_KEY = "voc_health_contacts"
SWEEP_LIMIT = 5000


_SCORED = {
    Response: ("score", "completed", "submitted_at", "contact_id", "comment"),
    Case: ("status", "due_at", "overdue_notified_at", "contact_id"),
}


def _changed(obj) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in _SCORED[type(obj)])


def track_flush(session: Session, flush_context) -> None:
    """After a flush: note the customers of answers (and cases) stored, deleted or changed in
    what the score reads (not, e.g., an analysis lease taken by a worker)."""
    watched = tuple(_SCORED)
    changed = [
        obj
        for obj in (*session.new, *session.deleted, *(o for o in session.dirty if isinstance(o, watched)))
        if isinstance(obj, watched)
        and obj.contact_id
        and (obj in session.new or obj in session.deleted or _changed(obj))
    ]
    for obj in changed:
        session.info.setdefault(_KEY, defaultdict(set))[obj.workspace_id].add(obj.contact_id)


def score_tracked(session: Session) -> None:
    # before_commit runs before commit's own flush: flush now, so changes made since the last
    # flush are noted (by track_flush) and scored in this transaction too.
    if session.new or session.deleted or session.dirty:
        session.flush()
    if not session.info.get(_KEY):
        return
    session.flush()
    pending = session.info.pop(_KEY, None) or {}
    for workspace_id, contact_ids in pending.items():
        health.recompute(session, workspace_id=workspace_id, contact_ids=sorted(contact_ids))


def drop_tracked(session: Session, *args) -> None:
    session.info.pop(_KEY, None)


def on_inserted(session: Session, *, rows: list[dict]) -> None:
    if any(row.get("contact_id") for row in rows):
        jobs.defer_once(session, jobs.SCORE_CUSTOMERS)


def _stale(session: Session, workspace_id: str | None, limit: int) -> list[tuple[str, str]]:
    p = CustomerProfile
    query = (
        select(Contact.workspace_id, Contact.id)
        .outerjoin(p, p.contact_id == Contact.id)
        .where(
            or_(
                p.contact_id.is_(None),
                p.contact_updated_at.is_(None),
                Contact.updated_at > p.contact_updated_at,
            )
        )
        .limit(limit)
    )
    if workspace_id is not None:
        query = query.where(Contact.workspace_id == workspace_id)
    return [tuple(row) for row in session.execute(query).all()]


def score_stale(
    session: Session, *, limit: int = SWEEP_LIMIT, now: datetime | None = None
) -> tuple[int, bool]:
    """Score up to ``limit`` customers whose contact changed since they were scored; returns the
    number scored and whether more are waiting."""
    found = _stale(session, None, limit + 1)
    more = len(found) > limit
    by_workspace: dict[str, list[str]] = defaultdict(list)
    for workspace_id, contact_id in found[:limit]:
        by_workspace[workspace_id].append(contact_id)
    done = 0
    for workspace_id, ids in by_workspace.items():
        done += health.recompute(session, workspace_id=workspace_id, contact_ids=ids, now=now)
    return done, more


def on_analysis(session: Session, *, workspace_id: str, response_ids: list[str]) -> None:
    contact_ids = session.execute(
        select(Response.contact_id)
        .where(among(session, Response.id, response_ids), Response.contact_id.is_not(None))
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
        stale = [contact_id for _, contact_id in _stale(session, workspace_id, SWEEP_LIMIT)]
        if stale:
            done += health.recompute(session, workspace_id=workspace_id, contact_ids=stale, now=now)
    return done
