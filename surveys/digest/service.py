"""Digest emails: who wants one, planning each period's row from the tick, and delivering it.

- A user chooses ``off`` (the default, for new and existing users), ``daily`` or ``weekly``
  (:func:`set_frequency`). Each email carries a signed link that turns it off with no login
  (:func:`unsubscribe_token`, :func:`unsubscribe`).
- The tick plans the latest complete period for every user who wants a digest (:func:`plan`):
  one ``digests`` row per user and period, inserted with ON CONFLICT DO NOTHING on the unique
  (user, frequency, period start) key, so a re-run or killed tick plans nothing twice and loses
  nothing (the next tick plans what a killed one did not commit). Due rows go on the queue.
- :func:`deliver_digest` (the ``send_digest`` job) claims the row under a lock, builds the
  sections (:mod:`surveys.digest.sections`), marks it ``sending`` and commits before talking to
  SMTP, then records ``sent``. A failure is retried with backoff on the row; a worker lost
  mid-send leaves ``sending``, which the tick returns to ``pending`` after
  :data:`STUCK_AFTER` (at least once; the Message-ID is the row's, so a receiver can drop the
  rare duplicate).
- A period without any answer in the workspace sends nothing: the row is ``skipped`` with the
  reason ``no answers in this period``. An empty email a day teaches people to ignore it.
"""

import base64
import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from surveys.core import jobs
from surveys.core.bulk import insert_rows
from surveys.core.db import lock_rows, new_id, upsert_insert, utcnow
from surveys.core.errors import Invalid
from surveys.digest import render
from surveys.digest.models import Digest
from surveys.digest.sections import DigestContext, Period, collect
from surveys.invitation import mail
from surveys.metrics.rollups import counted
from surveys.response.models import Response
from surveys.workspace.models import DIGEST_FREQUENCIES, User, Workspace

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF = (60, 300, 1800, 7200)
REQUEUE_AFTER = timedelta(minutes=2)
STUCK_AFTER = timedelta(minutes=15)
EMPTY = "no answers in this period"


@dataclass(frozen=True)
class DigestSettings:
    """What sending a digest needs from the operator's configuration, as a value."""

    base_url: str
    # Signs the unsubscribe links (the web shell passes its SECRET_KEY).
    secret: str
    smtp_url: str | None = None
    mail_from: str = "vocservice <surveys@localhost>"
    outbox_dir: Path = Path("instance/mail")


# ---- preference and one-click stop ----------------------------------------------------------


def set_frequency(session: Session, *, user: User, frequency: str) -> None:
    if frequency not in DIGEST_FREQUENCIES:
        raise Invalid(
            f"Unknown digest frequency {frequency!r}.",
            errors={"digest": [f"one of {', '.join(DIGEST_FREQUENCIES)}"]},
        )
    user.digest_frequency = frequency
    session.flush()


