"""``GET /metrics``: Prometheus metrics for operators, behind a bearer token.

Two kinds of figures:

- counted as requests are served: ``vocservice_http_requests_total`` and the histogram
  ``vocservice_http_request_duration_seconds``, labelled by Flask endpoint name (never the raw
  path, so ids and tokens cannot blow up the series or leak), method and status class (``2xx``);
- read at scrape time with cheap indexed queries: RQ queue depth and age of the oldest queued job,
  jobs per RQ registry (started; finished and failed while RQ keeps them: one hour and seven
  days), invitations due and overdue, answers waiting for analysis and webhook-channel deliveries
  in flight or failed.

Processes: gunicorn runs several workers (the Procfile: 2 x 4 threads) and a scrape reaches one
of them, so request metrics use prometheus_client's multi-process mode whenever
``PROMETHEUS_MULTIPROC_DIR`` is set; the Procfile's gunicorn settings
(:mod:`vocservice.gunicorn_config`) set it to a fresh directory. Without it (``make run``, one
process) the counters live in the process.

Access: ``VOC_METRICS_TOKEN`` unset -> 404 (the endpoint does not exist); set -> the scraper
sends ``Authorization: Bearer <token>``, anything else is 401.
"""

import hmac
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from redis.exceptions import RedisError
from rq.registry import (
    DeferredJobRegistry,
    FailedJobRegistry,
    FinishedJobRegistry,
    ScheduledJobRegistry,
    StartedJobRegistry,
)
from sqlalchemy import case, func, select

from surveys.core.db import db, utcnow
from surveys.invitation.models import Invitation
from surveys.response.models import Response as Answer

# A due invitation still not sent after this long means delivery is falling behind (the tick
# enqueues due sends every 15 seconds and a send takes seconds).
OVERDUE_AFTER = timedelta(minutes=5)
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

REQUESTS = Counter(
    "vocservice_http_requests",
    "HTTP requests served, by Flask endpoint, method and status class",
    ["endpoint", "method", "status"],
)
LATENCY = Histogram(
    "vocservice_http_request_duration_seconds",
    "Time to answer an HTTP request, by Flask endpoint, method and status class",
    ["endpoint", "method", "status"],
    buckets=BUCKETS,
)

bp = Blueprint("telemetry", __name__)


def _start_timer() -> None:
    g.metrics_started = time.perf_counter()


def _count(response):
    started = g.pop("metrics_started", None)
    rule = request.url_rule
    labels = (
        rule.endpoint if rule is not None else "unmatched",
        request.method if request.method in _METHODS else "other",
        f"{response.status_code // 100}xx",
    )
    counter, histogram = _series(labels)
    counter.inc()
    if started is not None:
        histogram.observe(time.perf_counter() - started)
    return response


_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
# (endpoint, method, status class) -> its counter and histogram children. ``labels()`` checks
# and locks on every call; the label sets are bounded (endpoints x methods x classes), so each
# is looked up once per process.
_SERIES: dict[tuple[str, str, str], tuple] = {}


def _series(labels: tuple[str, str, str]) -> tuple:
    found = _SERIES.get(labels)
    if found is None:
        found = _SERIES[labels] = (REQUESTS.labels(*labels), LATENCY.labels(*labels))
    return found


def _authorised() -> None:
    token = current_app.config.get("VOC_METRICS_TOKEN")
    if not token:
        abort(404)
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        abort(401)


def _gauge(name: str, doc: str, labels: list[str] | None = None) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, labels=labels)


