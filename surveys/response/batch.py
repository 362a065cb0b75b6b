"""Answers in bulk: a ``POST /api/v1/responses/batch`` or a chunk of a CSV import, stored
set-based in the caller's transaction, with one outcome per item.

A batch of 1,000 answers costs a handful of statements, not thousands of savepoints and flushes:
one survey lookup, one lookup of known sender ids, one read of the contacts' stored attributes,
one contact upsert and lock, one COPY of the answers, one rollup upsert. The rules are those of
:func:`surveys.response.service.create_response`, item by item:

- an item that fails the domain's checks (unknown survey, score out of range, oversized values)
  is refused on its own; an item whose contact's merged attributes would exceed the cap refuses
  that contact's items only (:class:`~surveys.core.values.ContactAttributesFull`);
- a sender id seen before, in an earlier batch or earlier in this one, is not stored again: the
  item answers with the first id (``created=False``), and a repeat does not touch its contact;
- each answer keeps the contact's attributes and locale as they were once its own item was
  merged in (answers stored one by one would see the same), the contact ends with all of them;
- answers with a comment are marked pending and handed to the job port once per batch; an answer
  without one has nothing to analyse and costs no job (:func:`surveys.response.models.has_text`,
  the rule the ORM's flush listener applies too);
- the daily rollups count what was inserted, in the same transaction, through
  :data:`surveys.response.steps.responses_inserted` (the rollups' flush listeners never see bulk SQL).
"""

from dataclasses import dataclass
from datetime import datetime

from psycopg.errors import UniqueViolation
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from surveys.contact.models import Contact
from surveys.contact.service import contact_key, lock_contacts
from surveys.contact.suppression import refusal, suppressed_keys
from surveys.core import jobs, pipeline
from surveys.core.bulk import copy_rows, insert_rows
from surveys.core.db import is_postgres, new_id, upsert_insert, utcnow
from surveys.core.errors import Conflict, DomainError, NotFound
from surveys.core.values import ContactAttributesFull
from surveys.response.models import Response, has_text
from surveys.response.service import clean_comment
from surveys.response.steps import responses_inserted
from surveys.survey.models import Survey
from surveys.survey.scales import validate_score
from surveys.workspace.models import Workspace


@dataclass(frozen=True)
class Stored:
    """An accepted item: the answer's id, and whether this call created it (else it was known)."""

    id: str
    created: bool


def create_responses(
    session: Session, *, workspace: Workspace, items: list[dict], now: datetime | None = None
) -> list[Stored | DomainError]:
    """Store validated answers; outcomes line up with ``items``. Items are
    ``ResponseCreateSchema`` output: that load is the one place the free-form rules
    (:mod:`surveys.core.values`) are applied to metadata and contact attributes.

    Refused items come back as the :class:`DomainError` that refused them; nothing is raised for
    one item. Runs in the caller's transaction; the caller commits (jobs go out after commit)."""
    now = now or utcnow()
    outcomes: list[Stored | DomainError | None] = [None] * len(items)
    surveys, known, stored = _lookups(session, workspace.id, items)
    rows: dict[int, dict] = {}
    for index, item in enumerate(items):
        try:
            rows[index] = _row(item, surveys, workspace.id, now)
        except DomainError as err:
            outcomes[index] = err
    # People erased at their request: their answers are refused, nothing of them stored again.
    contacts = {str(i): items[i]["contact"] for i in rows if items[i].get("contact")}
    for key in suppressed_keys(session, workspace=workspace, contacts=contacts):
        outcomes[int(key)] = refusal()
        rows.pop(int(key))
    if not rows:
        return outcomes  # type: ignore[return-value]  # every item was refused
    refused: set[str] = set()  # contacts whose merged attributes would exceed the cap
    while True:
        fresh = _fresh(rows, items, known, refused)
        savepoint = session.begin_nested()
        try:
            created = _store(session, workspace.id, fresh, items, stored, now)
            savepoint.commit()
            break
        except ContactAttributesFull as err:
            # Only the merged, locked row can tell; refuse that contact's items, store the rest.
            savepoint.rollback()
            if err.contact in refused or not any(_contact_of(items[i]) == err.contact for i in fresh):
                raise
            refused.add(err.contact)
            for index in rows:
                if _contact_of(items[index]) == err.contact and outcomes[index] is None:
                    outcomes[index] = err
    # Repeats answer with the first id: one stored now, or (a lost race) by another request.
    known.update({fresh[i]["external_id"]: fresh[i]["id"] for i in created if fresh[i]["external_id"]})
    lost = {row["external_id"] for i, row in fresh.items() if i not in created and row["external_id"]}
    known.update(_known_ids(session, workspace.id, lost) if lost else {})
    for index, row in rows.items():
        if outcomes[index] is not None:
            continue
        if index in created:
            outcomes[index] = Stored(row["id"], True)
        elif row["external_id"] in known:
            outcomes[index] = Stored(known[row["external_id"]], False)
        else:  # stored by a concurrent request and deleted again before we could read it
            outcomes[index] = Conflict("This answer's id changed while it was stored; send it again.")
    return outcomes  # type: ignore[return-value]  # every slot is filled above


