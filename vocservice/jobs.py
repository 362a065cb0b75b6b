"""Background jobs, declared in one place: the function behind each name of the domain's job
port (:mod:`surveys.core.jobs`), its queue, timeout and retries.

Jobs take ids, never objects, are idempotent (each re-reads and locks its rows and does nothing
if the work is already done) and run inside an app context. The RQ worker process builds the app
once before forking; :func:`run_job` disposes of inherited database connections in the child.
"""

import logging
import os
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

from flask import Flask, current_app
from rq import Queue, Retry, get_current_job
from rq.serializers import JSONSerializer
from sqlalchemy.exc import StatementError

from surveys.core import jobs as port
from surveys.core.db import db
from vocservice.config import delivery_settings, digest_settings, webhook_settings
from vocservice.logs import QuietDatabaseError, current_request_id, describe_database_error, request_id_var

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobSpec:
    queue: str = "default"
    timeout: int = 120
    max_retries: int = 3
    backoff: tuple[int, ...] = (10, 60, 300)
    # At most one queued (not yet started) job of this name: asking again while one waits is a
    # no-op (see vocservice.queue). For jobs without arguments that find their work themselves.
    coalesce: bool = False

    def retry(self) -> Retry | None:
        return Retry(max=self.max_retries, interval=list(self.backoff)) if self.max_retries else None


_app: Flask | None = None
_engine_pid: int | None = None


def set_app(app: Flask) -> None:
    global _app, _engine_pid
    _app = app
    _engine_pid = os.getpid()


def get_app() -> Flask:
    global _app
    if _app is None:
        from vocservice import create_app

        set_app(create_app())
    return _app


def run_job(app: Flask, name: str, args: tuple):
    func, _ = JOBS[name]
    return func(*args, _app=app)


def _job_request_id() -> str | None:
    """The id of the request that enqueued the running RQ job (in process: the caller's)."""
    job = get_current_job()
    return job.meta.get("request_id") if job else current_request_id()


@contextmanager
def _job_session(app: Flask | None):
    """An app context and a clean session for one job, whatever the job's outcome."""
    app = app or get_app()
    ctx = app.app_context()
    ctx.push()
    token = request_id_var.set(_job_request_id())
    if _engine_pid is not None and os.getpid() != _engine_pid:
        # Forked work horse: never reuse the parent's pooled connections.
        db.engine.dispose(close=False)
    try:
        yield db.session
    except StatementError as error:
        # Retried like any failure, but what RQ logs and keeps in Redis names no customer value.
        raise QuietDatabaseError(describe_database_error(error)) from None
    finally:
        db.session.remove()
        ctx.pop()
        request_id_var.reset(token)


def _log(name: str, subject, outcome) -> None:
    # Every job log line carries the job id, so one job can be followed across processes.
    job = get_current_job()
    extra = {"job_id": job.id, "request_id": job.meta.get("request_id")} if job else {}
    log.info("job %s %s %s -> %s", job.id if job else "in-process", name, subject, outcome, extra=extra)


def send_invitation(invitation_id: str, *, _app: Flask | None = None) -> str:
    from surveys.invitation import delivery as dispatch

    with _job_session(_app) as session:
        outcome = dispatch.deliver_invitation(
            session, invitation_id=invitation_id, settings=delivery_settings(current_app)
        )
    _log("send_invitation", invitation_id, outcome)
    return outcome


def send_reminder(invitation_id: str, *, _app: Flask | None = None) -> str:
    from surveys.invitation import delivery as dispatch

    with _job_session(_app) as session:
        outcome = dispatch.deliver_reminder(
            session, invitation_id=invitation_id, settings=delivery_settings(current_app)
        )
    _log("send_reminder", invitation_id, outcome)
    return outcome


def analyze_responses(response_ids: list[str], *, _app: Flask | None = None) -> dict:
    from surveys.analysis import service as analysis

    with _job_session(_app) as session:
        outcome = analysis.analyze_responses(session, response_ids=list(response_ids))
    _log("analyze_responses", f"{len(response_ids)} ids", outcome)
    return vars(outcome)


def queued_key(name: str) -> str:
    """The Redis key saying a coalesced job ``name`` is queued and has not started yet."""
    return f"voc:queued:{name}"


def analyze_pending(*, _app: Flask | None = None) -> dict:
    from surveys.analysis import service as analysis

    job = get_current_job()
    if job is not None:  # started: from now on, new work needs a new job
        job.connection.delete(queued_key(port.ANALYZE_PENDING))
    with _job_session(_app) as session:
        outcome = analysis.analyze_pending(session)
    _log("analyze_pending", "oldest pending", outcome)
    return vars(outcome)


