"""The web app under hostile query strings and a failing database mid-export."""

import csv
import io

import psycopg
import pytest
from sqlalchemy.engine import make_url

from surveys.core.db import db
from tests.support.webapp import login, make_user, seed_feedback
from vocservice.webapp import export


@pytest.fixture
def logged_in(app, client, workspace):
    make_user(app, workspace.workspace.id)
    data = seed_feedback(app, workspace.workspace.id)
    login(client)
    return data


def test_dashboard_slash_keeps_any_query_without_passing_it_to_url_for(client, logged_in):
    reply = client.get("/app/?_external=1&endpoint=x&values=y&from=2026-01-01")
    assert reply.status_code == 302
    assert reply.headers["Location"] == "/app?_external=1&endpoint=x&values=y&from=2026-01-01"


@pytest.mark.parametrize(
    "query",
    [
        "from=0001-01-01",
        "to=9999-12-31",
        "from=1899-12-31",
        "from=2026-13-01",
        "from=2%C2%B2026-01-01",
        "from=1990-01-01&to=2026-01-01",  # more than ten years of daily points
    ],
)
def test_dashboard_dates_at_the_edges_are_a_4xx(client, logged_in, query):
    reply = client.get(f"/app?{query}")
    assert reply.status_code == 422, (query, reply.status_code)


@pytest.mark.parametrize(
    "query",
    [
        "from=0001-01-01",
        "to=9999-12-31",
        "cursor=0001-01-01T00:00:00%2B05:00~rsp_1",
        "cursor=9999-12-31T23:59:59-05:00~rsp_1",
        "cursor=garbage",
    ],
)
def test_feedback_and_its_export_refuse_edge_dates_and_cursors(client, logged_in, query):
    # A bad filter: the page falls back to the unfiltered list and says what was wrong, the
    # export refuses. A bad page cursor is a 422.
    page = client.get(f"/app/feedback?{query}")
    if query.startswith("cursor"):
        assert page.status_code == 422 and "cursor is not valid" in page.text
    else:
        assert page.status_code == 200 and "between 1900 and 2999" in page.text
        assert client.get(f"/app/feedback.csv?{query}").status_code == 422


def test_export_that_fails_mid_stream_says_so_in_the_file(app, client, logged_in, monkeypatch):
    """A real fault: after the first batch is sent, the responses table disappears (renamed by
    another connection); the file ends with a line saying it is incomplete, not silently."""
    monkeypatch.setattr(export, "BATCH", 3)
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).set(drivername="postgresql")
    reply = client.get("/app/feedback.csv")
    assert reply.status_code == 200
    chunks = reply.response  # the streaming body, read chunk by chunk
    header = next(chunks)
    first = next(chunks)
    with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute("ALTER TABLE responses RENAME TO responses_away")
        try:
            rest = b"".join(c if isinstance(c, bytes) else c.encode() for c in chunks)
        finally:
            conn.execute("ALTER TABLE responses_away RENAME TO responses")
    text = (header if isinstance(header, str) else header.decode("utf-8")) + (
        first if isinstance(first, str) else first.decode()
    )
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff") + rest.decode())))
    assert len(rows) == 1 + 3 + 1  # header, the first batch, the closing line
    assert rows[-1][0].startswith("# export incomplete: it stopped after 3 rows")
    with app.app_context():
        db.session.remove()
