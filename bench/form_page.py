"""The hosted survey form ``GET /s/{token}``: server time and page weight, beside a bare page.

What it measures: a real invitation is made by posting an event that matches a ``link``
touchpoint (its answer's ``invitations[0].url`` holds the link). Then
1. server time: N GETs of that link through Flask's test client in this process (no network,
   no gunicorn; the test client's own small overhead is on both sides), for the service and for
   the baseline, a bare Flask app that renders a cached Jinja string template of about the same
   size as our page (``bench/baseline_app.py``; a survey-like form padded with text);
2. page weight: bytes of the HTML, its gzip size (level 6), and the same with every same-origin
   stylesheet, script and image the page links (what a phone must fetch before it can answer);
3. over gunicorn (``--workers 2 --threads 4``, same settings for both): latency of sequential
   GETs from one keep-alive client, and throughput with 8 keep-alive clients in alternating rounds.

How to read it: ratios are ours / bare. Latency ratios above 1 mean slower than the bare page.
Targets: server time p95 < 10 ms; page (HTML + linked assets) < 30 KB (30,000 bytes,
uncompressed). A GET never records anything, so the same link can be fetched any number of times.

Run: ``.venv/bin/python bench/form_page.py [--quick]`` (about 40 s; ``--quick`` about 20 s).
Results also go to ``bench/results/form_page.json``.
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    ROOT,
    THREADS,
    WORKERS,
    RequestSpec,
    Row,
    Sample,
    Server,
    client_name,
    create_survey_and_touchpoint,
    fresh_service,
    interleaved,
    merge,
    python_round,
    report,
    service_env,
)

ASSET = re.compile(
    r"""<(?:link[^>]+rel=["']?stylesheet["']?[^>]*href|script[^>]+src|img[^>]+src)"""
    r"""=["']?([^"' >]+)""",
    re.IGNORECASE,
)


def make_invitation(svc: Server, api_key: str) -> str:
    status, answer = svc.request(
        "POST",
        "/api/v1/events",
        {
            "id": f"form-{time.time_ns()}",
            "name": "order.delivered",
            "contact": {
                "external_id": "c-form",
                "email": "form@example.com",
                "attributes": {"plan": "pro", "arr": 1200},
            },
            "properties": {"order_id": "o-form"},
        },
        {"Authorization": f"Bearer {api_key}"},
    )
    if status != 202 or not answer.get("invitations") or not answer["invitations"][0].get("url"):
        raise SystemExit(f"event for the form -> {status}: {answer}")
    return urlsplit(answer["invitations"][0]["url"]).path


def in_process(client, path: str, n: int) -> Sample:
    latencies = []
    for _ in range(max(20, n // 10)):  # warm-up: template compile, caches, connection pool
        client.get(path)
    started = time.perf_counter()
    for _ in range(n):
        t0 = time.perf_counter()
        response = client.get(path)
        response.get_data()
        latencies.append((time.perf_counter() - t0) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"in-process GET {path} -> {response.status_code}")
    return Sample(n, time.perf_counter() - started, latencies, max_ms=max(latencies))


def asset_bytes(svc: Server, html: str) -> tuple[int, int, list[str]]:
    total = gz = 0
    found = []
    for ref in dict.fromkeys(ASSET.findall(html)):
        parts = urlsplit(ref)
        if parts.netloc and parts.netloc != f"{svc.host}:{svc.port}":
            found.append(f"{ref} (other origin, not counted)")
            continue
        status, body = svc.request_raw("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
        if status == 200:
            total += len(body)
            gz += len(gzip.compress(body, 6))
            found.append(f"{parts.path} {len(body)} B")
        else:
            found.append(f"{parts.path} -> {status}")
    return total, gz, found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    n_inproc = 300 if args.quick else 1000
    n_seq = 200 if args.quick else 600
    seconds, rounds = (6.0, 2) if args.quick else (12.0, 4)

    ws = fresh_service()
    with Server("service_form", "wsgi:app") as svc:
        create_survey_and_touchpoint(svc, ws.api_key)
        path = make_invitation(svc, ws.api_key)
        status, html_bytes = svc.request_raw("GET", path)
        if status != 200:
            print(
                f"\n== GET /s/{{token}}: the hosted form answered {status} for a valid token "
                f"({path}); is vocservice/forms.py in place? Nothing measured."
            )
            return 2
        html = html_bytes.decode("utf-8", errors="replace")
        page = len(html_bytes)
        page_gz = len(gzip.compress(html_bytes, 6))
        assets, assets_gz, asset_list = asset_bytes(svc, html)

        # Server time, in process. Same database, same environment as the gunicorn service.
        os.environ.update(service_env())
        os.chdir(ROOT)
        from baseline_app import make_app

        from vocservice import create_app

        ours_app = create_app()
        bare_app = make_app(page)
        bare_html = bare_app.test_client().get(path).get_data()
        ours_inproc = merge("vocservice", 1, [in_process(ours_app.test_client(), path, n_inproc)])
        bare_inproc = merge("bare Flask", 1, [in_process(bare_app.test_client(), path, n_inproc)])

        env = service_env(BENCH_PAGE_BYTES=str(page))
        with Server(
            "baseline_form", "baseline_app:app", extra_args=["--pythonpath", "bench"], env=env
        ) as bare:
            seq = {}
            for label, server in (("bare Flask", bare), ("vocservice", svc)):
                python_round(
                    server.host, server.port, lambda n: ("GET", path, None, {}), clients=1, total=50
                )  # warm-up
                seq[label] = merge(
                    label,
                    1,
                    [
                        python_round(
                            server.host,
                            server.port,
                            lambda n: ("GET", path, None, {}),
                            clients=1,
                            total=n_seq,
                        )
                    ],
                )
            spec = lambda prefix: RequestSpec("GET", path, prefix=prefix)  # noqa: E731
            loaded = interleaved(
                [("bare Flask", bare, spec), ("vocservice", svc, spec)],
                clients=8,
                seconds=seconds,
                rounds=rounds,
                warmup=2.0,
            )

    for result in (*seq.values(), *loaded.values()):
        bad = {s: n for s, n in result.statuses.items() if s not in ("200", "<400")}
        if bad or result.errors:
            raise SystemExit(f"{result.label}: unexpected answers {bad} ({result.first_error})")

    bare_gz = len(gzip.compress(bare_html, 6))
    b_seq, o_seq = seq["bare Flask"], seq["vocservice"]
    b_load, o_load = loaded["bare Flask"], loaded["vocservice"]
    rows = [
        Row("server time p50, in process", ours_inproc.p50_ms, bare_inproc.p50_ms, "ms", False, None, 2),
        Row("server time p95, in process", ours_inproc.p95_ms, bare_inproc.p95_ms, "ms", False, "< 10", 2),
        Row("server time p99, in process", ours_inproc.p99_ms, bare_inproc.p99_ms, "ms", False, None, 2),
        Row("HTML bytes", page, len(bare_html), "B", False, None, 0),
        Row("HTML bytes gzip", page_gz, bare_gz, "B", False, None, 0),
        Row("HTML + linked assets", page + assets, len(bare_html), "B", False, "< 30000", 0),
        Row("HTML + linked assets gzip", page_gz + assets_gz, bare_gz, "B", False, None, 0),
        Row("gunicorn 1 client p50", o_seq.p50_ms, b_seq.p50_ms, "ms", False, None, 2),
        Row("gunicorn 1 client p99", o_seq.p99_ms, b_seq.p99_ms, "ms", False, None, 2),
        Row("gunicorn 8 clients throughput", o_load.throughput, b_load.throughput, "req/s", True, None, 0),
        Row("gunicorn 8 clients p50", o_load.p50_ms, b_load.p50_ms, "ms", False, None, 2),
        Row("gunicorn 8 clients p99", o_load.p99_ms, b_load.p99_ms, "ms", False, None, 2),
    ]
    report(
        "form_page",
        f"GET /s/{{token}} hosted form: {n_inproc} in-process GETs, {n_seq} sequential GETs and "
        f"{seconds:g} s x 8 clients over gunicorn {WORKERS}x{THREADS}",
        rows,
        notes=[
            "baseline: bench/baseline_app.py, a bare Flask page (cached Jinja string template) "
            f"padded to about our HTML size; 8-client load with {client_name()}",
            "linked same-origin assets: " + (", ".join(asset_list) or "none"),
            "server time = Flask test client in this process (no network, no gunicorn)",
        ],
        extra={
            "path": path,
            "in_process": {"ours": ours_inproc.__dict__, "baseline": bare_inproc.__dict__},
            "sequential": {k: v.__dict__ for k, v in seq.items()},
            "loaded": {k: v.__dict__ for k, v in loaded.items()},
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
