"""Operational surface: front page, health, readiness, OpenAPI and its docs."""

import re

from surveys.workspace.service import create_workspace
from tests.support.helpers import create_survey, make_invitation

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


def test_ops_front_page_counts_and_links(client, workspace, db_session):
    assert _front_page_counts(client) == {"Workspaces": 1, "Surveys": 0, "Invitations": 0, "Responses": 0}

    create_workspace(db_session, name="Other", slug="other")
    db_session.commit()
    for name in ("One", "Two", "Three"):
        create_survey(client, workspace.headers, name=name)
    invitations = [make_invitation(db_session, workspace.workspace.id) for _ in range(2)]  # a survey each
    saved = client.post(f"/s/{invitations[0].token}", data={"score": "9"})  # a partial answer
    assert saved.status_code == 200

    assert _front_page_counts(client) == {"Workspaces": 2, "Surveys": 5, "Invitations": 2, "Responses": 1}


def test_ops_unknown_api_path_is_problem_json(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert client.delete("/api/v1/events").status_code == 405


def test_ops_front_page_links_the_demo_survey(app, client):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "--responses", "20"]).exit_code == 0
    html = client.get("/").get_data(as_text=True)
    assert "Answer a demo survey" in html
    link = html.split('href="/s/')[1].split('"')[0]
    assert client.get(f"/s/{link}").status_code == 200
