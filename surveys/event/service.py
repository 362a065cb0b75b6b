"""Journey events: stored once per sender id, they upsert the contact, cancel pending
invitations named in ``cancel_on`` and schedule (or record the suppression of) invitations for
every matching touchpoint, all in the caller's transaction.

Work is set-based so a batch of 1,000 events costs a handful of statements, not thousands:
one lookup of known ids, one contact upsert and lock, one event insert, one fatigue read and
one invitation insert. A single event on PostgreSQL takes a shorter path with the same decision
(:func:`ingest_event`): two statements in one round trip, then the invitation insert.
"""

import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace

from psycopg.types.json import Jsonb
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from surveys.contact.models import Contact
from surveys.contact.service import lock_contact_unless_statement, lock_contacts, lock_contacts_statement
from surveys.contact.suppression import suppressed_keys
from surveys.core import pipeline
from surveys.core.bulk import COPY_FROM_ROWS, copy_rows, insert_rows, insert_statement
from surveys.core.db import is_postgres, new_id, upsert_insert, utcnow
from surveys.event import rules
from surveys.event.models import Event
from surveys.invitation.models import Invitation
from surveys.survey.models import Survey, Touchpoint
from surveys.workspace.models import Workspace

# Rows this request writes are plain attribute bags with the columns' names: building ORM
# objects only to insert them with Core costs more than the insert itself at batch sizes.
Row = SimpleNamespace


@dataclass
class EventResult:
    event: Event | Row
    duplicate: bool
    invitations: list[Invitation | Row] = field(default_factory=list)
    cancelled: int = 0
    # The person asked to be erased: nothing was stored (no contact, event or invitation).
    suppressed: bool = False


def find_result(session: Session, workspace_id: str, external_id: str) -> EventResult | None:
    return _known(session, workspace_id, [external_id]).get(external_id)


def _known(session: Session, workspace_id: str, external_ids: list[str]) -> dict[str, EventResult]:
    events = (
        session.execute(
            select(Event).where(Event.workspace_id == workspace_id, Event.external_id.in_(external_ids))
        )
        .scalars()
        .all()
    )
    if not events:
        return {}
    by_event = defaultdict(list)
    for invitation in session.execute(
        select(Invitation).where(Invitation.event_id.in_([e.id for e in events])).order_by(Invitation.id)
    ).scalars():
        by_event[invitation.event_id].append(invitation)
    return {e.external_id: EventResult(event=e, duplicate=True, invitations=by_event[e.id]) for e in events}


def ingest_event(
    session: Session,
    *,
    workspace: Workspace,
    data: dict,
    now: datetime | None = None,
    invitations_at_commit: bool = False,
) -> EventResult:
    """Record one journey event. The same sender id again returns the first result, unchanged.

    With ``invitations_at_commit`` (for a caller that commits next and reads nothing back, as
    the events API does) the invitations are inserted in the COMMIT's round trip
    (:func:`surveys.core.pipeline.at_commit`) rather than in one of their own."""
    if is_postgres(session) and not workspace.suppressions:
        result = _ingest_one_pg(session, workspace, data, now or utcnow(), invitations_at_commit)
        if result is not None:
            return result
    return ingest_events(session, workspace=workspace, items=[data], now=now)[0]


