"""Owner emails, coalesced: one email per owner per run listing every case newly assigned to
them and every one of theirs that went overdue, however many there are.

Cases carry the pending notice (``assignment_notice_pending``, ``overdue_notice_pending``); the
``notify_case_owners`` job takes them under ``SKIP LOCKED`` row locks, sends, and clears the flags
of what was sent in the same transaction. An owner whose email fails keeps their flags, and the
tick asks for another run while any are pending, so a notice is delayed, never lost.
"""

import logging
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from surveys.case.models import Case
from surveys.core.db import lock_rows, rfc3339
from surveys.invitation import mail
from surveys.invitation.settings import DeliverySettings
from surveys.survey.models import Survey
from surveys.workspace.models import User

log = logging.getLogger(__name__)
BATCH = 5000
LISTED = 50  # cases spelt out in one email; the rest are a link to the inbox


@dataclass
class NoticeOutcome:
    emails: int = 0
    cases: int = 0
    failed: list[str] = field(default_factory=list)


def _line(case: Case, kinds: dict[str, str], base_url: str) -> str:
    response = case.response
    customer = (response.contact.email or response.contact.external_id) if response.contact else "anonymous"
    kind = kinds.get(case.survey_id, "")
    return (
        f"- {kind.upper()} {response.score} from {customer}, due {rfc3339(case.due_at)}\n"
        f"  {base_url}/app/cases/{case.id}"
    )


def _section(title: str, cases: list[Case], kinds: dict[str, str], base_url: str) -> str:
    if not cases:
        return ""
    lines = [_line(case, kinds, base_url) for case in cases[:LISTED]]
    more = len(cases) - LISTED
    if more > 0:
        lines.append(f"...and {more} more: {base_url}/app/cases?mine=1")
    return f"{title} ({len(cases)}):\n" + "\n".join(lines) + "\n\n"


def send_owner_notices(session: Session, *, settings: DeliverySettings, base_url: str) -> NoticeOutcome:
    """Send what is pending and commit; returns what was sent."""
    outcome = NoticeOutcome()
    pending = Case.assignment_notice_pending.is_(True) | Case.overdue_notice_pending.is_(True)
    query = select(Case).where(pending).order_by(Case.id).limit(BATCH)
    cases = session.execute(lock_rows(session, query, of=Case, skip_locked=True)).unique().scalars().all()
    if not cases:
        return outcome
    owners = {
        user.id: user
        for user in session.execute(
            select(User).where(User.id.in_({c.owner_id for c in cases if c.owner_id}))
        ).scalars()
    }
    kinds = dict(
        session.execute(
            select(Survey.id, Survey.kind).where(Survey.id.in_({c.survey_id for c in cases}))
        ).all()
    )
    by_owner: dict[str, list[Case]] = {}
    done: list[str] = []
    for case in cases:
        owner = owners.get(case.owner_id)
        if owner is None or owner.disabled_at is not None:
            done.append(case.id)  # nobody to tell any more
        else:
            by_owner.setdefault(owner.id, []).append(case)
    for owner_id, theirs in by_owner.items():
        owner = owners[owner_id]
        assigned = [c for c in theirs if c.assignment_notice_pending]
        overdue = [c for c in theirs if c.overdue_notice_pending]
        parts = []
        if assigned:
            parts.append(f"{len(assigned)} new case{'s' if len(assigned) != 1 else ''} assigned to you")
        if overdue:
            parts.append(f"{len(overdue)} case{'s' if len(overdue) != 1 else ''} overdue")
        body = (
            "Customers who gave a low score are waiting to hear from you.\n\n"
            + _section("Assigned to you", assigned, kinds, base_url)
            + _section("Overdue (past their SLA, nobody contacted yet)", overdue, kinds, base_url)
            + f"Your inbox: {base_url}/app/cases?mine=1\n"
        )
        message = mail.plain_message(to=owner.email, subject="vocservice: " + " and ".join(parts), body=body)
        try:
            mail.send_message(
                message,
                smtp_url=settings.smtp_url,
                mail_from=settings.mail_from,
                outbox_dir=settings.outbox_dir,
            )
        except mail.MailError:
            log.exception("could not send case notices to %s", owner.email)
            outcome.failed.append(owner_id)
            continue
        outcome.emails += 1
        outcome.cases += len(theirs)
        done.extend(c.id for c in theirs)
    if done:
        session.execute(
            update(Case)
            .where(Case.id.in_(done))
            .values(assignment_notice_pending=False, overdue_notice_pending=False)
            .execution_options(synchronize_session=False)
        )
    session.commit()
    return outcome