def _database_families(now: datetime) -> Iterator[GaugeMetricFamily]:
    # ix_invitations_due (status, scheduled_for) answers both counts in one range scan.
    due, overdue = db.session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((Invitation.scheduled_for <= now - OVERDUE_AFTER, 1), else_=0)), 0),
        ).where(Invitation.status == "scheduled", Invitation.scheduled_for <= now)
    ).one()
    family = _gauge("vocservice_invitations_due", "Invitations scheduled for now or earlier, not yet sent")
    family.add_metric([], due)
    yield family
    family = _gauge(
        "vocservice_invitations_overdue",
        f"Due invitations still unsent {int(OVERDUE_AFTER.total_seconds())} seconds after their time",
    )
    family.add_metric([], overdue)
    yield family
    backlog = db.session.execute(
        select(func.count()).where(Answer.analysis_status == "pending", Answer.completed.is_(True))
    ).scalar_one()
    family = _gauge("vocservice_analysis_backlog", "Completed answers waiting for text analysis")
    family.add_metric([], backlog)
    yield family
    rows = dict(
        db.session.execute(
            select(Invitation.status, func.count())
            .where(Invitation.status.in_(("sending", "failed")), Invitation.channel == "webhook")
            .group_by(Invitation.status)
        ).all()
    )
    family = _gauge(
        "vocservice_webhook_deliveries",
        "Webhook-channel invitations being delivered (sending) or given up (failed)",
        ["state"],
    )
    for state in ("sending", "failed"):
        family.add_metric([state], rows.get(state, 0))
    yield family
    from surveys.webhook.models import WebhookDelivery

    rows = dict(
        db.session.execute(
            select(WebhookDelivery.status, func.count())
            .where(WebhookDelivery.status.in_(("pending", "failed")))
            .group_by(WebhookDelivery.status)
        ).all()
    )
    family = _gauge(
        "vocservice_webhook_outbox",
        "Outbound webhook deliveries waiting or retrying (pending) and given up (failed, kept for the log)",
        ["state"],
    )
    for state in ("pending", "failed"):
        family.add_metric([state], rows.get(state, 0))
    yield family


def _queue_families(now: datetime) -> Iterator[GaugeMetricFamily]:
    from vocservice.jobs import JOBS
    from vocservice.queue import redis_connection, rq_queue

    depth = _gauge("vocservice_queue_depth", "Jobs waiting on each RQ queue", ["queue"])
    oldest = _gauge(
        "vocservice_queue_oldest_job_age_seconds",
        "Age of the job at the head of each RQ queue (0 when empty)",
        ["queue"],
    )
    jobs = _gauge(
        "vocservice_queue_jobs",
        "Jobs in each RQ registry: started, deferred, scheduled; finished and failed while RQ "
        "keeps them (one hour and seven days)",
        ["queue", "state"],
    )
    up = _gauge("vocservice_redis_up", "1 when Redis answered this scrape")
    connection = redis_connection()
    epoch = now.timestamp()
    try:
        for name in sorted({spec.queue for _, spec in JOBS.values()}):
            queue = rq_queue(name)
            depth.add_metric([name], queue.count)
            age = 0.0
            head = queue.get_job_ids(0, 1)
            job = queue.fetch_job(head[0]) if head else None
            if job is not None and job.enqueued_at is not None:
                enqueued = job.enqueued_at
                if enqueued.tzinfo is None:
                    enqueued = enqueued.replace(tzinfo=UTC)
                age = max(0.0, (now - enqueued).total_seconds())
            oldest.add_metric([name], age)
            for state, registry_class in (
                ("started", StartedJobRegistry),
                ("deferred", DeferredJobRegistry),
                ("scheduled", ScheduledJobRegistry),
            ):
                registry = registry_class(queue=queue)
                jobs.add_metric([name, state], connection.zcard(registry.key))
            for state, registry_class in (("finished", FinishedJobRegistry), ("failed", FailedJobRegistry)):
                # Scores are expiry times (-1: kept for ever); expired entries are not counted.
                key = registry_class(queue=queue).key
                kept = connection.zcount(key, epoch, "+inf") + connection.zcount(key, -1, -1)
                jobs.add_metric([name, state], kept)
    except RedisError:
        up.add_metric([], 0)
        yield up
        return
    up.add_metric([], 1)
    yield from (up, depth, oldest, jobs)


class _Snapshot:
    """The scrape-time figures, as a collector for one scrape's registry."""

    def __init__(self, families: list[GaugeMetricFamily]) -> None:
        self.families = families

    def collect(self) -> Iterator[GaugeMetricFamily]:
        return iter(self.families)


@bp.get("/metrics")
def metrics():
    _authorised()
    now = utcnow().astimezone(UTC)
    families = list(_database_families(now))
    if current_app.config.get("REDIS_URL"):
        families.extend(_queue_families(now))
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        served = CollectorRegistry()
        multiprocess.MultiProcessCollector(served)
    else:
        served = REGISTRY
    snapshot = CollectorRegistry(auto_describe=False)
    snapshot.register(_Snapshot(families))
    body = generate_latest(served) + generate_latest(snapshot)
    return Response(body, headers={"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"})


def init_app(app: Flask) -> None:
    app.before_request_funcs.setdefault(None, []).insert(0, _start_timer)
    app.after_request(_count)
    app.register_blueprint(bp)
