"""Operational surface: front page, health, readiness, OpenAPI and its docs."""


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


def test_ops_docs_are_served_without_a_cdn(client):
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "swagger-ui-bundle.js" in html and "//unpkg.com" not in html and "cdn" not in html.lower()
    asset = client.get("/api/docs/swagger-ui-bundle.js")
    assert asset.status_code == 200
    asset.close()


def test_ops_front_page_counts_and_links(client, workspace):
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/api/docs" in html and "Workspaces" in html


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