def remap_roadmap_item(item_id: str, *, _app: Flask | None = None) -> dict | None:
    from surveys.roadmap.mapping import remap_item

    with _job_session(_app) as session:
        outcome = remap_item(session, item_id=item_id)
        session.commit()
    _log("remap_roadmap_item", item_id, outcome)
    return outcome


def deliver_webhooks(*, _app: Flask | None = None) -> dict:
    """Deliver what is due; ask for a successor while more is due; tell the admins of endpoints
    this run disabled for sustained failure."""
    from surveys.webhook import delivery

    job = get_current_job()
    if job is not None:  # started: from now on, new work needs a new job
        job.connection.delete(queued_key(port.DELIVER_WEBHOOKS))
    with _job_session(_app) as session:
        outcome = delivery.deliver_due(session, settings=webhook_settings(current_app))
        for endpoint_id in outcome.disabled_for_failure:
            _tell_admins_disabled(session, endpoint_id)
        if outcome.more:
            port.defer(session, port.DELIVER_WEBHOOKS)
            session.commit()
    _log("deliver_webhooks", "due deliveries", outcome)
    return vars(outcome)


def send_digest(digest_id: str, *, _app: Flask | None = None) -> str:
    from surveys.digest import service as digests

    with _job_session(_app) as session:
        outcome = digests.deliver_digest(session, digest_id=digest_id, settings=digest_settings(current_app))
    _log("send_digest", digest_id, outcome)
    return outcome


def send_alert_emails(*, _app: Flask | None = None) -> dict:
    """Email the recipients of every alert whose email is pending (the alert row is the outbox)."""
    from surveys.alert import notify

    job = get_current_job()
    if job is not None:  # started: from now on, new work needs a new job
        job.connection.delete(queued_key(port.SEND_ALERT_EMAILS))
    with _job_session(_app) as session:
        outcome = notify.send_pending(
            session, settings=delivery_settings(current_app), base_url=current_app.config["PUBLIC_BASE_URL"]
        )
    _log("send_alert_emails", "pending alerts", outcome)
    return outcome


def score_customers(*, _app: Flask | None = None) -> dict:
    """Score the customers that set-based writes left stale; ask for a successor while more are."""
    from surveys.customer.steps import score_stale

    job = get_current_job()
    if job is not None:  # started: from now on, new work needs a new job
        job.connection.delete(queued_key(port.SCORE_CUSTOMERS))
    with _job_session(_app) as session:
        scored, more = score_stale(session)
        if more:
            port.defer(session, port.SCORE_CUSTOMERS)
        session.commit()
    outcome = {"scored": scored, "more": more}
    _log("score_customers", "stale customers", outcome)
    return outcome


def _tell_admins_disabled(session, endpoint_id: str) -> None:
    """Email the workspace's active admins that an endpoint was turned off (best effort: the
    endpoint page says so too)."""
    from surveys.invitation import mail
    from surveys.webhook.models import WebhookEndpoint
    from surveys.workspace.service import list_users

    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        return
    settings = delivery_settings(current_app)
    base = current_app.config["PUBLIC_BASE_URL"]
    for member in list_users(session, workspace_id=endpoint.workspace_id):
        if member.role != "admin" or member.status != "active":
            continue
        try:
            mail.send_message(
                mail.plain_message(
                    to=member.email,
                    subject="vocservice: a webhook endpoint was disabled",
                    body=(
                        f"The webhook endpoint {endpoint.url}\n"
                        f"was disabled: {endpoint.disabled_reason}.\n\n"
                        "Its deliveries wait until it is enabled again:\n"
                        f"{base}/app/settings/webhooks/{endpoint.id}\n"
                    ),
                ),
                smtp_url=settings.smtp_url,
                mail_from=settings.mail_from,
                outbox_dir=settings.outbox_dir,
            )
        except Exception:  # noqa: BLE001
            log.exception("could not tell %s that endpoint %s was disabled", member.email, endpoint_id)


def erase_person(request_id: str, *, _app: Flask | None = None) -> dict:
    """Carry out an erasure request, then drop queued jobs that name the erased rows (their
    analyses and sends): the jobs would find nothing, but nothing of the person stays queued."""
    from surveys.privacy import erasure

    with _job_session(_app) as session:
        outcome = erasure.run_erasure(session, request_id=request_id)
        # The mail path's fallback folder (no SMTP_URL) keeps each message as a file.
        outcome.counts["mail_files"] = erasure.forget_mail_files(
            delivery_settings(current_app).outbox_dir, outcome.identifiers
        )
    job = get_current_job()
    # In process (no Redis) there is no queue to clean.
    dropped = drop_queued(job.connection, outcome.response_ids | outcome.invitation_ids) if job else 0
    _log("erase_person", request_id, f"{outcome.status} {outcome.counts} dropped {dropped} jobs")
    return {"status": outcome.status, "counts": outcome.counts, "jobs_dropped": dropped}