# One event, PostgreSQL, in a workspace that has suppressed nobody (erasure's lookup would come
# first otherwise): the same decision as ingest_events in two statements sent in one round
# trip, where ingest_events sends four in two (the invitation insert follows either). The
# first upserts and locks the contact and inserts the event, both skipped when the sender's id
# is stored already (so a retry stores nothing and changes no contact); the second, a new
# snapshot taken after that lock, reads the active touchpoints with their surveys' status and
# the contact's recent invitations.
_NOT_NEW = (
    "EXISTS (SELECT 1 FROM events WHERE workspace_id = %(workspace_id)s AND external_id = %(external_id)s)"
)
_ONE_EVENT_SQL = (
    "WITH c AS ({contact}), e AS ("
    "INSERT INTO events (id, workspace_id, external_id, name, occurred_at, received_at, contact_id, "
    "properties) SELECT %(id)s::varchar, c.workspace_id, %(external_id)s::varchar, %(name)s::varchar, "
    "%(occurred_at)s::timestamptz, %(received_at)s::timestamptz, c.id, %(properties)s::jsonb FROM c "
    "ON CONFLICT (workspace_id, external_id) DO NOTHING RETURNING id) "
    "SELECT c.*, (SELECT id FROM e) AS stored_event FROM c"
)
# The window is the longest of the workspace's and its active touchpoints' recontact days, as
# _store computes it; one row even without touchpoints (a null ``id``).
_TOUCHPOINTS_AND_RECENT_SQL = (
    "SELECT r.recent, t.id, t.survey_id, t.event, t.channel, t.delay_seconds, t.sample_rate, "
    "t.recontact_days, t.expires_after_days, t.conditions, t.cancel_on, s.status AS survey_status "
    "FROM (SELECT ARRAY(SELECT i.scheduled_for FROM invitations i JOIN contacts c "
    "ON c.id = i.contact_id WHERE c.workspace_id = %(workspace_id)s AND c.external_id = %(key)s "
    "AND i.status = ANY(%(statuses)s) AND i.scheduled_for > %(now)s - make_interval(days => "
    "GREATEST(%(recontact_days)s, (SELECT max(COALESCE(recontact_days, 0)) FROM touchpoints "
    "WHERE workspace_id = %(workspace_id)s AND active)))) AS recent) r "
    "LEFT JOIN (touchpoints t JOIN surveys s ON s.id = t.survey_id) "
    "ON t.workspace_id = %(workspace_id)s AND t.active ORDER BY t.id"
)


def _ingest_one_pg(
    session: Session, workspace: Workspace, data: dict, now: datetime, at_commit: bool = False
) -> EventResult | None:
    external_id = str(data["id"])
    key = _contact_key(data["contact"])
    contact_sql, params, finish = lock_contact_unless_statement(
        session, workspace_id=workspace.id, data=data["contact"], unless=_NOT_NEW
    )
    event = _event_row(workspace, external_id, data, now)
    params.update(
        workspace_id=workspace.id,
        id=event.id,
        external_id=external_id,
        name=event.name,
        occurred_at=event.occurred_at,
        received_at=now,
        properties=Jsonb(event.properties),
    )
    stored, rows = pipeline.run(
        session,
        [
            (_ONE_EVENT_SQL.format(contact=contact_sql), params),
            (
                _TOUCHPOINTS_AND_RECENT_SQL,
                {
                    "workspace_id": workspace.id,
                    "key": key,
                    "statuses": list(rules.COUNTED_STATUSES),
                    "now": now,
                    "recontact_days": workspace.recontact_days,
                },
            ),
        ],
        binary=True,
    )
    if stored:
        contact = finish(stored)[key]
    if not stored or stored[0].stored_event is None:
        # Stored before (or by a concurrent request that won the race): its first result.
        return _known(session, workspace.id, [external_id]).get(external_id)
    event.contact_id = contact.id
    touchpoints = [_touchpoint(row) for row in rows if row.id is not None]
    result = EventResult(event=event, duplicate=False)
    result.cancelled = _cancel_pending(session, touchpoints, event)
    result.invitations = _decide(workspace, touchpoints, contact, event, list(rows[0].recent), now)
    if at_commit and 0 < len(result.invitations) < COPY_FROM_ROWS:
        sql, params = insert_statement(session, Invitation.__table__, [vars(i) for i in result.invitations])
        pipeline.at_commit(session, sql, params, binary=True)
    else:
        _insert_invitations(session, result.invitations)
    return result


