"""Shared helpers for the HTTP benchmarks in ``bench/`` (not a benchmark itself).

- a throwaway PostgreSQL database (``vocservice_bench``, dropped and re-created each run) whose
  schema is built by ``vocservice db upgrade``, and a workspace made by ``vocservice workspace
  create`` (its admin API key is what the benchmarks send);
- :class:`Server`: gunicorn as a subprocess on a free loopback port, with the SAME settings for
  the service and for its bare-Flask baseline (``--workers 2 --threads 4``), waited for until it
  answers and stopped afterwards; its log goes to ``bench/results/logs/``;
- closed-loop load: N keep-alive clients each send a request, wait for the whole answer, send
  the next, for T seconds (:func:`interleaved`, rounds alternating between the service and its
  baseline) or a fixed number of requests (:func:`python_round`). The client is ``wrk`` when it
  is installed (Debian package ``wrk``; ``BENCH_CLIENT=python`` forces the fallback), else Python
  threads with ``http.client``. It returns throughput and p50/p95/p99 latency, measured at the
  client, so latency includes loopback networking;
- :func:`report`: prints OUR figure beside the BASELINE measured in the same run and the ratio as
  an aligned table, and writes the same as JSON to ``bench/results/<name>.json`` (gitignored).

Environment overrides: ``BENCH_DATABASE_URL`` (default
``postgresql://postgres@127.0.0.1:5432/vocservice_bench``; the database named there is DROPPED),
``BENCH_REDIS_URL`` (default ``redis://127.0.0.1:6379/13``; flushed), ``BENCH_WORKERS`` and
``BENCH_THREADS`` (gunicorn, default 2 and 4).

The load generator shares the machine's cores with the server under test. That costs the fast
baseline more than the service, so ratios against the bare baseline are, if anything, flattering
to the service at high rates; both sides always run with the same client, settings and machine.
"""

from __future__ import annotations

import http.client
import itertools
import json
import math
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg import sql

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
LOG_DIR = RESULTS_DIR / "logs"
VENV_BIN = ROOT / ".venv" / "bin"

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/vocservice_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
THREADS = int(os.environ.get("BENCH_THREADS", "4"))

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


# --------------------------------------------------------------------------------------------
# Database, CLI, workspace


def service_env(**extra: str) -> dict[str, str]:
    """The environment the service runs with in every benchmark (CLI, gunicorn, in-process)."""
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": DATABASE_URL,
            "REDIS_URL": REDIS_URL,
            "SECRET_KEY": "bench-secret-not-for-production",
            "PUBLIC_BASE_URL": "http://127.0.0.1:5000",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.pop("SMTP_URL", None)
    env.update(extra)
    return env


def _db_name(url: str) -> str:
    return url.rsplit("/", 1)[1].split("?", 1)[0]


def admin_url(url: str = DATABASE_URL) -> str:
    return url.rsplit("/", 1)[0] + "/postgres"


def plain_url(url: str = DATABASE_URL) -> str:
    """The libpq URL psycopg connects with (no SQLAlchemy driver suffix)."""
    return url.replace("postgresql+psycopg://", "postgresql://")