# What a batch reads before it writes, in one round trip on PostgreSQL (the items' surveys, the
# sender ids seen before, the stored attributes of the contacts named). The lists are joined as
# unnest(...), not tested with "= ANY(...)": once psycopg prepares a statement PostgreSQL may
# pick a generic plan, where an array parameter is not hashed, and with statistics that lag a
# fast-growing table it scanned the workspace's answers comparing each with a thousand ids
# (90 ms a batch at 25,000 answers); one unique-index probe per id stays a millisecond.
_SURVEYS_SQL = "SELECT id, kind FROM surveys WHERE workspace_id = %s AND id = ANY(%s)"
_KNOWN_SQL = (
    "SELECT r.external_id, r.id FROM unnest(%s::varchar[]) AS k(external_id) "
    "JOIN responses r ON r.workspace_id = %s AND r.external_id = k.external_id"
)
_CONTACTS_SQL = (
    "SELECT c.external_id, c.attributes, c.locale FROM unnest(%s::varchar[]) AS k(external_id) "
    "JOIN contacts c ON c.workspace_id = %s AND c.external_id = k.external_id"
)


def _lookups(session: Session, workspace_id: str, items: list[dict]) -> tuple[dict, dict, dict]:
    """The items' surveys by id, the answer ids of sender ids seen before, and what the named
    contacts held before this batch ({"attributes", "locale"} by key; the upsert returns only
    the merged result)."""
    survey_ids = sorted({item["survey_id"] for item in items if "\x00" not in item["survey_id"]})
    external_ids = sorted({item["id"] for item in items if item.get("id")})
    keys = sorted({key for key in map(_key_or_none, items) if key})
    if is_postgres(session):
        surveys, known, contacts = pipeline.run(
            session,
            [
                (_SURVEYS_SQL, (workspace_id, survey_ids)),
                (_KNOWN_SQL, (external_ids, workspace_id)),
                (_CONTACTS_SQL, (keys, workspace_id)),
            ],
        )
    else:
        surveys = session.execute(
            select(Survey.id, Survey.kind).where(
                Survey.workspace_id == workspace_id, Survey.id.in_(survey_ids)
            )
        ).all()
        known = _known_ids(session, workspace_id, set(external_ids)).items()
        contacts = session.execute(
            select(Contact.external_id, Contact.attributes, Contact.locale).where(
                Contact.workspace_id == workspace_id, Contact.external_id.in_(keys)
            )
        ).all()
    stored = {
        row.external_id: {
            "attributes": row.attributes if isinstance(row.attributes, dict) else {},
            "locale": row.locale,
        }
        for row in contacts
    }
    return {survey.id: survey for survey in surveys}, dict(known), stored


def _key_or_none(item: dict) -> str | None:
    try:
        return _contact_of(item)
    except DomainError:  # an item naming nobody: refused by _row
        return None


def _contact_of(item: dict) -> str | None:
    return contact_key(item["contact"]) if item.get("contact") else None


