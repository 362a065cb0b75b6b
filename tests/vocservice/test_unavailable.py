"""A database that fails a request for a passing reason (unreachable, a deadlock between two
writers) answers 503 with Retry-After and a problem saying nothing was stored, not a bare 500,
so senders and browsers know to simply try again."""

import json
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from surveys.core.db import db
from tests.conftest import TEST_REDIS_URL
from tests.support.helpers import python_process
from vocservice.errors import handle_unexpected, retry_after

# A process of its own (create_app registers the domain hooks once per process) whose database
# is a port nothing listens on: every request that needs the database fails to connect.
_UNREACHABLE = """
import json, sys
from vocservice import create_app
app = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://postgres@127.0.0.1:9/nothing",
    "REDIS_URL": sys.argv[1], "RATELIMIT_STORAGE_URI": sys.argv[1], "PUBLIC_BASE_URL": "http://voc.test",
    "SMTP_URL": None, "SECRET_KEY": "test-secret"})
client = app.test_client()
out = []
api = client.post("/api/v1/events", json={"id": "e-1", "name": "order.delivered",
    "contact": {"external_id": "c-1"}}, headers={"Authorization": "Bearer voc_x_" + "a" * 40})
out.append([api.status_code, api.headers.get("Retry-After"), api.content_type, api.get_data(as_text=True)])
page = client.get("/s/" + "t" * 32)  # a customer opening the survey link of an email
out.append([page.status_code, page.headers.get("Retry-After"), page.content_type,
    page.get_data(as_text=True)])
print(json.dumps(out))
"""


def test_unreachable_database_answers_503_with_retry_after():
    printed = python_process(_UNREACHABLE, TEST_REDIS_URL)
    (api_status, api_retry, api_type, api_body), (page_status, page_retry, page_type, page_body) = json.loads(
        printed.strip().splitlines()[-1]
    )
    assert (api_status, api_retry, api_type) == (503, "5", "application/problem+json")
    problem = json.loads(api_body)
    assert problem["status"] == 503 and problem["type"].endswith("/unavailable")
    assert "nothing of it was stored" in problem["detail"]
    assert "127.0.0.1:9" not in api_body  # no connection details leak
    assert (page_status, page_retry) == (503, "5") and page_type.startswith("text/html")
    assert "Try again shortly" in page_body


def _deadlock(app) -> DBAPIError:
    """Two real transactions that wait for each other's advisory lock; PostgreSQL breaks the
    cycle by failing one of them (after deadlock_timeout, 1 s by default)."""
    failures: list[BaseException] = []
    both_hold_one = threading.Barrier(2)

    def side(first: int, second: int) -> None:
        with app.app_context(), db.engine.connect() as conn:
            try:
                with conn.begin():
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": first})
                    both_hold_one.wait(timeout=10)
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": second})
            except DBAPIError as error:
                failures.append(error)

    threads = [threading.Thread(target=side, args=pair) for pair in ((91_001, 91_002), (91_002, 91_001))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(failures) == 1, failures
    return failures[0]


def test_a_deadlock_answers_503_retry_after_1(app):
    error = _deadlock(app)
    assert type(error.orig).__name__ == "DeadlockDetected"
    assert retry_after(error) == 1
    with app.test_request_context("/api/v1/events", method="POST"):
        response = handle_unexpected(error)
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"
    assert response.json["type"].endswith("/unavailable")


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1/0",  # a bug of ours: a 500, not a retry
        "SELECT * FROM no_such_table",
    ],
)
def test_other_database_errors_stay_500(app, sql):
    with app.app_context(), db.engine.connect() as conn, pytest.raises(DBAPIError) as caught:
        conn.execute(text(sql))
    assert retry_after(caught.value) is None
    with app.test_request_context("/api/v1/events", method="POST"):
        response = handle_unexpected(caught.value)
    assert response.status_code == 500 and "Retry-After" not in response.headers
