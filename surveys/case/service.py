"""Working a case: who owns a new one, the webhook events of opening and status changes, the
changes a person makes (assign, status, resolution, due time), append-only notes, and the
reassignment of a removed user's open cases.

Owner emails are never sent from here: a case assigned (or found overdue by the tick) is marked,
and the ``notify_case_owners`` job sends each owner one email listing all of theirs
(:mod:`surveys.case.notices`), so a flood of 1,000 cases is a handful of emails.
"""

from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from surveys.case import rescue
from surveys.case.models import CLOSED_STATUSES, OPEN_STATUSES, Case, CaseNote, CaseRule
from surveys.case.rules import claim_turns, open_cases
from surveys.core import jobs
from surveys.core.db import lock_rows, rfc3339, utcnow, workspace_row
from surveys.core.errors import Invalid, NotFound
from surveys.response.models import Response
from surveys.response.webhooks import COLUMNS, response_data
from surveys.webhook import outbox
from surveys.workspace.models import User
from surveys.workspace.service import normalise_email


def active_users(session: Session, workspace_id: str) -> dict[str, str]:
    """user id -> email of the workspace's users who can own cases (not disabled)."""
    rows = session.execute(
        select(User.id, User.email).where(User.workspace_id == workspace_id, User.disabled_at.is_(None))
    )
    return dict(rows.all())


# ---- opening ----------------------------------------------------------------------------------


def open_and_assign(
    session: Session,
    *,
    workspace_id: str,
    response_ids: list[str],
    analysed: bool = False,
    now: datetime | None = None,
) -> list[dict]:
    """Open the cases these answers qualify for, give each its owner, emit ``case.opened``;
    returns the new cases (dicts). Everything set-based: a 1,000-answer batch is a few statements."""
    opened = open_cases(
        session, workspace_id=workspace_id, response_ids=response_ids, analysed=analysed, now=now
    )
    if not opened:
        return []
    rescue.cases_opened(session, opened)
    _assign_new(session, workspace_id, opened)
    _emit_opened(session, workspace_id, opened)
    return opened


def _assign_new(session: Session, workspace_id: str, opened: list[dict]) -> None:
    rules = {
        rule.id: rule
        for rule in session.execute(
            select(CaseRule)
            .where(CaseRule.id.in_({row["rule_id"] for row in opened}))
            .execution_options(populate_existing=True)
        ).scalars()
    }
    users = active_users(session, workspace_id)
    by_email = {email: user_id for user_id, email in users.items()}
    wanted = {rule.owner_attribute for rule in rules.values() if rule.assign == "attribute"}
    attributes: dict[str, dict] = {}
    if wanted - {None}:
        ids = [row["response_id"] for row in opened if rules[row["rule_id"]].assign == "attribute"]
        attributes = dict(
            session.execute(select(Response.id, Response.attributes).where(Response.id.in_(ids))).all()
        )
    waiting: dict[str, list[dict]] = {}  # rule id -> its new cases to give out in turn
    for row in opened:
        rule = rules[row["rule_id"]]
        row["owner_id"] = None
        if rule.assign == "attribute" and rule.owner_attribute:
            named = (attributes.get(row["response_id"]) or {}).get(rule.owner_attribute)
            if isinstance(named, str):
                row["owner_id"] = by_email.get(normalise_email(named))
        if row["owner_id"] is None and rule.assign in ("round_robin", "attribute"):
            waiting.setdefault(rule.id, []).append(row)
    for rule_id, rows in waiting.items():
        pool = [user_id for user_id in rules[rule_id].assignee_ids or () if user_id in users]
        if pool:
            # Turns are claimed by one UPDATE (the rule's row stays locked to commit), so two
            # transactions opening cases at once never hand out the same turn.
            first = claim_turns(session, rule_id, len(rows))
            for turn, row in enumerate(rows):
                row["owner_id"] = pool[(first + turn) % len(pool)]
    updates = [{"case_id": row["id"], "owner": row["owner_id"]} for row in opened if row["owner_id"]]
    if updates:
        table = Case.__table__
        session.execute(
            update(table)
            .where(table.c.id == bindparam("case_id"))
            .values(owner_id=bindparam("owner"), assignment_notice_pending=True),
            updates,
        )
        jobs.defer_once(session, jobs.NOTIFY_CASE_OWNERS)