def ingest_events(
    session: Session,
    *,
    workspace: Workspace,
    items: list[dict],
    now: datetime | None = None,
) -> list[EventResult]:
    """Record events in order; results line up with ``items``.

    Items are :class:`~surveys.event.schemas.EventCreateSchema` output: that load is the one
    place the free-form rules (:mod:`surveys.core.values`) are applied to attributes and
    properties, so they are not walked again here."""
    now = now or utcnow()
    ids = [str(item["id"]) for item in items]
    unique = list(dict.fromkeys(ids))
    if is_postgres(session):
        # Which ids were seen before, and the workspace's touchpoints: one statement.
        rows = pipeline.fetch(
            session,
            _KNOWN_AND_TOUCHPOINTS_SQL if len(unique) == 1 else _KNOWN_MANY_AND_TOUCHPOINTS_SQL,
            {"workspace_id": workspace.id, "ids": unique},
        )
        known_ids = rows[0].known
        results: dict[str, EventResult] = _known(session, workspace.id, known_ids) if known_ids else {}
        touchpoints = [_touchpoint(row) for row in rows if row.id is not None]
    else:
        results = _known(session, workspace.id, unique)
        touchpoints = _load_touchpoints(session, workspace.id)
    fresh: dict[str, dict] = {}
    for external_id, item in zip(ids, items, strict=True):
        if external_id not in results and external_id not in fresh:
            fresh[external_id] = item
    if fresh:
        # An erased person is never invited again: their events are acknowledged and dropped,
        # so neither a contact nor an invitation comes back (surveys.contact.suppression).
        gone = suppressed_keys(
            session,
            workspace=workspace,
            contacts={k: v.get("contact") or {} for k, v in fresh.items()},
        )
        for external_id in gone:
            fresh.pop(external_id)
            results[external_id] = EventResult(
                Row(id=new_id("evt"), external_id=external_id), False, [], 0, suppressed=True
            )
    if fresh:
        results.update(_store(session, workspace, fresh, now, touchpoints))
    out, seen = [], set()
    for external_id in ids:
        result = results[external_id]
        if external_id in seen and not result.duplicate:  # repeated inside this very batch
            result = EventResult(result.event, True, result.invitations, result.cancelled)
        seen.add(external_id)
        out.append(result)
    return out


# The ids seen before (``known``, on every row), and what deciding needs of each active
# touchpoint and its survey's status, read on every event so a new, changed or paused
# touchpoint (or a closed survey) applies to the very next one. Without touchpoints there is
# still one row, with a null ``id``.
_KNOWN_AND_TOUCHPOINTS_SQL = (
    "SELECT k.known, t.id, t.survey_id, t.event, t.channel, t.delay_seconds, t.sample_rate, "
    "t.recontact_days, t.expires_after_days, t.conditions, t.cancel_on, s.status AS survey_status "
    "FROM (SELECT ARRAY(SELECT external_id FROM events WHERE workspace_id = %(workspace_id)s "
    "AND external_id = ANY(%(ids)s)) AS known) k "
    "LEFT JOIN (touchpoints t JOIN surveys s ON s.id = t.survey_id) "
    "ON t.workspace_id = %(workspace_id)s AND t.active ORDER BY t.id"
)
# The same for a batch: its ids joined as unnest(...), not tested with "= ANY(...)", which a
# prepared generic plan ran as a scan of the workspace's events comparing each with every id
# (see surveys.response.batch._KNOWN_SQL); one id alone probes the unique index either way, and
# there the join form let PostgreSQL, on lagging statistics, read the workspace's rows instead.
_KNOWN_MANY_AND_TOUCHPOINTS_SQL = _KNOWN_AND_TOUCHPOINTS_SQL.replace(
    "SELECT external_id FROM events WHERE workspace_id = %(workspace_id)s AND external_id = ANY(%(ids)s)",
    "SELECT e.external_id FROM unnest(%(ids)s::varchar[]) AS u(external_id) "
    "JOIN events e ON e.workspace_id = %(workspace_id)s AND e.external_id = u.external_id",
)
# Each event's row joins its contact by key, so it can go in the same round trip as the upsert
# (which the statement follows, and so sees).
_EVENTS_SQL = (
    "INSERT INTO events (id, workspace_id, external_id, name, occurred_at, received_at, contact_id, "
    "properties) SELECT t.id, %(workspace_id)s, t.external_id, t.name, t.occurred_at, "
    "%(received_at)s, c.id, t.properties FROM unnest(%(id)b::varchar[], %(external_id)b::varchar[], "
    "%(name)b::varchar[], %(occurred_at)b::timestamptz[], %(properties)b::jsonb[], "
    "%(contact_key)b::varchar[]) AS t(id, external_id, name, occurred_at, properties, contact_key) "
    "JOIN contacts c ON c.workspace_id = %(workspace_id)s AND c.external_id = t.contact_key "
    "ON CONFLICT (workspace_id, external_id) DO NOTHING RETURNING id"
)
_EVENT_SQL = (  # the same for one event, with plain parameters
    "INSERT INTO events (id, workspace_id, external_id, name, occurred_at, received_at, contact_id, "
    "properties) SELECT %(id)s::varchar, c.workspace_id, %(external_id)s::varchar, "
    "%(name)s::varchar, %(occurred_at)s::timestamptz, %(received_at)s::timestamptz, c.id, "
    "%(properties)s::jsonb FROM contacts c "
    "WHERE c.workspace_id = %(workspace_id)s::varchar AND c.external_id = %(contact_key)s::varchar "
    "ON CONFLICT (workspace_id, external_id) DO NOTHING RETURNING id"
)
# Fatigue, read AFTER the upsert locked the contacts (a separate statement, so a new snapshot):
# invitations a concurrent request committed while we waited for the lock are counted.
_RECENT_SQL = (
    "SELECT i.contact_id, i.scheduled_for FROM invitations i JOIN contacts c ON c.id = i.contact_id "
    "WHERE c.workspace_id = %s AND c.external_id = ANY(%s) AND i.status = ANY(%s) "
    "AND i.scheduled_for > %s"
)
_RECENT_MANY_SQL = (  # the same for a batch's contacts (see _KNOWN_MANY_AND_TOUCHPOINTS_SQL)
    "SELECT i.contact_id, i.scheduled_for FROM unnest(%(keys)s::varchar[]) AS u(external_id) "
    "JOIN contacts c ON c.workspace_id = %(workspace_id)s AND c.external_id = u.external_id "
    "JOIN invitations i ON i.contact_id = c.id WHERE i.status = ANY(%(statuses)s) "
    "AND i.scheduled_for > %(since)s"
)


