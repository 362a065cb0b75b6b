"""The periodic tick: finalise inactive partial answers, expire old invitations, release stuck
sends, enqueue due work (sends, reminders, analyses, remaps, digests, webhook deliveries), prune.

The database says what is due; Redis only carries it. Running the tick twice, or while a
previous job for the same row is still queued, is harmless because every job re-checks its row.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from surveys.alert import evaluate as alert_evaluate
from surveys.alert import notify as alert_notify
from surveys.alert import signals as alert_signals
from surveys.case import service as case_service
from surveys.core import jobs
from surveys.core.db import utcnow
from surveys.core.ledgers import IdempotencyRecord, WebhookReceipt
from surveys.customer import steps as customer_steps
from surveys.digest import service as digests
from surveys.invitation.models import Invitation
from surveys.privacy import erasure, retention
from surveys.response import finalise
from surveys.response.models import Response
from surveys.roadmap.mapping import sweep_remaps
from surveys.webhook import delivery as webhook_delivery

# A queued job not picked up within this window is enqueued again (e.g. Redis restarted).
REQUEUE_AFTER = timedelta(minutes=2)
# A send claimed this long ago without an outcome belongs to a dead worker.
STUCK_AFTER = timedelta(minutes=15)
# Analysis jobs queue up behind large imports, so they get a longer window before a pending
# response counts as lost; a requeue of one still queued is harmless, only wasted work.
ANALYSIS_REQUEUE_AFTER = timedelta(minutes=10)
ANALYSIS_SWEEP_LIMIT = 10_000
RECEIPT_TTL = timedelta(days=8)
IDEMPOTENCY_TTL = timedelta(hours=24)
BATCH = 1000
WEBHOOK_RETENTION = timedelta(days=30)


@dataclass
class TickResult:
    counts: dict[str, int] = field(default_factory=dict)


def _due_ids(session: Session, condition, now: datetime) -> list[str]:
    stale = or_(Invitation.enqueued_at.is_(None), Invitation.enqueued_at < now - REQUEUE_AFTER)
    ids = (
        session.execute(
            select(Invitation.id).where(condition, stale).order_by(Invitation.scheduled_for).limit(BATCH)
        )
        .scalars()
        .all()
    )
    if ids:
        session.execute(
            update(Invitation)
            .where(Invitation.id.in_(ids))
            .values(enqueued_at=now)
            .execution_options(synchronize_session=False)
        )
    return list(ids)


def run_tick(
    session: Session,
    *,
    now: datetime | None = None,
    finalise_after: timedelta = finalise.DEFAULT_AFTER,
    webhook_retention: timedelta = WEBHOOK_RETENTION,
    public_base_url: str = "",
) -> TickResult:
    """Do what is due and commit; the jobs it defers go on their queues after that commit.

    ``finalise_after``: how long a scored partial answer may sit untouched before it counts as
    answered (:func:`surveys.response.finalise.finalise_partial_answers`); ``webhook_retention``:
    how long the webhook delivery log is kept; ``public_base_url``: the web app's address, for the
    evidence links of alerts.

    Alert rules are evaluated last, each in its own transaction (:mod:`surveys.alert.evaluate`),
    over the rollups this tick brought up to date."""
    now = now or utcnow()
    result = TickResult()
    counts = result.counts

    # First, so an answer given just before its link expired is counted, not expired with it.
    counts["partials_finalised"] = finalise.finalise_partial_answers(session, now=now, after=finalise_after)

    counts["expired"] = session.execute(
        update(Invitation)
        .where(Invitation.status.in_(("scheduled", "sent")), Invitation.expires_at <= now)
        .values(status="expired", enqueued_at=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    counts["released"] = session.execute(
        update(Invitation)
        .where(Invitation.status == "sending", Invitation.enqueued_at < now - STUCK_AFTER)
        .values(status="scheduled", enqueued_at=None, last_error="worker lost during delivery")
        .execution_options(synchronize_session=False)
    ).rowcount
    # Link invitations need no delivery: the caller already has the URL.
    counts["links_opened"] = session.execute(
        update(Invitation)
        .where(
            Invitation.status == "scheduled", Invitation.channel == "link", Invitation.scheduled_for <= now
        )
        .values(status="sent", sent_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount

    sends = _due_ids(session, (Invitation.status == "scheduled") & (Invitation.scheduled_for <= now), now)
    for invitation_id in sends:
        jobs.defer(session, jobs.SEND_INVITATION, invitation_id)
    counts["sends_enqueued"] = len(sends)

    reminders = _due_ids(
        session,
        (Invitation.status == "sent")
        & (Invitation.reminder_due_at <= now)
        & Invitation.reminded_at.is_(None),
        now,
    )
    for invitation_id in reminders:
        jobs.defer(session, jobs.SEND_REMINDER, invitation_id)
    counts["reminders_enqueued"] = len(reminders)

    counts["analyses_enqueued"] = _sweep_analyses(session, now)
    counts["roadmap_remaps_enqueued"] = sweep_remaps(session, now)
    counts["theme_rollup_days"] = _sync_theme_rollups(session)
    # After the theme rollups, which the digests' theme section reads when its job runs.
    counts.update(digests.plan(session, now=now))

    # Retries come due with time, and a killed worker's delivery once its lease passes.
    counts["webhooks_due"] = webhook_delivery.due_count(session, now=now)
    if counts["webhooks_due"]:
        jobs.defer_once(session, jobs.DELIVER_WEBHOOKS)
    counts["webhook_deliveries_pruned"] = webhook_delivery.prune(
        session, now=now, retention=webhook_retention
    )

    # Erasures whose job was lost, and answers past their workspace's retention period.
    counts["erasures_enqueued"] = erasure.sweep(session, now)
    counts["retention_applied"] = retention.apply_retention(session, now=now)
    # Cases past their SLA are reported once; owner emails go out coalesced, one per owner.
    counts["cases_overdue"] = case_service.mark_overdue(session, now=now)
    if case_service.notices_pending(session):
        jobs.defer_once(session, jobs.NOTIFY_CASE_OWNERS)
    # New or changed contacts each tick; every contact once a day (recency moves, history kept).
    counts["health_scored"] = customer_steps.sweep(session, now=now)

    counts["receipts_pruned"] = session.execute(
        delete(WebhookReceipt).where(WebhookReceipt.received_at < now - RECEIPT_TTL)
    ).rowcount
    counts["idempotency_pruned"] = session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < now - IDEMPOTENCY_TTL)
    ).rowcount
    counts["alert_signals_pruned"] = alert_signals.prune(session, now=now)
    # Alert emails still pending (a lost job, a failing SMTP server) are asked for again.
    counts["alert_emails_due"] = alert_notify.due_count(session, now=now)
    if counts["alert_emails_due"]:
        jobs.defer_once(session, jobs.SEND_ALERT_EMAILS)
    session.commit()

    evaluation = alert_evaluate.evaluate_rules(session, now=now, base_url=public_base_url)
    counts["alert_rules_evaluated"] = evaluation.evaluated
    counts["alerts_fired"] = len(evaluation.fired)
    return result


def _sweep_analyses(session: Session, now: datetime) -> int:
    """Completed responses still pending whose job never ran or went missing, or whose worker's
    lease has passed (it died mid-batch, or a failed analysis is due for its retry)."""
    never_claimed = Response.analysis_lease_until.is_(None) & or_(
        Response.analysis_enqueued_at.is_(None), Response.analysis_enqueued_at < now - ANALYSIS_REQUEUE_AFTER
    )
    due = (
        (Response.analysis_status == "pending")
        & Response.completed.is_(True)
        & or_(never_claimed, Response.analysis_lease_until <= now)
    )
    ids = list(
        session.execute(
            select(Response.id).where(due).order_by(Response.id).limit(ANALYSIS_SWEEP_LIMIT)
        ).scalars()
    )
    if ids:
        # Counted once: the lease is released and the window starts again (any worker takes a
        # pending answer without a lease, whichever job it runs).
        session.execute(
            update(Response)
            .where(Response.id.in_(ids), due)
            .values(analysis_enqueued_at=now, analysis_lease_until=None)
            .execution_options(synchronize_session=False)
        )
    jobs.defer_analysis(session, ids)
    return len(ids)


def _sync_theme_rollups(session: Session) -> int:
    """Fold newly analysed answers into the theme rollups (surveys.metrics.theme_rollups)."""
    from surveys.metrics import theme_rollups

    return theme_rollups.sync(session)