def recreate_database(url: str = DATABASE_URL) -> None:
    name = _db_name(url)
    if not name.startswith("vocservice_bench"):
        raise SystemExit(f"refusing to drop {name!r}: the bench database must be vocservice_bench*")
    with psycopg.connect(admin_url(plain_url(url)), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def flush_redis(url: str = REDIS_URL) -> None:
    from redis import Redis

    Redis.from_url(url, socket_connect_timeout=2).flushdb()


def vocservice_cli(*args: str, timeout: float = 120) -> str:
    """Run the ``vocservice`` console script (or, if the package is not installed as a script,
    the same click group through the venv's Python) and return its stdout."""
    script = VENV_BIN / "vocservice"
    if script.exists():
        command = [str(script), *args]
    else:
        command = [sys.executable, "-c", "from vocservice.cli import main; main()", *args]
    done = subprocess.run(
        command, cwd=ROOT, env=service_env(), capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise SystemExit(
            f"`vocservice {' '.join(args)}` failed ({done.returncode}):\n"
            f"{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
        )
    return done.stdout


@dataclass
class Workspace:
    slug: str
    api_key: str
    webhook_secret: str


def fresh_service() -> Workspace:
    """Drop/create the bench database, migrate it, flush the bench Redis db, create a workspace."""
    recreate_database()
    flush_redis()
    vocservice_cli("db", "upgrade")
    out = vocservice_cli("workspace", "create", "Bench")
    data = json.loads(out.strip().splitlines()[-1])
    return Workspace(data["workspace"], data["api_key"], data["webhook_secret"])


# --------------------------------------------------------------------------------------------
# gunicorn


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """``gunicorn --workers W --threads T -b 127.0.0.1:PORT APP`` from the repo root, as a context
    manager: started, waited for (``GET ready_path`` answers), stopped (SIGTERM, then SIGKILL)."""

    def __init__(
        self,
        name: str,
        app: str,
        *,
        extra_args: Iterable[str] = (),
        env: dict[str, str] | None = None,
        ready_path: str = "/healthz",
        workers: int = WORKERS,
        threads: int = THREADS,
    ) -> None:
        self.name, self.app, self.ready_path = name, app, ready_path
        self.port = free_port()
        self.host = "127.0.0.1"
        self.base_url = f"http://{self.host}:{self.port}"
        self.command = [
            str(VENV_BIN / "gunicorn"),
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "-b",
            f"{self.host}:{self.port}",
            *extra_args,
            app,
        ]
        self.env = env or service_env()
        self.proc: subprocess.Popen | None = None
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        self.log_path = LOG_DIR / f"{name}.log"

    def __enter__(self) -> Server:
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            self.command,
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self._log.close()
                tail = self.log_path.read_text(errors="replace")[-4000:]
                raise SystemExit(f"gunicorn {self.app} exited with {self.proc.returncode}:\n{tail}")
            try:
                conn = http.client.HTTPConnection(self.host, self.port, timeout=2)
                conn.request("GET", self.ready_path)
                status = conn.getresponse().status
                conn.close()
                if status < 500:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.__exit__(None, None, None)
        raise SystemExit(f"gunicorn {self.app} did not answer within 60 s; see {self.log_path}")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # the gunicorn master stops its workers
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        if not self._log.closed:
            self._log.close()

    def request_raw(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        """One request on a new connection; the status and the raw answer."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
        try:
            conn.request(method, path, body, headers or {})
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def request(
        self, method: str, path: str, body: object | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict | str]:
        """One request (new connection), JSON in and, when it is JSON, out."""
        payload = None if body is None else json.dumps(body).encode()
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        status, raw = self.request_raw(method, path, payload, hdrs)
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw.decode(errors="replace")


def create_survey_and_touchpoint(server: Server, api_key: str, *, channel: str = "link") -> tuple[str, str]:
    """An NPS survey and a touchpoint on ``order.delivered``, made through the API."""
    auth = {"Authorization": f"Bearer {api_key}"}
    status, survey = server.request(
        "POST",
        "/api/v1/surveys",
        {
            "name": "Bench NPS",
            "kind": "nps",
            "question": "How likely are you to recommend Bench to a friend?",
        },
        auth,
    )
    if status != 201:
        raise SystemExit(f"POST /api/v1/surveys -> {status}: {survey}")
    status, touchpoint = server.request(
        "POST",
        "/api/v1/touchpoints",
        {
            "name": "After delivery",
            "event": "order.delivered",
            "survey_id": survey["id"],
            "channel": channel,
        },
        auth,
    )
    if status != 201:
        raise SystemExit(f"POST /api/v1/touchpoints -> {status}: {touchpoint}")
    return survey["id"], touchpoint["id"]


# --------------------------------------------------------------------------------------------
# Load generation


@dataclass
class LoadResult:
    label: str
    clients: int
    requests: int
    seconds: float
    throughput: float  # requests per second
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    rounds: int = 1
    statuses: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    first_error: str | None = None


@dataclass
class Sample:
    """One round of load: raw latencies (ms) or, from wrk, 1,000 quantiles with a weight each."""

    requests: int
    seconds: float
    latencies_ms: list[float]
    weight: float = 1.0
    max_ms: float = 0.0
    statuses: Counter = field(default_factory=Counter)
    errors: int = 0
    first_error: str | None = None


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list (q in 0..100)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), math.ceil(q / 100 * len(sorted_values))))
    return sorted_values[rank - 1]


def merge(label: str, clients: int, samples: list[Sample]) -> LoadResult:
    """Pool rounds: throughput = all requests / all measured seconds, percentiles over all."""
    pooled: list[float] = []
    for s in samples:
        copies = max(1, round(s.weight))
        for value in s.latencies_ms:
            pooled.extend([value] * copies)
    pooled.sort()
    requests = sum(s.requests for s in samples)
    seconds = sum(s.seconds for s in samples)
    statuses: Counter = Counter()
    for s in samples:
        statuses.update(s.statuses)
    errors = [s.first_error for s in samples if s.first_error]
    return LoadResult(
        label=label,
        clients=clients,
        requests=requests,
        seconds=seconds,
        throughput=requests / seconds if seconds else float("nan"),
        p50_ms=percentile(pooled, 50),
        p95_ms=percentile(pooled, 95),
        p99_ms=percentile(pooled, 99),
        max_ms=max([s.max_ms for s in samples] + pooled[-1:]) if pooled else float("nan"),
        mean_ms=sum(pooled) / len(pooled) if pooled else float("nan"),
        rounds=len(samples),
        statuses={str(k): v for k, v in sorted(statuses.items(), key=lambda kv: str(kv[0]))},
        errors=sum(s.errors for s in samples),
        first_error=errors[0] if errors else None,
    )


RequestFactory = Callable[[int], tuple[str, str, bytes | None, dict[str, str]]]


@dataclass
class RequestSpec:
    """One kind of request. ``@N@`` in ``path`` or ``body`` becomes a value unique to each
    request (``<prefix>-<n>``, or ``<prefix>t<thread>-<n>`` under wrk)."""

    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    prefix: str = "r"

    def factory(self) -> RequestFactory:
        path, body, headers = self.path, self.body, self.headers

        def make(n: int):
            unique = f"{self.prefix}-{n}"
            data = None if body is None else body.replace("@N@", unique).encode()
            return self.method, path.replace("@N@", unique), data, headers

        return make


def python_round(
    host: str,
    port: int,
    make_request: RequestFactory,
    *,
    clients: int = 8,
    seconds: float | None = None,
    total: int | None = None,
    timeout: float = 30.0,
) -> Sample:
    """Closed loop with ``clients`` Python threads, one keep-alive ``http.client`` connection
    each: send, read the whole answer, send the next; for ``seconds`` or ``total`` requests.
    Latency runs from just before sending to the end of reading the answer."""
    if (seconds is None) == (total is None):
        raise ValueError("give seconds or total")
    counter = itertools.count()
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: Counter = Counter()
    errors = [0]
    first_error: list[str | None] = [None]
    start_gate = threading.Event()
    deadline = [0.0]

    def worker() -> None:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
        mine: list[float] = []
        codes: Counter = Counter()
        start_gate.wait()
        while True:
            n = next(counter)
            if total is not None and n >= total:
                break
            if seconds is not None and time.perf_counter() >= deadline[0]:
                break
            method, path, body, headers = make_request(n)
            t0 = time.perf_counter()
            try:
                conn.request(method, path, body, headers)
                resp = conn.getresponse()
                resp.read()
                mine.append((time.perf_counter() - t0) * 1000)
                codes[resp.status] += 1
                if resp.will_close:
                    conn.close()
                    conn = http.client.HTTPConnection(host, port, timeout=timeout)
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=timeout)
                with lock:
                    errors[0] += 1
                    first_error[0] = first_error[0] or f"{type(exc).__name__}: {exc}"
        conn.close()
        with lock:
            latencies.extend(mine)
            statuses.update(codes)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    started = time.perf_counter()
    if seconds is not None:
        deadline[0] = started + seconds
    start_gate.set()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return Sample(
        len(latencies),
        elapsed,
        latencies,
        1.0,
        max(latencies, default=0.0),
        statuses,
        errors[0],
        first_error[0],
    )


_WRK_SCRIPT = r"""
local counter, prefix = 0, "x"
local method, path, body = [==[@METHOD@]==], [==[@PATH@]==], [==[@BODY@]==]
local has_body = @HAS_BODY@
local headers = {}
@HEADERS@
local threads = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end
function init(args) prefix = [==[@PREFIX@]==] .. "t" .. tostring(tid) end
function request()
  counter = counter + 1
  local unique = prefix .. "-" .. counter
  local p = string.gsub(path, "@N@", unique)
  if has_body then
    local b = string.gsub(body, "@N@", unique)
    return wrk.format(method, p, headers, b)
  end
  return wrk.format(method, p, headers)
end
function done(summary, latency, requests)
  local e = summary.errors
  local q = {}
  for i = 1, 1000 do q[i] = tostring(latency:percentile(i / 10)) end
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"max":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"quantiles_us":[%s]}\n',
    summary.requests, summary.duration, latency.max, e.connect, e.read, e.write, e.status,
    e.timeout, table.concat(q, ",")))