def case_data(row: dict, owners: dict[str, str]) -> dict:
    """The ``case`` object of the webhook payloads, from a dict of case columns."""
    owner_id = row.get("owner_id")
    return {
        "id": row["id"],
        "status": row.get("status", "open"),
        "rule_id": row.get("rule_id"),
        "response_id": row["response_id"],
        "contact_id": row.get("contact_id"),
        "survey_id": row["survey_id"],
        "owner": {"id": owner_id, "email": owners.get(owner_id)} if owner_id else None,
        "due_at": rfc3339(row["due_at"]),
        "first_contacted_at": rfc3339(row.get("first_contacted_at")),
        "closed_at": rfc3339(row.get("closed_at")),
        "resolution": row.get("resolution"),
    }


def _emit_opened(session: Session, workspace_id: str, opened: list[dict]) -> None:
    endpoint_ids = outbox.subscriptions(session, workspace_id).get("case.opened")
    if not endpoint_ids:
        return
    columns = [getattr(Response, name) for name in COLUMNS]
    ids = [row["response_id"] for row in opened]
    rows = [r._asdict() for r in session.execute(select(*columns).where(Response.id.in_(ids)))]
    answers = response_data(session, rows)
    owners = active_users(session, workspace_id)
    outbox.emit(
        session,
        workspace_id=workspace_id,
        event_type="case.opened",
        items=[{"case": case_data(row, owners), "response": answers[row["response_id"]]} for row in opened],
        endpoint_ids=endpoint_ids,
    )


# ---- working a case ---------------------------------------------------------------------------


def get_case(session: Session, *, workspace_id: str, case_id: str) -> Case:
    case = workspace_row(session, Case, case_id, workspace_id=workspace_id)
    if case is None:
        raise NotFound(f"No case with id {case_id!r} in this workspace.")
    return case


def _row_of(case: Case) -> dict:
    return {
        name: getattr(case, name)
        for name in (
            "id",
            "status",
            "rule_id",
            "response_id",
            "contact_id",
            "survey_id",
            "owner_id",
            "due_at",
            "first_contacted_at",
            "closed_at",
            "resolution",
        )
    }


def update_case(
    session: Session,
    *,
    workspace_id: str,
    case_id: str,
    data: dict,
    author: str,
    author_id: str | None = None,
    now: datetime | None = None,
) -> Case:
    """Apply a change (``status``, ``owner_id``, ``resolution``, ``due_at``), recorded as one
    note by ``author``. Closing (``resolved``, ``closed_no_action``) needs a resolution reason."""
    now = now or utcnow()
    case = None
    if "\x00" not in case_id:
        query = lock_rows(session, select(Case).where(Case.id == case_id), of=Case)
        case = session.execute(query.execution_options(populate_existing=True)).unique().scalar_one_or_none()
    if case is None or case.workspace_id != workspace_id:
        raise NotFound(f"No case with id {case_id!r} in this workspace.")
    users = active_users(session, workspace_id)
    changes: list[str] = []
    if "owner_id" in data and data["owner_id"] != case.owner_id:
        owner_id = data["owner_id"]
        if owner_id is not None and owner_id not in users:
            raise Invalid(
                "The owner must be an active user of this workspace.",
                errors={"owner_id": ["not an active user of this workspace"]},
            )
        case.owner_id = owner_id
        # Nobody is emailed about a case they just took themselves.
        case.assignment_notice_pending = owner_id is not None and owner_id != author_id
        if case.assignment_notice_pending:
            jobs.defer_once(session, jobs.NOTIFY_CASE_OWNERS)
        changes.append(f"Assigned to {users[owner_id]}." if owner_id else "Unassigned.")
    if "resolution" in data and data["resolution"] is not None:
        case.resolution = data["resolution"]
    previous = case.status
    status = data.get("status", previous)
    if status in CLOSED_STATUSES and not (case.resolution or "").strip():
        raise Invalid(
            "Say why the case is closed: a resolution reason is needed.",
            errors={"resolution": ["required to resolve or close a case"]},
        )
    if status != previous:
        case.status = status
        if status != "open" and status != "closed_no_action" and case.first_contacted_at is None:
            case.first_contacted_at = now
        case.closed_at = now if status in CLOSED_STATUSES else None
        changes.append(f"Status: {previous} → {status}.")
    if "due_at" in data and data["due_at"] != case.due_at:
        case.due_at = data["due_at"]
        case.overdue_notified_at = None  # a new deadline can be missed again
        changes.append(f"Due {rfc3339(case.due_at)}.")
    if "resolution" in data and data["resolution"] is not None:
        changes.append(f"Resolution: {data['resolution']}")
    if changes:  # one note for the changes made together
        note = CaseNote(case_id=case.id, author=author, author_id=author_id, body=" ".join(changes))
        session.add(note)
    session.flush()
    if status != previous:
        outbox.emit(
            session,
            workspace_id=workspace_id,
            event_type="case.status_changed",
            items=[{"case": case_data(_row_of(case), users), "previous_status": previous}],
        )
    return case


