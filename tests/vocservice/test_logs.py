"""What the logs keep: the Procfile's gunicorn access log with survey tokens redacted and control
characters escaped, and SQL errors without their parameters (customers' text)."""

import contextlib
import io
import json
import logging
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from surveys.core.db import db
from vocservice.logs import safe_path

ROOT = Path(__file__).resolve().parents[2]


def _procfile_web_command() -> list[str]:
    line = next(x for x in (ROOT / "Procfile").read_text().splitlines() if x.startswith("web:"))
    return line.removeprefix("web:").split()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_safe_path_redacts_tokens_and_escapes_controls():
    assert safe_path("GET /s/AbC_123-xyz?score=9 HTTP/1.1") == "GET /s/[token]?score=9 HTTP/1.1"
    assert safe_path("/u/tok3n") == "/u/[token]"
    assert safe_path("/api/v1/surveys/a\x1b[31mred\nfake 200") == "/api/v1/surveys/a\\x1b[31mred\\x0afake 200"
    assert safe_path("/app/settings") == "/app/settings"


def test_procfile_gunicorn_access_log_never_shows_a_survey_token(app, tmp_path):
    """Runs the Procfile's web command (its logger class and options) against the test database."""
    command = _procfile_web_command()
    port = _free_port()
    log_file = tmp_path / "access.log"
    args = [
        a.replace("${WEB_CONCURRENCY:-2}", "1").replace("0.0.0.0:${PORT:-5000}", f"127.0.0.1:{port}")
        for a in command
    ]
    args[args.index("--access-logfile") + 1] = str(log_file)
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": app.config["REDIS_URL"],
        "SECRET_KEY": "test-secret",
        "VOC_LOG_FORMAT": "json",
    }
    binary = Path(sys.executable).parent / args[0]
    server = subprocess.Popen([str(binary), *args[1:]], cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):  # bounded wait for the server to listen
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        for path in ("/s/SeCrEt-Token_42?score=9", "/u/AnotherSecret99", "/api/v1/x%1b%5b31mred%0afake"):
            with contextlib.suppress(urllib.error.HTTPError):
                urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5)
        for _ in range(50):
            if log_file.exists() and log_file.read_text().count("\n") >= 4:
                break
            time.sleep(0.1)
    finally:
        server.terminate()
        server.wait(timeout=10)
    logged = log_file.read_text()
    assert "/s/[token]?score=9" in logged and "/u/[token]" in logged
    assert "SeCrEt" not in logged and "AnotherSecret99" not in logged
    assert "\x1b" not in logged and "fake" in logged  # the escape and newline are shown, not obeyed
    assert all(line.count('"') >= 4 for line in logged.splitlines())  # no forged extra lines
    entries = [json.loads(line) for line in logged.splitlines()]  # one JSON object per line
    assert all(e["logger"] == "gunicorn.access" and len(e["request_id"]) == 32 for e in entries)
    assert {e["status"] for e in entries} >= {404} and entries[0]["method"] == "GET"


def test_a_database_error_is_logged_without_the_values_it_quotes(app, caplog):
    """PostgreSQL quotes the offending value in its own message; the error log keeps the kind of
    error, the SQL and the stack, not the customer's text."""
    from vocservice.errors import handle_unexpected

    secret = "jane.doe@example.com said something private"
    with app.app_context():
        with pytest.raises(DBAPIError) as failure:
            db.session.execute(text("SELECT CAST(:v AS integer)"), {"v": secret})
        db.session.rollback()
    assert secret not in failure.value.statement and "hidden" in str(failure.value)  # hide_parameters
    with app.test_request_context("/api/v1/responses/x\x1b"), caplog.at_level(logging.ERROR):
        reply = handle_unexpected(failure.value)
    assert reply.status_code == 500 and secret not in reply.get_data(as_text=True)
    assert "InvalidTextRepresentation" in caplog.text and "sqlstate 22P02" in caplog.text
    assert "SELECT CAST" in caplog.text and "test_logs.py" in caplog.text  # SQL and stack kept
    assert secret not in caplog.text and "\x1b" not in caplog.text


def test_a_job_failing_in_the_database_raises_an_error_without_the_values(app):
    """RQ logs a failed job's traceback and keeps it in Redis: it names the SQL, not the value."""
    import traceback

    from vocservice.jobs import _job_session
    from vocservice.logs import QuietDatabaseError

    secret = "private comment from a customer"
    with pytest.raises(QuietDatabaseError) as failure, _job_session(app) as session:
        session.execute(text("SELECT CAST(:v AS integer)"), {"v": secret})
    printed = "".join(traceback.format_exception(failure.value))
    assert "InvalidTextRepresentation" in printed and "SELECT CAST" in printed
    assert secret not in printed


def _json_capture() -> tuple[logging.Handler, io.StringIO]:
    from vocservice.logs import ContextFilter, JsonFormatter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    handler.setLevel(logging.INFO)
    return handler, stream


def test_request_id_is_accepted_validated_or_made_and_returned(client):
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123.X_y"}).headers["X-Request-ID"] == (
        "abc-123.X_y"
    )
    for bad in ("has space", "x" * 129, "caf\u00e9", ""):
        made = client.get("/healthz", headers={"X-Request-ID": bad}).headers["X-Request-ID"]
        assert made != bad and re.fullmatch(r"[0-9a-f]{32}", made)
    first, second = (client.get("/healthz").headers["X-Request-ID"] for _ in range(2))
    assert first != second


def test_json_log_lines_carry_the_request_id_into_the_job_it_enqueued(app, client, workspace, run_worker):
    """A request's id is kept in the meta of the job it enqueues and a real RQ worker logs that
    job's lines with it, one JSON object per line."""
    survey = client.post(
        "/api/v1/surveys",
        json={"name": "NPS", "kind": "nps", "question": "How likely?", "status": "active"},
        headers=workspace.headers,
    )
    assert survey.status_code == 201
    handler, stream = _json_capture()
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)
    try:
        posted = client.post(
            "/api/v1/responses",
            json={"survey_id": survey.json["id"], "score": 3, "comment": "Support was slow to answer."},
            headers={**workspace.headers, "X-Request-ID": "req-trace-42"},
        )
        assert posted.status_code == 201 and posted.headers["X-Request-ID"] == "req-trace-42"
        assert run_worker() >= 1
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines and all({"time", "level", "logger", "message", "request_id"} <= set(x) for x in lines)
    job_lines = [x for x in lines if x["logger"] == "vocservice.jobs" and "analyze_pending" in x["message"]]
    assert job_lines, lines
    assert all(x["request_id"] == "req-trace-42" and x["job_id"] for x in job_lines)
    assert job_lines[0]["time"].endswith("Z") and job_lines[0]["level"] == "info"


def test_json_formatter_keeps_extras_and_exceptions():
    from vocservice.logs import JsonFormatter, request_context

    record = logging.LogRecord("x.y", logging.ERROR, __file__, 1, "boom %s", ("\x1b[31m",), None)
    record.job_id = "j1"
    try:
        raise ValueError("bad")
    except ValueError:
        record.exc_info = sys.exc_info()
    with request_context("rid-1"):
        line = JsonFormatter().format(record)
    assert "\n" not in line
    data = json.loads(line)
    assert data["message"] == "boom \x1b[31m" and data["request_id"] == "rid-1" and data["job_id"] == "j1"
    assert data["level"] == "error" and "ValueError: bad" in data["exception"]
