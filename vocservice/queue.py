"""Queue wiring: jobs are enqueued only after the transaction that made their rows commits.

Code asks for a job with :func:`defer`; the job is put on RQ (or, without REDIS_URL, on an
in-process thread) from SQLAlchemy's ``after_commit`` hook, and dropped on rollback. If Redis is
down the job is simply not enqueued: the database row still says the work is due and the
periodic sweeper (``vocservice tick``) enqueues it again, so nothing is lost.

Text analysis needs no call at all: a flush listener notices completed responses that are
pending analysis (new ones, ones just completed, or ones whose comment changed) on whatever path
stored them, and one batched ``analyze_responses`` job per transaction is enqueued at commit.
"""

import logging
from concurrent.futures import ThreadPoolExecutor

from flask import Flask, current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.serializers import JSONSerializer
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from surveys.base import new_id, utcnow

log = logging.getLogger(__name__)

_executor: ThreadPoolExecutor | None = None
_connections: dict[str, Redis] = {}


def redis_connection(url: str | None = None) -> Redis:
    url = url or current_app.config["REDIS_URL"]
    if url not in _connections:
        _connections[url] = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    return _connections[url]


def rq_queue(name: str, url: str | None = None) -> Queue:
    return Queue(name, connection=redis_connection(url), serializer=JSONSerializer)


def defer(session: Session, func_path: str, *args) -> None:
    """Enqueue ``func_path(*args)`` once ``session`` commits; forget it if it rolls back."""
    session.info.setdefault("deferred_jobs", []).append((func_path, args))


ANALYSIS_JOB = "vocservice.jobs.analyze_responses"
ANALYSIS_BATCH = 200


def _needs_analysis(obj, is_new: bool) -> bool:
    if obj.completed is False:  # a partial widget answer: analysed once it is complete
        return False
    if is_new:  # ``completed`` defaults to true
        return (obj.analysis_status or "pending") == "pending"
    state = inspect(obj)
    if state.attrs.completed.history.added == [True]:
        return True
    return bool(obj.completed) and state.attrs.comment.history.has_changes()


@event.listens_for(Session, "before_flush")
def _analyse_stored_responses(session: Session, flush_context, instances) -> None:
    from surveys.models import Response

    now = None
    for obj in (*session.new, *session.dirty):
        if not isinstance(obj, Response) or not _needs_analysis(obj, obj in session.new):
            continue
        now = now or utcnow()
        if obj.id is None:
            obj.id = new_id("rsp")  # the id column's own default, needed now for the job
        obj.analysis_status = "pending"
        obj.analysis_attempts = 0
        obj.analysis_error = None
        obj.analysis_enqueued_at = now  # the sweeper leaves it alone while the job is queued
        session.info.setdefault("analysis_ids", []).append(obj.id)


@event.listens_for(Session, "after_commit")
def _enqueue_deferred(session: Session) -> None:
    jobs = session.info.pop("deferred_jobs", None)
    for func_path, args in jobs or ():
        enqueue_now(func_path, *args)
    ids = list(dict.fromkeys(session.info.pop("analysis_ids", None) or ()))
    for start in range(0, len(ids), ANALYSIS_BATCH):
        enqueue_now(ANALYSIS_JOB, ids[start:start + ANALYSIS_BATCH])


@event.listens_for(Session, "after_rollback")
def _drop_deferred(session: Session) -> None:
    session.info.pop("deferred_jobs", None)
    session.info.pop("analysis_ids", None)


def enqueue_now(func_path: str, *args) -> bool:
    """Put a job on its queue now. Returns False (and logs) when the transport is down."""
    from vocservice.jobs import JOBS

    spec = JOBS[func_path]
    app = current_app._get_current_object()
    if not app.config.get("REDIS_URL"):
        _in_process(app).submit(_run_in_app, app, func_path, args)
        return True
    try:
        rq_queue(spec.queue).enqueue(
            func_path, *args, job_timeout=spec.timeout, result_ttl=3600, failure_ttl=7 * 86400,
            retry=spec.retry(),
        )
        return True
    except RedisError as exc:
        log.warning("redis unavailable, %s%r left for the sweeper: %s", func_path, args, exc)
        return False


def _in_process(app: Flask) -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        # One thread: the embedded SQLite database takes one writer at a time anyway.
        _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="voc-job")
    return _executor


def _run_in_app(app: Flask, func_path: str, args: tuple) -> None:
    from vocservice.jobs import run_job

    try:
        run_job(app, func_path, args)
    except Exception:
        log.exception("in-process job %s%r failed", func_path, args)


def init_app(app: Flask) -> None:
    app.extensions["voc_queue"] = True
