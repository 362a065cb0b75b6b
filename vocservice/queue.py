"""Queue transport: jobs the domain deferred are put on RQ once their transaction commits.

The domain names work through the job port (:mod:`surveys.core.jobs`); :func:`install` hooks this
module onto the app's session so that, after a commit, every deferred job goes to its RQ queue
(or, without REDIS_URL, to an in-process thread), and a rollback drops them. If Redis is down the
job is simply not enqueued: the database row still says the work is due and the periodic sweeper
(``vocservice tick``) enqueues it again, so nothing is lost.
"""

import logging
from concurrent.futures import ThreadPoolExecutor

from flask import Flask, current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.serializers import JSONSerializer
from sqlalchemy import event
from sqlalchemy.orm import Session, scoped_session

from surveys.core import jobs as port
from vocservice.jobs import JOBS, queued_key, run_job
from vocservice.logs import current_request_id, request_context

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


# How long "a coalesced job is queued" holds without the job starting (a lost job, a full queue):
# after that, asking again enqueues another.
COALESCE_TTL = 30


def _enqueue_deferred(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT released: the work waits for the transaction's own commit
    for name, args in port.take_deferred(session):
        enqueue_now(name, *args)


def _drop_deferred(session: Session) -> None:
    if session.in_nested_transaction():
        # A SAVEPOINT rolled back: the work deferred before it still commits. What was deferred
        # inside it names rows that will not exist, and jobs skip missing rows.
        return
    port.drop_deferred(session)


def install(session: scoped_session) -> None:
    """Send what the domain deferred on ``session`` after each commit; drop it on rollback."""
    for name, listener in (("after_commit", _enqueue_deferred), ("after_rollback", _drop_deferred)):
        if not event.contains(session, name, listener):
            event.listen(session, name, listener)


def enqueue_now(name: str, *args) -> bool:
    """Put job ``name`` on its queue now. Returns False (and logs) when the transport is down."""
    func, spec = JOBS[name]
    app = current_app._get_current_object()
    if not app.config.get("REDIS_URL"):
        try:
            _in_process().submit(_run_in_app, app, name, args, current_request_id())
        except RuntimeError:
            # The process is exiting (a CLI command such as `vocservice demo` ending while an
            # in-process job still runs): the work stays marked in the database, and the next
            # process's sweeper picks it up. Nothing to report.
            log.info("%s left for the next process: this one is shutting down", name)
            return False
        return True
    try:
        if spec.coalesce and not redis_connection().set(queued_key(name), "1", nx=True, ex=COALESCE_TTL):
            return True  # one is queued already and will find this work too
        rq_queue(spec.queue).enqueue(
            func,
            *args,
            job_timeout=spec.timeout,
            result_ttl=3600,
            failure_ttl=7 * 86400,
            retry=spec.retry(),
            # The worker logs the job's lines with the id of the request that caused it.
            meta={"request_id": rid} if (rid := current_request_id()) else None,
        )
        return True
    except RedisError as exc:
        log.warning("redis unavailable, %s%r left for the sweeper: %s", name, args, exc)
        return False


def _in_process() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        # One thread: the embedded SQLite database takes one writer at a time anyway.
        _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="voc-job")
    return _executor


def _run_in_app(app: Flask, name: str, args: tuple, request_id: str | None = None) -> None:
    with request_context(request_id):
        try:
            run_job(app, name, args)
        except Exception:
            log.exception("in-process job %s%r failed", name, args)
