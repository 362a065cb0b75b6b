"""RQ worker entry point: build the app, warm expensive state once, then run jobs.

Usage: ``python worker.py [queue ...]`` (default queues: default, nlp). Needs REDIS_URL.

A worker serving the ``nlp`` queue runs its jobs in its own process (RQ's ``SimpleWorker``): the
spaCy model, the workspaces' analysers and the database connections stay loaded from one job to
the next, where a fork per job would cost tens of milliseconds and a fresh connection each time.
What a fork protected against is kept by the database instead: a job claims its answers with an
attempt count and a short lease before analysing them, so if a comment kills the worker, the
process manager restarts it, the lease passes, and the answers are taken up again (one at a time,
until the culprit has used up its attempts). A watcher thread notices passed leases and asks for
a job. ``VOC_WORKER_FORK=1`` (or a delivery-only worker, ``python worker.py default``) keeps RQ's
forking worker.
"""

import logging
import os
import sys
import threading

from redis import Redis
from rq import SimpleWorker, Worker
from rq.serializers import JSONSerializer

from surveys.core.db import db
from vocservice import create_app, jobs

log = logging.getLogger("vocservice.worker")

# How often the watcher looks for answers whose lease has passed (their worker died).
WATCH_INTERVAL = 10.0


def warm_up(app) -> None:
    """Load the NLP models, job modules and analysers before the first job.

    The spaCy model alone takes seconds to load, a workspace's analyser tens of milliseconds, and
    spaCy's vocabulary grows on unseen words. With a forking worker the work horses inherit all of
    it; ``gc.freeze`` keeps the collector in the children from touching, and so copying, the
    parent's long-lived objects.
    """
    import gc

    import nlp.pipeline
    from surveys.analysis import service as analysis

    nlp.pipeline.warm_up()
    with app.app_context():
        try:
            warmed = analysis.warm_up(db.session)
        except Exception:  # noqa: BLE001 - a cold cache is slower, never wrong
            log.exception("analyser warm-up from the database failed; continuing cold")
            warmed = 0
        finally:
            db.session.remove()
    log.info(
        "NLP models loaded (%s), %d recent comments pre-analysed",
        nlp.pipeline.get_nlp().meta.get("name"),
        warmed,
    )
    gc.freeze()


def watch_leases(app, stop: threading.Event, interval: float = WATCH_INTERVAL) -> None:
    """Ask for an analysis job whenever a pending answer's lease has passed: the work of a
    worker that died (this one before its restart, or another), or a retry that is due."""
    from surveys.analysis import service as analysis
    from surveys.core import jobs as port

    while not stop.wait(interval):
        try:
            with app.app_context():
                try:
                    if analysis.abandoned(db.session):
                        log.info("analysis leases passed; asking for a job")
                        port.defer(db.session, port.ANALYZE_PENDING)
                        db.session.commit()  # sent by the queue's after-commit hook
                finally:
                    db.session.remove()
        except Exception:  # noqa: BLE001 - the tick is the backstop; keep watching
            log.exception("lease watcher failed; retrying in %.0fs", interval)


def main(argv: list[str]) -> None:
    app = create_app()
    url = app.config.get("REDIS_URL")
    if not url:
        sys.exit("worker.py needs REDIS_URL; without it jobs run inside the web process.")
    jobs.set_app(app)
    queues = argv or ["default", "nlp"]
    analyses = "nlp" in queues
    fork = not analyses or os.environ.get("VOC_WORKER_FORK") == "1"
    worker_class = Worker if fork else SimpleWorker
    worker = worker_class(queues, connection=Redis.from_url(url), serializer=JSONSerializer)
    if analyses:
        # RQ forks its scheduler (due retries) from the worker. Forked now, before the models
        # load, it is a small copy; forked from the loaded worker, as work(with_scheduler=True)
        # does, it costs tens of milliseconds and makes the first job copy thousands of pages
        # the two processes shared. RQ takes the lock over later if another scheduler dies.
        worker._start_scheduler()
        try:
            warm_up(app)  # a delivery-only worker does not need the language models
        except BaseException:
            worker.stop_scheduler()  # else exiting waits for the scheduler process for ever
            raise
    if fork:
        with app.app_context():
            db.engine.dispose()  # no connection may cross a fork
    # Else the warm-up's connection stays pooled for the first job: the scheduler was forked
    # before any connection was opened, and should RQ fork another one later (taking over from
    # a dead scheduler), that child never touches the database and ends without cleanup.
    stop = threading.Event()
    if not fork:  # (a thread beside fork() risks a lock copied held; there, the tick does it)
        # The first look comes one interval after start: by then this worker listens, and the
        # leases of a worker that died just before are closer to passing.
        threading.Thread(target=watch_leases, args=(app, stop), name="lease-watcher", daemon=True).start()
    log.info("worker (%s) listening on %s", worker_class.__name__, ", ".join(queues))
    try:
        worker.work(with_scheduler=not analyses)
    finally:
        stop.set()


if __name__ == "__main__":
    main(sys.argv[1:])
