"""What the logs keep: the Procfile's gunicorn access log with survey tokens redacted and control
characters escaped, and SQL errors without their parameters (customers' text)."""

import contextlib
import logging
import os
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