def _recent_statement(workspace_id: str, keys: list[str], since: datetime) -> tuple[str, object]:
    statuses = list(rules.COUNTED_STATUSES)
    if len(keys) == 1:
        return _RECENT_SQL, (workspace_id, keys, statuses, since)
    return _RECENT_MANY_SQL, {
        "workspace_id": workspace_id,
        "keys": keys,
        "statuses": statuses,
        "since": since,
    }


def _touchpoint(row) -> Row:
    return Row(
        id=row.id,
        survey_id=row.survey_id,
        event=row.event,
        channel=row.channel,
        delay_seconds=row.delay_seconds,
        sample_rate=row.sample_rate,
        recontact_days=row.recontact_days,
        expires_after_days=row.expires_after_days,
        conditions=row.conditions,
        cancel_on=row.cancel_on,
        survey=Row(status=row.survey_status),
    )


def _load_touchpoints(session: Session, workspace_id: str) -> list[Touchpoint]:
    return (
        session.execute(
            select(Touchpoint)
            .join(Survey, Survey.id == Touchpoint.survey_id)
            .where(Touchpoint.workspace_id == workspace_id, Touchpoint.active.is_(True))
            .order_by(Touchpoint.id)
        )
        .scalars()
        .all()
    )


def _event_row(workspace: Workspace, external_id: str, item: dict, now: datetime) -> Row:
    """One event's row as it will be inserted; its contact is filled in once known."""
    return Row(
        id=new_id("evt"),
        workspace_id=workspace.id,
        external_id=external_id,
        name=item["name"],
        occurred_at=item.get("occurred_at") or now,
        received_at=now,
        contact_id=None,
        properties=item.get("properties") or {},
    )


def _event_rows(workspace: Workspace, fresh: dict[str, dict], now: datetime) -> list[Row]:
    return [_event_row(workspace, external_id, item, now) for external_id, item in fresh.items()]


def _write_pg(session: Session, workspace: Workspace, fresh: dict[str, dict], events: list[Row], since):
    """Contacts upserted and locked, events inserted, fatigue read: one round trip."""
    sql, params, finish = lock_contacts_statement(
        session, workspace_id=workspace.id, items=[item["contact"] for item in fresh.values()]
    )
    keys = [_contact_key(fresh[e.external_id]["contact"]) for e in events]
    event_params = {
        "workspace_id": workspace.id,
        "received_at": events[0].received_at,
        "id": [e.id for e in events],
        "external_id": [e.external_id for e in events],
        "name": [e.name for e in events],
        "occurred_at": [e.occurred_at for e in events],
        "properties": [Jsonb(e.properties) for e in events],
        "contact_key": keys,
    }
    if len(events) == 1:
        event_sql = _EVENT_SQL
        event_params = {k: v[0] if isinstance(v, list) else v for k, v in event_params.items()}
    else:
        event_sql = _EVENTS_SQL
    contact_rows, stored, recent_rows = pipeline.run(
        session,
        [
            (sql, params),
            (event_sql, event_params),
            _recent_statement(workspace.id, sorted(set(keys)), since),
        ],
        binary=True,
    )
    contacts = finish(contact_rows)
    recent: dict[str, list[datetime]] = defaultdict(list)
    for contact_id, at in recent_rows:
        recent[contact_id].append(at)
    return contacts, {row.id for row in stored}, recent


