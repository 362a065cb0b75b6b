"""`make run`'s embedded mode under write load: SQLite, jobs in a thread of the web process.

The in-process analysis thread writes while API clients post batches of answers; every request
must get its 2xx, never ``500 database is locked``.
"""

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

VOCSERVICE = str(Path(sys.executable).parent / "vocservice")


def _embedded_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["SECRET_KEY"] = "embedded-test"
    return env


def _call(method: str, url: str, key: str, body: dict | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Authorization", f"Bearer {key}")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=120) as reply:
            return reply.status, json.loads(reply.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def test_embedded_demo_takes_concurrent_batches_while_analysis_writes(tmp_path):
    env = _embedded_env()
    subprocess.run(
        [VOCSERVICE, "db", "upgrade"], cwd=tmp_path, env=env, check=True, capture_output=True, timeout=300
    )
    seeded = subprocess.run(
        [VOCSERVICE, "demo", "--responses", "20"],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    ).stdout
    key = re.search(r"Demo API key:\s+(\S+)", seeded).group(1)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log_file = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [VOCSERVICE, "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log_file,
    )
    base = f"http://127.0.0.1:{port}"
    statuses: list[int] = []
    try:
        for _ in range(150):  # bounded wait for the server to listen
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        status, surveys = _call("GET", f"{base}/api/v1/surveys", key)
        assert status == 200
        survey = next(s for s in surveys["items"] if s["kind"] == "nps")

        def post_batches(thread: int) -> None:
            for batch in range(3):
                body = {
                    "responses": [
                        {
                            "survey_id": survey["id"],
                            "score": (thread + batch + i) % 11,
                            "comment": "The onboarding was slow and support never answered my ticket, "
                            "but the reporting dashboards are great value for the price.",
                            "contact": {"external_id": f"load-{thread}-{batch}-{i}"},
                        }
                        for i in range(25)
                    ]
                }
                status, reply = _call("POST", f"{base}/api/v1/responses/batch", key, body)
                statuses.append(status)
                if status == 200:
                    assert reply["accepted"] == 25, reply

        threads = [threading.Thread(target=post_batches, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=600)
        # The analysis thread was writing all along (it works through the new answers).
        analysed = 0
        for _ in range(300):  # bounded wait for the analysis thread's first stored results
            status, page = _call("GET", f"{base}/api/v1/responses?limit=500", key)
            assert status == 200
            analysed = sum(
                1
                for r in page["items"]
                if r["contact"]["external_id"].startswith("load-") and r["analysis"]["status"] == "done"
            )
            if analysed:
                break
            time.sleep(0.5)
    finally:
        server.terminate()
        server.wait(timeout=10)
        log_file.close()
    errors = (tmp_path / "serve.log").read_text()
    assert statuses == [200] * 12, errors[-3000:]
    assert analysed > 0
    assert "database is locked" not in errors and "OperationalError" not in errors