end
"""


def wrk_available() -> bool:
    return os.environ.get("BENCH_CLIENT", "wrk") == "wrk" and shutil.which("wrk") is not None


def client_name() -> str:
    return "wrk, 2 threads" if wrk_available() else "Python threads + http.client"


def _lua_text(text: str) -> str:
    if "]==]" in text:
        raise ValueError("request text may not contain ]==]")
    return text


def wrk_round(host: str, port: int, spec: RequestSpec, *, clients: int, seconds: float) -> Sample:
    """The same closed loop with ``wrk``: ``clients`` keep-alive connections on 2 threads.
    wrk only tells answers below 400 from the rest; its latency comes back as 1,000 quantiles."""
    headers = "\n".join(f"headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in spec.headers.items())
    script = (
        _WRK_SCRIPT.replace("@METHOD@", _lua_text(spec.method))
        .replace("@PATH@", _lua_text(spec.path))
        .replace("@BODY@", _lua_text(spec.body or ""))
        .replace("@HAS_BODY@", "true" if spec.body is not None else "false")
        .replace("@HEADERS@", headers)
        .replace("@PREFIX@", _lua_text(spec.prefix))
    )
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    script_path = LOG_DIR / f"wrk_{os.getpid()}.lua"
    script_path.write_text(script)
    try:
        done = subprocess.run(
            [
                "wrk",
                "-t",
                str(min(2, clients)),
                "-c",
                str(clients),
                "-d",
                f"{max(1, round(seconds))}s",
                "--timeout",
                "30s",
                "-s",
                str(script_path),
                f"http://{host}:{port}",
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=False,
        )
    finally:
        script_path.unlink(missing_ok=True)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("{")), None)
    if done.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    data = json.loads(line)
    errors = data["connect"] + data["read"] + data["write"] + data["timeout"]
    statuses = Counter({"<400": data["requests"] - data["status"], ">=400": data["status"]})
    return Sample(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        latencies_ms=[q / 1000 for q in data["quantiles_us"]],
        weight=data["requests"] / 1000,
        max_ms=data["max"] / 1000,
        statuses=+statuses,
        errors=errors,
        first_error=f"wrk socket errors: { {k: data[k] for k in ('connect', 'read', 'write', 'timeout')} }"
        if errors
        else None,
    )


def one_round(server: Server, spec: RequestSpec, *, clients: int, seconds: float) -> Sample:
    """One closed-loop round, with wrk when installed (``BENCH_CLIENT=python`` forces the
    Python client)."""
    if wrk_available():
        return wrk_round(server.host, server.port, spec, clients=clients, seconds=seconds)
    return python_round(server.host, server.port, spec.factory(), clients=clients, seconds=seconds)


def interleaved(
    sides: list[tuple[str, Server, Callable[[str], RequestSpec]]],
    *,
    clients: int,
    seconds: float,
    rounds: int,
    warmup: float,
) -> dict[str, LoadResult]:
    """Load every side for ``seconds`` in total, split into ``rounds`` rounds that alternate
    between the sides (A B, B A, A B, ...), each round on fresh connections, after a warm-up.

    Fresh connections per round matter: gunicorn's gthread worker keeps a keep-alive connection
    on the worker that accepted it, so one round may land 6 connections on one worker and 2 on
    the other; pooling several rounds averages that luck out for both sides alike.
    ``sides`` are ``(label, server, spec_for(prefix))``; the prefix keeps ids unique per round.
    """
    stamp = str(int(time.time() * 1000))
    for label, server, spec_for in sides:
        one_round(server, spec_for(f"w{stamp}{label[:1]}"), clients=clients, seconds=warmup)
    samples: dict[str, list[Sample]] = {label: [] for label, _, _ in sides}
    per_round = seconds / rounds
    for r in range(rounds):
        order = sides if r % 2 == 0 else list(reversed(sides))
        for label, server, spec_for in order:
            samples[label].append(
                one_round(server, spec_for(f"m{stamp}r{r}{label[:1]}"), clients=clients, seconds=per_round)
            )
    return {label: merge(label, clients, s) for label, s in samples.items()}


def check_statuses(result: LoadResult, expected: Iterable[int]) -> None:
    """Fail loudly if anything but the expected statuses came back (a broken bench, not a slow one)."""
    expected = {str(s) for s in expected} | {"<400"}  # wrk only tells <400 from >=400
    bad = {s: n for s, n in result.statuses.items() if s not in expected}
    if bad or result.errors:
        raise SystemExit(
            f"{result.label}: unexpected answers {bad}, {result.errors} errors ({result.first_error})"
        )


# --------------------------------------------------------------------------------------------
# Batch endpoints: 1,000 items a request, beside a raw COPY of the same rows

BATCH = 1000
MAX_BODY = 256 * 1024  # the service's body limit for a batch


def short_stamp() -> str:
    """A short run stamp (base 36 of the time), so ids made from it stay unique across runs."""
    n = int(time.time()) % 36**5
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if not n:
            return out


def batch_body(key: str, items: list[dict]) -> bytes:
    """``{key: items}`` as compact JSON, refused here if over the service's body limit."""
    body = json.dumps({key: items}, separators=(",", ":")).encode()
    if len(body) >= MAX_BODY:
        raise SystemExit(f"batch body is {len(body)} bytes, over the 256 KiB limit")
    return body