def _store(
    session: Session, workspace: Workspace, fresh: dict[str, dict], now: datetime, touchpoints: list
) -> dict[str, EventResult]:
    events = _event_rows(workspace, fresh, now)
    longest = max([workspace.recontact_days, *(tp.recontact_days or 0 for tp in touchpoints)])
    since = now - timedelta(days=longest)
    if is_postgres(session):
        contacts, stored_ids, recent = _write_pg(session, workspace, fresh, events, since)
        for event in events:
            event.contact_id = contacts[_contact_key(fresh[event.external_id]["contact"])].id
    else:
        contacts = lock_contacts(
            session, workspace_id=workspace.id, items=[item["contact"] for item in fresh.values()]
        )
        for event in events:
            event.contact_id = contacts[_contact_key(fresh[event.external_id]["contact"])].id
        # ON CONFLICT DO NOTHING turns a lost race with a concurrent request into a duplicate.
        stored_ids = set(
            insert_rows(
                session,
                Event.__table__,
                [vars(e) for e in events],
                sqlalchemy_statement=lambda: (
                    upsert_insert(session, Event.__table__)
                    .on_conflict_do_nothing(index_elements=["workspace_id", "external_id"])
                    .returning(Event.__table__.c.id)
                ),
            ).scalars()
        )
        recent = rules.recent_invitations(session, contact_ids=[c.id for c in contacts.values()], since=since)
    lost = [e.external_id for e in events if e.id not in stored_ids]
    results = _known(session, workspace.id, lost) if lost else {}

    invitations: list[Row] = []
    for event in events:
        if event.id not in stored_ids:
            continue
        contact = contacts[_contact_key(fresh[event.external_id]["contact"])]
        result = EventResult(event=event, duplicate=False)
        if invitations and any(event.name in (tp.cancel_on or []) for tp in touchpoints):
            _insert_invitations(session, invitations)  # earlier ones may be cancelled now
            invitations = []
        result.cancelled = _cancel_pending(session, touchpoints, event)
        result.invitations = _decide(workspace, touchpoints, contact, event, recent[contact.id], now)
        invitations.extend(result.invitations)
        results[event.external_id] = result
    _insert_invitations(session, invitations)
    return results


def _conditions_context(contact, event) -> dict:
    """What a touchpoint's conditions read of the contact and the event."""
    return {
        "contact": {
            "external_id": contact.external_id,
            "email": contact.email,
            "locale": contact.locale,
            "attributes": contact.attributes or {},
        },
        "event": {"name": event.name, "properties": event.properties or {}},
    }


def _decide(workspace, touchpoints: list, contact, event, recent: list, now: datetime) -> list[Row]:
    """The invitations (scheduled or suppressed, with the reason) one stored event makes; each
    scheduled one joins ``recent`` so a later event of the same batch sees it."""
    context = _conditions_context(contact, event)
    return [
        _invite(workspace, touchpoint, contact, event, context, recent, now)
        for touchpoint in touchpoints
        if touchpoint.event == event.name and touchpoint.survey.status == "active"
    ]


def _insert_invitations(session: Session, invitations: list[Row]) -> None:
    copy_rows(session, Invitation.__table__, [vars(i) for i in invitations])


def _contact_key(contact: dict) -> str:
    return str(contact.get("external_id") or contact.get("email"))


