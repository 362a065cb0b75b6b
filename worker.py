"""RQ worker entry point: build the app, warm expensive state once, then fork per job.

Usage: ``python worker.py [queue ...]`` (default queues: default, nlp). Needs REDIS_URL.
"""

import logging
import sys

from redis import Redis
from rq import Worker
from rq.serializers import JSONSerializer

from surveys.core.db import db
from vocservice import create_app, jobs

log = logging.getLogger("vocservice.worker")


def warm_up(app) -> None:
    """Load the NLP models, job modules and analysers before forking so work horses share them.

    RQ forks a fresh work horse per job: whatever the parent has not loaded, each job would load
    again (the spaCy model alone takes seconds, a workspace's analyser tens of milliseconds, and
    spaCy's vocabulary grows on unseen words). ``gc.freeze`` keeps the collector in the children
    from touching, and so copying, the parent's long-lived objects.
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


def main(argv: list[str]) -> None:
    app = create_app()
    url = app.config.get("REDIS_URL")
    if not url:
        sys.exit("worker.py needs REDIS_URL; without it jobs run inside the web process.")
    jobs.set_app(app)
    queues = argv or ["default", "nlp"]
    if "nlp" in queues:  # a delivery-only worker does not need the language models
        warm_up(app)
    with app.app_context():
        db.engine.dispose()  # no connection may cross the fork
    log.info("worker listening on %s", ", ".join(queues))
    Worker(queues, connection=Redis.from_url(url), serializer=JSONSerializer).work(with_scheduler=True)


if __name__ == "__main__":
    main(sys.argv[1:])