def _signature(secret: str, user_id: str) -> str:
    digest = hmac.new(secret.encode(), f"digest-unsubscribe:{user_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def unsubscribe_token(secret: str, user_id: str) -> str:
    """``<user id>.<HMAC>``: knowing the link is what allows turning that user's digest off."""
    return f"{user_id}.{_signature(secret, user_id)}"


def user_for_token(session: Session, *, secret: str, token: str) -> User | None:
    """The user a valid unsubscribe token names, else None (bad signature or unknown user)."""
    user_id, _, signature = (token or "").partition(".")
    if not user_id or len(token) > 200 or not hmac.compare_digest(signature, _signature(secret, user_id)):
        return None
    return session.get(User, user_id)


def unsubscribe(session: Session, *, user: User) -> None:
    user.digest_frequency = "off"
    session.flush()


# ---- planning (the tick) -------------------------------------------------------------------


def _row(user_id: str, workspace_id: str, period: Period, now: datetime) -> dict:
    return {
        "id": new_id("dg"),
        "workspace_id": workspace_id,
        "user_id": user_id,
        "frequency": period.frequency,
        "period_start": period.start,
        "period_end": period.end,
        "status": "pending",
        "reason": None,
        "attempts": 0,
        "next_attempt_at": now,
        "enqueued_at": None,
        "sent_at": None,
        "last_error": None,
        "created_at": now,
    }


def plan(session: Session, *, now: datetime | None = None) -> dict[str, int]:
    """Plan the latest complete period of every user who wants a digest; enqueue what is due."""
    now = now or utcnow()
    rows = []
    for frequency in ("daily", "weekly"):
        period = Period.latest(frequency, now)
        # Only users without this period's row: the tick runs every minute, the work once a period.
        planned_already = select(Digest.id).where(
            Digest.user_id == User.id, Digest.frequency == frequency, Digest.period_start == period.start
        )
        users = session.execute(
            select(User.id, User.workspace_id).where(
                User.digest_frequency == frequency, User.disabled_at.is_(None), ~planned_already.exists()
            )
        ).all()
        rows.extend(_row(user_id, workspace_id, period, now) for user_id, workspace_id in users)
    planned = 0
    if rows:
        result = insert_rows(
            session,
            Digest.__table__,
            rows,
            on_conflict="ON CONFLICT (user_id, frequency, period_start) DO NOTHING",
            returning="RETURNING id",
            sqlalchemy_statement=lambda: (
                upsert_insert(session, Digest.__table__)
                .on_conflict_do_nothing(index_elements=["user_id", "frequency", "period_start"])
                .returning(Digest.__table__.c.id)
            ),
        )
        planned = len(list(result.scalars()))
    released = session.execute(
        update(Digest)
        .where(Digest.status == "sending", Digest.enqueued_at < now - STUCK_AFTER)
        .values(status="pending", enqueued_at=None, last_error="worker lost during delivery")
        .execution_options(synchronize_session=False)
    ).rowcount
    due = list(
        session.execute(
            select(Digest.id)
            .where(
                Digest.status == "pending",
                Digest.next_attempt_at <= now,
                or_(Digest.enqueued_at.is_(None), Digest.enqueued_at < now - REQUEUE_AFTER),
            )
            .order_by(Digest.next_attempt_at)
            .limit(1000)
        ).scalars()
    )
    if due:
        session.execute(
            update(Digest)
            .where(Digest.id.in_(due))
            .values(enqueued_at=now)
            .execution_options(synchronize_session=False)
        )
    for digest_id in due:
        jobs.defer(session, jobs.SEND_DIGEST, digest_id)
    return {"digests_planned": planned, "digests_released": released, "digests_enqueued": len(due)}


# ---- delivery (the job) --------------------------------------------------------------------


def _answers(session: Session, workspace_id: str, period: Period) -> int:
    query = counted(
        select(func.count()).where(
            Response.workspace_id == workspace_id,
            Response.submitted_at >= period.start_at,
            Response.submitted_at < period.end_at,
        )
    )
    return int(session.execute(query).scalar() or 0)


def _skip(session: Session, row: Digest, reason: str) -> str:
    row.status, row.reason, row.enqueued_at = "skipped", reason, None
    session.commit()
    return f"skipped:{reason}"


def deliver_digest(session: Session, *, digest_id: str, settings: DigestSettings) -> str:
    now = utcnow()
    query = lock_rows(session, select(Digest).where(Digest.id == digest_id), of=Digest, skip_locked=True)
    row = session.execute(query).scalar_one_or_none()
    if row is None:
        session.rollback()
        return "locked-or-missing"
    if row.status != "pending" or row.next_attempt_at > now:
        session.rollback()
        return f"skipped:{row.status}"
    user = session.get(User, row.user_id)
    if user.disabled_at is not None or user.digest_frequency != row.frequency:
        return _skip(session, row, "digest turned off or changed before it was sent")
    period = Period(row.frequency, row.period_start, row.period_end)
    workspace = session.get(Workspace, row.workspace_id)
    answers = _answers(session, workspace.id, period)
    if not answers:
        return _skip(session, row, EMPTY)
    context = DigestContext(workspace=workspace, user=user, period=period, base_url=settings.base_url)
    token = unsubscribe_token(settings.secret, user.id)
    message = render.compose(
        context,
        sections=collect(session, context),
        answers=answers,
        message_id=row.id,
        unsubscribe_url=f"{settings.base_url}/digest/unsubscribe/{token}",
    )
    row.status, row.attempts, row.enqueued_at = "sending", row.attempts + 1, now
    session.commit()  # the claim is durable before we talk to the outside world
    try:
        mail.send_message(
            message, smtp_url=settings.smtp_url, mail_from=settings.mail_from, outbox_dir=settings.outbox_dir
        )
    except Exception as exc:  # noqa: BLE001 - any failure reschedules the row
        session.rollback()
        row = session.get(Digest, digest_id)
        row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        row.enqueued_at = None
        if row.attempts >= MAX_ATTEMPTS:
            row.status = "failed"
        else:
            row.status = "pending"
            row.next_attempt_at = utcnow() + timedelta(
                seconds=BACKOFF[min(row.attempts - 1, len(BACKOFF) - 1)]
            )
        session.commit()
        log.warning("digest %s delivery failed (%s): %s", digest_id, row.status, row.last_error)
        return f"retry:{row.status}"
    row.status, row.sent_at, row.enqueued_at, row.last_error = "sent", utcnow(), None, None
    session.commit()
    return "sent"


def last_digests(session: Session, *, user_id: str, limit: int = 5) -> list[Digest]:
    """The user's latest digests, for their account page."""
    return list(
        session.execute(
            select(Digest).where(Digest.user_id == user_id).order_by(Digest.period_start.desc()).limit(limit)
        ).scalars()
    )