def _invite(workspace, touchpoint, contact, event, context, recent: list, now) -> Row:
    scheduled_for = max(now, event.occurred_at + timedelta(seconds=touchpoint.delay_seconds))
    reason = rules.suppression_reason(
        touchpoint=touchpoint,
        contact=contact,
        context=context,
        event_key=event.external_id,
        workspace_recontact_days=workspace.recontact_days,
        recent=recent,
        at=scheduled_for,
    )
    if reason is None:
        recent.append(scheduled_for)  # later events in this batch see this invitation
    return Row(
        id=new_id("inv"),
        workspace_id=workspace.id,
        contact_id=contact.id,
        survey_id=touchpoint.survey_id,
        touchpoint_id=touchpoint.id,
        event_id=event.id,
        token=secrets.token_urlsafe(24),
        channel=touchpoint.channel,
        status="suppressed" if reason else "scheduled",
        reason=reason,
        scheduled_for=scheduled_for,
        expires_at=scheduled_for + timedelta(days=touchpoint.expires_after_days),
        reminder_due_at=None,
        sent_at=None,
        reminded_at=None,
        responded_at=None,
        enqueued_at=None,
        attempts=0,
        last_error=None,
        created_at=now,
    )


def _cancel_pending(session: Session, touchpoints: list[Touchpoint], event: Event) -> int:
    ids = [tp.id for tp in touchpoints if event.name in (tp.cancel_on or [])]
    if not ids:
        return 0
    result = session.execute(
        update(Invitation)
        .where(
            Invitation.contact_id == event.contact_id,
            Invitation.touchpoint_id.in_(ids),
            Invitation.status == "scheduled",
        )
        .values(status="cancelled", reason=f"cancelled_by:{event.name}")
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


@dataclass
class DirectResult:
    """What :func:`invite_contacts` did: the invitations it made (scheduled or suppressed with
    their reason) and how many contacts had been asked for the same key before."""

    invitations: list[Row] = field(default_factory=list)
    already: int = 0


def invite_contacts(
    session: Session,
    *,
    workspace: Workspace,
    touchpoint: Touchpoint,
    contact_ids: list[str],
    event_name: str,
    key_prefix: str,
    properties: dict | None = None,
    now: datetime | None = None,
) -> DirectResult:
    """Ask these contacts through one chosen touchpoint, as if each had sent a journey event
    named ``event_name`` with the id ``key_prefix + contact id``: the same event row, the same
    suppression rules (conditions, unsubscribes, missing email, sampling, fatigue) and the same
    invitation rows as :func:`ingest_events`, so the tick delivers them like any other.

    Idempotent: a contact whose event id already exists is counted in ``already`` and asked
    nothing new. Contacts are locked in id order, so a concurrent call waits rather than asking
    anyone twice, and fatigue is read after the lock."""
    now = now or utcnow()
    contacts = (
        session.execute(
            select(Contact)
            .where(Contact.workspace_id == workspace.id, Contact.id.in_(sorted(set(contact_ids))))
            .order_by(Contact.id)
            .with_for_update()
        )
        .scalars()
        .all()
    )
    result = DirectResult()
    if not contacts:
        return result
    rows = [
        Row(
            id=new_id("evt"),
            workspace_id=workspace.id,
            external_id=f"{key_prefix}{contact.id}",
            name=event_name,
            occurred_at=now,
            received_at=now,
            contact_id=contact.id,
            properties=properties or {},
        )
        for contact in contacts
    ]
    stored = set(
        insert_rows(
            session,
            Event.__table__,
            [vars(row) for row in rows],
            on_conflict="ON CONFLICT (workspace_id, external_id) DO NOTHING",
            returning="RETURNING id",
            sqlalchemy_statement=lambda: (
                upsert_insert(session, Event.__table__)
                .on_conflict_do_nothing(index_elements=["workspace_id", "external_id"])
                .returning(Event.__table__.c.id)
            ),
        ).scalars()
    )
    result.already = len(rows) - len(stored)
    window = max(workspace.recontact_days, touchpoint.recontact_days or 0)
    recent = rules.recent_invitations(
        session, contact_ids=[c.id for c in contacts], since=now - timedelta(days=window)
    )
    for contact, event in zip(contacts, rows, strict=True):
        if event.id not in stored:
            continue
        context = _conditions_context(contact, event)
        result.invitations.append(
            _invite(workspace, touchpoint, contact, event, context, recent[contact.id], now)
        )
    _insert_invitations(session, result.invitations)
    return result