def add_note(
    session: Session, *, workspace_id: str, case_id: str, body: str, author: str, author_id: str | None = None
) -> CaseNote:
    case = get_case(session, workspace_id=workspace_id, case_id=case_id)
    note = CaseNote(case_id=case.id, author=author, author_id=author_id, body=body)
    session.add(note)
    session.flush()
    return note


# ---- a user leaves ----------------------------------------------------------------------------


def reassign_removed_user(session: Session, *, user: User) -> int:
    """``user_removed``: the user's open cases go round-robin to their rule's remaining users
    (else to nobody), and the user leaves every rule's list; returns how many cases moved."""
    rules = (
        session.execute(select(CaseRule).where(CaseRule.workspace_id == user.workspace_id)).scalars().all()
    )
    for rule in rules:
        if user.id in (rule.assignee_ids or ()):
            rule.assignee_ids = [i for i in rule.assignee_ids if i != user.id]
    users = active_users(session, user.workspace_id)
    users.pop(user.id, None)
    held = (
        session.execute(
            lock_rows(
                session,
                select(Case)
                .where(Case.owner_id == user.id, Case.status.in_(OPEN_STATUSES))
                .order_by(Case.id),
                of=Case,
            )
        )
        .unique()
        .scalars()
        .all()
    )
    by_rule = {rule.id: rule for rule in rules}
    for case in held:
        rule = by_rule.get(case.rule_id)
        pool = [i for i in (rule.assignee_ids if rule else ()) if i in users]
        owner = None
        if pool:
            owner = pool[claim_turns(session, rule.id, 1) % len(pool)]
        case.owner_id = owner
        case.assignment_notice_pending = owner is not None
        note = f"Reassigned to {users[owner]}" if owner else "Unassigned"
        session.add(CaseNote(case_id=case.id, author="vocservice", body=f"{note}: {user.email} was removed."))
    if any(case.owner_id for case in held):
        jobs.defer_once(session, jobs.NOTIFY_CASE_OWNERS)
    session.flush()
    return len(held)


# ---- the tick ---------------------------------------------------------------------------------

OVERDUE_BATCH = 1000


def mark_overdue(session: Session, *, now: datetime) -> int:
    """Cases still ``open`` past their due time, reported once each: ``case.overdue`` and an
    email to the owner (coalesced). Returns how many were found."""
    due = (Case.status == "open") & (Case.due_at <= now) & Case.overdue_notified_at.is_(None)
    found = (
        session.execute(
            lock_rows(
                session,
                select(Case).where(due).order_by(Case.due_at).limit(OVERDUE_BATCH),
                of=Case,
                skip_locked=True,
            )
        )
        .unique()
        .scalars()
        .all()
    )
    by_workspace: dict[str, list[Case]] = {}
    for case in found:
        case.overdue_notified_at = now
        case.overdue_notice_pending = case.owner_id is not None
        by_workspace.setdefault(case.workspace_id, []).append(case)
    session.flush()
    for workspace_id, cases in by_workspace.items():
        endpoint_ids = outbox.subscriptions(session, workspace_id).get("case.overdue")
        if endpoint_ids:
            users = active_users(session, workspace_id)
            outbox.emit(
                session,
                workspace_id=workspace_id,
                event_type="case.overdue",
                items=[{"case": case_data(_row_of(case), users)} for case in cases],
                endpoint_ids=endpoint_ids,
            )
    if any(case.overdue_notice_pending for case in found):
        jobs.defer_once(session, jobs.NOTIFY_CASE_OWNERS)
    return len(found)


def notices_pending(session: Session) -> bool:
    query = select(Case.id).where(
        Case.assignment_notice_pending.is_(True) | Case.overdue_notice_pending.is_(True)
    )
    return session.execute(query.limit(1)).first() is not None