def copy_scratch(conn, table: str, columns_ddl: str) -> None:
    """(Re)create the baseline's scratch table."""
    conn.execute(f"DROP TABLE IF EXISTS {table}")
    conn.execute(f"CREATE TABLE {table} ({columns_ddl})")
    conn.commit()


def copy_commit(conn, table: str, columns: str, rows: Iterable[tuple]) -> None:
    """COPY ``rows`` into the scratch table and commit: the least a service could do."""
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    conn.commit()


def copy_bodies(
    table: str, columns_ddl: str, columns: str, bodies: list[bytes], rows_of: Callable[[dict], list[tuple]]
) -> Sample:
    """The baseline of a batch endpoint: ``json.loads`` of each body, ``rows_of`` it, COPY and
    commit, timed body by body; checks every row was stored."""
    latencies = []
    with psycopg.connect(plain_url(DATABASE_URL)) as conn:
        copy_scratch(conn, table, columns_ddl)
        started = time.perf_counter()
        for body in bodies:
            t0 = time.perf_counter()
            copy_commit(conn, table, columns, rows_of(json.loads(body)))
            latencies.append((time.perf_counter() - t0) * 1000)
        elapsed = time.perf_counter() - started
        stored = conn.execute(f"select count(*) from {table}").fetchone()[0]
    if stored != len(bodies) * BATCH:
        raise SystemExit(f"COPY baseline stored {stored} rows, expected {len(bodies) * BATCH}")
    return Sample(len(bodies), elapsed, latencies, max_ms=max(latencies))


