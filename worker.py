"""RQ worker entry point: build the app, warm expensive state once, then fork per job.

Usage: ``python worker.py [queue ...]`` (default queues: default, nlp). Needs REDIS_URL.
"""

import logging
import sys

from redis import Redis
from rq import Worker
from rq.serializers import JSONSerializer

from surveys.base import db
from vocservice import create_app, jobs

log = logging.getLogger("vocservice.worker")


def warm_up() -> None:
    """Load the NLP models before forking so every work horse shares them."""
    try:
        import nlp.pipeline
    except ImportError:
        return
    nlp.pipeline.warm_up()


def main(argv: list[str]) -> None:
    app = create_app()
    url = app.config.get("REDIS_URL")
    if not url:
        sys.exit("worker.py needs REDIS_URL; without it jobs run inside the web process.")
    jobs.set_app(app)
    with app.app_context():
        db.engine.dispose()  # no connection may cross the fork
    warm_up()
    queues = argv or ["default", "nlp"]
    log.info("worker listening on %s", ", ".join(queues))
    Worker(queues, connection=Redis.from_url(url), serializer=JSONSerializer).work(
        with_scheduler=True
    )


if __name__ == "__main__":
    main(sys.argv[1:])
