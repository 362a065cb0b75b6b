"""Web app login, roles, CSRF, session cookie and security headers (vocservice/webapp/auth.py)."""

from surveys.core.db import db
from surveys.workspace.service import create_workspace
from tests.support.webapp import PASSWORD, csrf_of, login, make_user, seed_feedback


def test_webapp_pages_require_login(client, workspace):
    for path in (
        "/app",
        "/app/feedback",
        "/app/feedback.csv",
        "/app/roadmap",
        "/app/surveys",
        "/app/settings",
    ):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/app/login?next=")


def test_webapp_login_wrong_password_is_generic(client, app, workspace):
    make_user(app, workspace.workspace.id)
    token = csrf_of(client.get("/app/login").text)
    wrong = client.post("/app/login", data={"email": "pm@acme.test", "password": "nope", "csrf_token": token})
    unknown = client.post(
        "/app/login", data={"email": "who@acme.test", "password": "nope", "csrf_token": token}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert "do not match an account" in wrong.text and "do not match an account" in unknown.text
    assert client.get("/app").status_code == 302


def test_webapp_login_sets_strict_cookie_and_redirects_only_inside_app(client, app, workspace):
    make_user(app, workspace.workspace.id)
    token = csrf_of(client.get("/app/login").text)
    response = client.post(
        "/app/login",
        data={
            "email": "PM@acme.test",
            "password": PASSWORD,
            "csrf_token": token,
            "next": "//evil.example/app",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/app"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # PUBLIC_BASE_URL is http in the tests
    page = client.get("/app")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"


def test_webapp_secure_cookie_when_public_url_is_https(app, workspace):
    from vocservice.webapp.auth import configure_session

    saved = app.config["PUBLIC_BASE_URL"]
    app.config["PUBLIC_BASE_URL"] = "https://voc.example"
    configure_session(app)
    try:
        assert app.config["SESSION_COOKIE_SECURE"] is True
    finally:
        app.config["PUBLIC_BASE_URL"] = saved
        configure_session(app)
    assert app.config["SESSION_COOKIE_SECURE"] is False


def test_webapp_post_without_csrf_token_is_refused(client, app, workspace):
    make_user(app, workspace.workspace.id)
    token = login(client)
    assert client.post("/app/logout").status_code == 400
    assert client.post("/app/logout", data={"csrf_token": token + "x"}).status_code == 400
    assert client.get("/app").status_code == 200  # still logged in
    assert client.post("/app/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/app").status_code == 302


def test_webapp_login_form_needs_csrf_token(client, app, workspace):
    make_user(app, workspace.workspace.id)
    response = client.post("/app/login", data={"email": "pm@acme.test", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/app").status_code == 302


def test_webapp_login_is_rate_limited(client, app, workspace):
    app.config["WEBAPP_LOGIN_RATE_LIMIT"] = "3 per minute"
    make_user(app, workspace.workspace.id)
    token = csrf_of(client.get("/app/login").text)
    codes = [
        client.post(
            "/app/login", data={"email": "pm@acme.test", "password": "bad", "csrf_token": token}
        ).status_code
        for _ in range(4)
    ]
    assert codes == [401, 401, 401, 429]
    # Even the right password waits out the window.
    assert (
        client.post(
            "/app/login", data={"email": "pm@acme.test", "password": PASSWORD, "csrf_token": token}
        ).status_code
        == 429
    )


def test_webapp_analyst_cannot_manage_settings_or_surveys(client, app, workspace):
    make_user(app, workspace.workspace.id, role="analyst", email="ana@acme.test")
    token = login(client, "ana@acme.test")
    assert client.get("/app/settings").status_code == 403
    assert "Settings" not in client.get("/app/feedback").text.split("</nav>")[0]
    assert client.post("/app/settings/keys", data={"csrf_token": token, "role": "admin"}).status_code == 403
    assert (
        client.post(
            "/app/surveys", data={"csrf_token": token, "name": "x", "kind": "nps", "question": "q"}
        ).status_code
        == 403
    )
    assert client.get("/app/surveys").status_code == 200


def test_webapp_role_change_ends_the_session(client, app, workspace):
    user_id = make_user(app, workspace.workspace.id)
    login(client)
    with app.app_context():
        from surveys.workspace.models import User

        db.session.get(User, user_id).role = "analyst"
        db.session.commit()
        db.session.remove()
    assert client.get("/app").status_code == 302


def test_webapp_same_email_in_two_workspaces_asks_which(client, app, workspace):
    make_user(app, workspace.workspace.id)
    with app.app_context():
        other = create_workspace(db.session, name="Other Co", slug="other")
        db.session.commit()
        other_id = other.id
        db.session.remove()
    make_user(app, other_id)
    token = csrf_of(client.get("/app/login").text)
    response = client.post(
        "/app/login", data={"email": "pm@acme.test", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 401 and 'name="workspace"' in response.text
    response = client.post(
        "/app/login",
        data={"email": "pm@acme.test", "password": PASSWORD, "workspace": "other", "csrf_token": token},
    )
    assert response.status_code == 302
    assert "Other Co" in client.get("/app").text


def test_webapp_other_workspace_ids_are_404(client, app, workspace):
    make_user(app, workspace.workspace.id)
    with app.app_context():
        other = create_workspace(db.session, name="Other Co", slug="other")
        db.session.commit()
        other_id = other.id
        db.session.remove()
    foreign = seed_feedback(app, other_id)
    token = login(client)
    assert client.get(f"/app?survey={foreign['survey_id']}").status_code == 404
    assert client.get(f"/app/feedback.csv?survey={foreign['survey_id']}").status_code == 404
    with app.app_context():
        from sqlalchemy import select

        from surveys.analysis.models import Theme

        theme_id = (
            db.session.execute(select(Theme.id).where(Theme.workspace_id == workspace.workspace.id))
            .scalars()
            .first()
        )
        db.session.remove()
    response = client.post(
        f"/app/feedback/{foreign['ids'][0]}/themes",
        data={"csrf_token": token, "theme_id": theme_id, "action": "add"},
    )
    assert response.status_code == 404
