"""Operational surface: front page, health, readiness, OpenAPI and its docs."""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HTTP = {"get", "post", "put", "patch", "delete"}
COUNT = re.compile(r"<dt>(\w+)</dt><dd>([\d,]+)</dd>")


def test_ops_healthz_and_readyz(client, app):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json["checks"] == {"database": "ok", "redis": "ok"}


def test_ops_readyz_reports_redis_down(client, app):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json["checks"]["redis"].startswith("error")


def test_ops_openapi_documents_the_contract(client):
    spec = client.get("/api/openapi.json").json
    for path in (
        "/api/v1/events",
        "/api/v1/events/batch",
        "/api/v1/surveys",
        "/api/v1/touchpoints",
        "/api/v1/invitations",
        "/api/v1/responses",
    ):
        assert path in spec["paths"], path
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert "EventCreate" in spec["components"]["schemas"]


def test_ops_openapi_lists_exactly_the_served_operations(app, client):
    spec = client.get("/api/openapi.json").json
    documented = {
        (path, method.upper()) for path, item in spec["paths"].items() for method in item if method in HTTP
    }
    served = {
        (re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule), method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    # Every route under /api/v1 is documented, and nothing documented is missing from the app.
    assert documented == served
    assert {("/api/v1/surveys", "GET"), ("/api/v1/surveys", "POST")} <= documented
    assert ("/api/v1/surveys/{survey_id}", "GET") in documented


def test_ops_docs_are_served_without_a_cdn(client):
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "swagger-ui-bundle.js" in html and "//unpkg.com" not in html and "cdn" not in html.lower()
    asset = client.get("/api/docs/swagger-ui-bundle.js")
    assert asset.status_code == 200
    asset.close()


def _front_page_counts(client) -> dict[str, int]:
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'href="/api/docs/"' in html and 'href="/api/openapi.json"' in html and 'href="/readyz"' in html
    return {name: int(value.replace(",", "")) for name, value in COUNT.findall(html)}


def test_ops_front_page_tells_strangers_nothing_outside_demo_mode(app, client, workspace):
    # PostgreSQL + Redis is a real install: no install-wide counts, no live survey link of a
    # workspace that happens to be called "demo".
    assert app.test_cli_runner().invoke(args=["demo", "--responses", "5"]).exit_code == 0
    html = client.get("/").get_data(as_text=True)
    assert _front_page_counts(client) == {}
    assert "Answer a demo survey" not in html and 'href="/s/' not in html


def test_ops_front_page_in_embedded_demo_mode_counts_and_links_the_demo_survey(tmp_path):
    """`make run`'s mode, run as `make run` does (its own processes: SQLite, no Redis)."""
    vocservice = str(Path(sys.executable).parent / "vocservice")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["SECRET_KEY"] = "demo-test"
    for args in (["db", "upgrade"], ["demo", "--responses", "20"]):
        subprocess.run(
            [vocservice, *args], cwd=tmp_path, env=env, check=True, capture_output=True, timeout=300
        )
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [vocservice, "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):  # bounded wait for the server to listen
            try:
                html = urllib.request.urlopen(base + "/", timeout=2).read().decode()
                break
            except OSError:
                time.sleep(0.2)
        counts = {name: int(value.replace(",", "")) for name, value in COUNT.findall(html)}
        assert counts["Workspaces"] == 1 and counts["Responses"] >= 20, counts
        assert "Answer a demo survey" in html
        link = html.split('href="/s/')[1].split('"')[0]
        assert urllib.request.urlopen(f"{base}/s/{link}", timeout=5).status == 200
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_ops_unknown_api_path_is_problem_json(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert client.delete("/api/v1/events").status_code == 405