def drop_queued(connection, ids: set[str]) -> int:
    """Remove queued (not started) jobs whose arguments name any of ``ids``; returns how many.
    A job holding other ids too goes as well: their answers stay pending in the database and
    the tick's sweeper enqueues them again."""
    if not ids:
        return 0
    dropped = 0
    for name in sorted({spec.queue for _, spec in JOBS.values()}):
        queue = Queue(name, connection=connection, serializer=JSONSerializer)
        for job in queue.get_jobs():
            named = set()
            for arg in job.args:
                named.update(str(a) for a in (arg if isinstance(arg, list | tuple) else [arg]))
            if named & ids:
                queue.remove(job)
                job.delete()
                dropped += 1
    return dropped


def notify_case_owners(*, _app: Flask | None = None) -> dict:
    """One email per case owner listing their newly assigned and overdue cases."""
    from surveys.case.notices import send_owner_notices

    job = get_current_job()
    if job is not None:  # started: from now on, new work needs a new job
        job.connection.delete(queued_key(port.NOTIFY_CASE_OWNERS))
    with _job_session(_app) as session:
        outcome = send_owner_notices(
            session, settings=delivery_settings(current_app), base_url=current_app.config["PUBLIC_BASE_URL"]
        )
    _log("notify_case_owners", "pending notices", outcome)
    return vars(outcome)


JOBS: dict[str, tuple[Callable[..., object], JobSpec]] = {
    # Delivery state lives on the invitation row, so a failed send is rescheduled there with
    # backoff instead of being retried blindly by RQ.
    port.SEND_INVITATION: (send_invitation, JobSpec(queue="default", timeout=60, max_retries=0)),
    port.SEND_REMINDER: (send_reminder, JobSpec(queue="default", timeout=60, max_retries=0)),
    # Up to ANALYSIS_BATCH comments of at most 5,000 characters each: seconds normally, so a job
    # still running after 10 minutes is stuck. Retries cover a lost database connection; attempts
    # on the rows themselves decide when one comment is given up on.
    port.ANALYZE_RESPONSES: (
        analyze_responses,
        JobSpec(queue="nlp", timeout=600, max_retries=3, backoff=(15, 120, 600)),
    ),
    # The same work, on whatever is pending: the rows' leases, not RQ retries, bring back what a
    # failed or killed job had claimed (any later analyze_pending takes it up).
    port.ANALYZE_PENDING: (
        analyze_pending,
        JobSpec(queue="nlp", timeout=600, max_retries=0, coalesce=True),
    ),
    # One item's automatic links over its workspace: a scan of matching comments, so minutes
    # at most; remap_requested_at on the item lets the tick redo it if the job is lost.
    port.REMAP_ROADMAP_ITEM: (remap_roadmap_item, JobSpec(queue="default", timeout=600, max_retries=3)),
    # Delivery state lives on the delivery rows (attempts, next attempt, lease): a lost job
    # costs nothing but time, since the tick asks for another while anything is due.
    port.DELIVER_WEBHOOKS: (
        deliver_webhooks,
        JobSpec(queue="default", timeout=300, max_retries=0, coalesce=True),
    ),
    # Delivery state lives on the digests row (attempts, backoff), like an invitation's.
    port.SEND_DIGEST: (send_digest, JobSpec(queue="default", timeout=120, max_retries=0)),
    # The request row is the durable record: RQ retries a failure, the tick re-enqueues a lost job.
    port.ERASE_PERSON: (erase_person, JobSpec(queue="default", timeout=600, max_retries=3)),
    # Email state lives on the alert rows (pending, who was emailed): the tick asks again for
    # alerts still pending, so RQ need not retry.
    port.SEND_ALERT_EMAILS: (
        send_alert_emails,
        JobSpec(queue="default", timeout=300, max_retries=0, coalesce=True),
    ),
    # The notice flags live on the case rows: a lost or failed run costs time only, since the
    # tick asks for another while any notice is pending.
    port.NOTIFY_CASE_OWNERS: (
        notify_case_owners,
        JobSpec(queue="default", timeout=300, max_retries=0, coalesce=True),
    ),
    # Health of customers whose answers arrived in batches: the profiles say who is stale, so a
    # lost job costs only time (the tick asks for another while any is).
    port.SCORE_CUSTOMERS: (
        score_customers,
        JobSpec(queue="default", timeout=600, max_retries=0, coalesce=True),
    ),
}
assert set(JOBS) == set(port.NAMES), "every name of the job port has a function here"
