"""gunicorn settings the Procfile loads (``-c python:vocservice.gunicorn_config``).

Prometheus multi-process mode: each worker writes its request metrics to files in one directory
and ``GET /metrics``, whichever worker answers, adds them all up. The directory must be empty when
gunicorn starts (stale files would count old runs), so the master takes a fresh one unless the
operator names one in ``PROMETHEUS_MULTIPROC_DIR``, which is then emptied. Workers are forked
after this runs and inherit the variable before they import prometheus_client.
"""

import os
import tempfile
from pathlib import Path


def on_starting(server) -> None:
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "").strip()
    if not path:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="vocservice-metrics-")
        return
    directory = Path(path)
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()


def child_exit(server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