# --------------------------------------------------------------------------------------------
# Reporting


@dataclass
class Row:
    """One line of a side-by-side table.

    ``higher_is_better`` says which way the ratio reads. ``target`` is a text such as
    ``">= 0.25x"`` (checked on the ratio ours/baseline) or ``"< 50"`` (checked on our value, in
    the row's unit); ``None`` means no target.
    """

    metric: str
    ours: float
    baseline: float | None
    unit: str = ""
    higher_is_better: bool = True
    target: str | None = None
    decimals: int = 1

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0) or self.ours != self.ours:
            return None
        return self.ours / self.baseline

    @property
    def met(self) -> bool | None:
        if not self.target:
            return None
        op, _, num = self.target.strip().partition(" ")
        on_ratio = num.endswith("x")
        value = self.ratio if on_ratio else self.ours
        if value is None:
            return None
        limit = float(num.rstrip("x").replace(",", ""))
        return {"<": value < limit, "<=": value <= limit, ">": value > limit, ">=": value >= limit}[op]


def _fmt(value: float | None, decimals: int) -> str:
    if value is None:
        return "-"
    if value != value:  # NaN
        return "n/a"
    return f"{value:,.{decimals}f}"


def report(
    name: str, title: str, rows: list[Row], *, notes: Iterable[str] = (), extra: dict | None = None
) -> None:
    """Print an aligned OURS | BASELINE | RATIO table and write ``bench/results/<name>.json``."""
    header = ["metric", "ours", "baseline", "ratio", "target", "met"]
    table = [header]
    for row in rows:
        unit = f" {row.unit}" if row.unit else ""
        ratio = row.ratio
        table.append(
            [
                row.metric + (f" ({row.unit})" if row.unit else ""),
                _fmt(row.ours, row.decimals),
                _fmt(row.baseline, row.decimals),
                "-" if ratio is None else f"{ratio:.2f}x",
                (row.target + ("" if row.target.endswith("x") else unit)) if row.target else "",
                {True: "yes", False: "NO", None: ""}[row.met],
            ]
        )
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    print()
    print(f"== {title}")
    for i, r in enumerate(table):
        cells = [r[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True)]
        print("  " + "  ".join(cells).rstrip())
        if i == 0:
            print("  " + "  ".join("-" * w for w in widths))
    for note in notes:
        print(f"  * {note}")
    sys.stdout.flush()

    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    payload = {
        "name": name,
        "title": title,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "gunicorn_workers": WORKERS,
            "gunicorn_threads": THREADS,
        },
        "rows": [{**asdict(r), "ratio": r.ratio, "met": r.met} for r in rows],
        "notes": list(notes),
        **(extra or {}),
    }
    (RESULTS_DIR / f"{name}.json").write_text(json.dumps(payload, indent=2, default=str) + "\n")


def load_rows(
    ours: LoadResult,
    base: LoadResult,
    *,
    ratio_target: str | None = None,
    p99_target: str | None = None,
    what: str = "req/s",
) -> list[Row]:
    """The usual rows for two load results: throughput and p50/p95/p99 latency."""
    return [
        Row("throughput", ours.throughput, base.throughput, what, True, ratio_target, 0),
        Row("latency p50", ours.p50_ms, base.p50_ms, "ms", False, None, 2),
        Row("latency p95", ours.p95_ms, base.p95_ms, "ms", False, None, 2),
        Row("latency p99", ours.p99_ms, base.p99_ms, "ms", False, p99_target, 2),
        Row("requests measured", ours.requests, base.requests, "", True, None, 0),
    ]