def _row(item: dict, surveys: dict, workspace_id: str, now: datetime) -> dict:
    """The response row of one item, before its contact is known; raises what refuses it."""
    survey = surveys.get(item["survey_id"])
    if survey is None:
        raise NotFound(
            f"No survey with id {item['survey_id']!r} in this workspace.",
            errors={"survey_id": ["unknown survey"]},
        )
    score = validate_score(survey.kind, item["score"])
    contact = item.get("contact")
    if contact:
        contact_key(contact)  # an item naming nobody is refused on its own
    comment = clean_comment(item.get("comment"))
    pending = has_text(comment)
    return {
        "id": new_id("rsp"),
        "workspace_id": workspace_id,
        "survey_id": survey.id,
        "invitation_id": None,
        "contact_id": None,
        "touchpoint_id": None,
        "external_id": item.get("id"),
        "score": score,
        "comment": comment,
        "completed": True,
        "edit_token": None,
        "source": item.get("source") or "api",
        "locale": None,
        "metadata": item.get("metadata") or {},
        "attributes": {},
        "event_snapshot": None,
        "submitted_at": item.get("submitted_at") or now,
        "created_at": now,
        "updated_at": now,
        # Only a comment needs reading; the sweeper leaves a pending row alone while its job is queued.
        "analysis_status": "pending" if pending else "done",
        "analysis_enqueued_at": now if pending else None,
        "analysis_attempts": 0,
        "analysis_error": None,
    }


def _known_ids(session: Session, workspace_id: str, external_ids: set[str]) -> dict[str, str]:
    if not external_ids:
        return {}
    query = select(Response.external_id, Response.id).where(
        Response.workspace_id == workspace_id, Response.external_id.in_(external_ids)
    )
    return dict(session.execute(query).tuples().all())


def _fresh(rows: dict[int, dict], items: list[dict], known: dict, refused: set[str]) -> dict[int, dict]:
    """Items to insert: the first acceptable occurrence of each new sender id, and every item
    without one; repeats are resolved to the first one's id afterwards."""
    fresh, seen = {}, set()
    for index, row in rows.items():
        if refused and _contact_of(items[index]) in refused:
            continue
        external_id = row["external_id"]
        if external_id is not None:
            if external_id in known or external_id in seen:
                continue
            seen.add(external_id)
        fresh[index] = row
    return fresh


def _store(
    session: Session,
    workspace_id: str,
    fresh: dict[int, dict],
    items: list[dict],
    stored: dict[str, dict],
    now: datetime,
) -> set[int]:
    """Insert ``fresh`` with their contacts; the indexes actually inserted (a concurrent request
    may have stored a sender id first)."""
    if not fresh:
        return set()
    _attach_contacts(session, workspace_id, fresh, items, stored)
    rows = list(fresh.values())
    try:
        # COPY, the fastest way in; known sender ids were left out above, so a unique violation
        # means a concurrent request stored one of these first: then undo and insert around it.
        with session.begin_nested():
            copy_rows(session, Response.__table__, rows)
        stored_ids = {row["id"] for row in rows}
    except (IntegrityError, UniqueViolation):
        stored_ids = set(
            insert_rows(
                session,
                Response.__table__,
                rows,
                on_conflict="ON CONFLICT (workspace_id, external_id) DO NOTHING",
                returning="RETURNING id",
                sqlalchemy_statement=lambda: (
                    upsert_insert(session, Response.__table__)
                    .on_conflict_do_nothing(index_elements=["workspace_id", "external_id"])
                    .returning(Response.__table__.c.id)
                ),
            ).scalars()
        )
    created = {index for index, row in fresh.items() if row["id"] in stored_ids}
    inserted = [fresh[index] for index in sorted(created)]
    responses_inserted.run(session, rows=inserted)
    commented = [row["id"] for row in inserted if row["analysis_status"] == "pending"]
    if commented:
        jobs.defer_analysis(session, commented)
    return created


def _attach_contacts(
    session: Session, workspace_id: str, fresh: dict[int, dict], items: list[dict], stored: dict[str, dict]
) -> None:
    """Upsert the contacts of ``fresh`` (one statement) and give each row its contact id and the
    attributes and locale the contact had once that row's own item was merged in, starting from
    what was ``stored`` before the batch (left as it is: a retry starts from it again)."""
    with_contact = [index for index in fresh if items[index].get("contact")]
    if not with_contact:
        return
    contacts = lock_contacts(
        session, workspace_id=workspace_id, items=[items[index]["contact"] for index in with_contact]
    )
    states: dict[str, dict] = {}
    for index in with_contact:
        data = items[index]["contact"]
        key = contact_key(data)
        state = states.get(key)
        if state is None:
            before = stored.get(key) or {"attributes": {}, "locale": None}
            state = states[key] = {"attributes": dict(before["attributes"]), "locale": before["locale"]}
        state["attributes"].update(data.get("attributes") or {})
        if data.get("locale") is not None:
            state["locale"] = data["locale"]
        row = fresh[index]
        row["contact_id"] = contacts[key].id
        row["attributes"] = dict(state["attributes"])
        row["locale"] = state["locale"]
