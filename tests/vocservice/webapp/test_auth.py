"""Web app login, roles, CSRF, session cookie and security headers, server-side sessions that
logout and a password change end, login throttling per address and per account, and the user's
own account page (vocservice/webapp/auth.py)."""

from datetime import timedelta

from flask import Flask

from surveys.core.db import db, utcnow
from surveys.workspace.models import User
from surveys.workspace.service import create_workspace
from surveys.workspace.sessions import WebSession
from tests.support.webapp import (
    COOKIE,
    PASSWORD,
    csrf_of,
    login,
    make_user,
    replay,
    saved_cookie,
    seed_feedback,
)


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


def _post_login(client, email: str, password: str, addr: str = "203.0.113.1"):
    token = csrf_of(client.get("/app/login", environ_base={"REMOTE_ADDR": addr}).text)
    return client.post(
        "/app/login",
        data={"email": email, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": addr},
    )


def _sessions(app, user_id: str) -> list[WebSession]:
    with app.app_context():
        rows = db.session.query(WebSession).filter_by(user_id=user_id).order_by(WebSession.created_at).all()
        db.session.expunge_all()
        db.session.remove()
    return rows


def test_webapp_session_cookie_is_named_voc_session(client, app, workspace):
    make_user(app, workspace.workspace.id)
    token = csrf_of(client.get("/app/login").text)
    response = client.post(
        "/app/login", data={"email": "pm@acme.test", "password": PASSWORD, "csrf_token": token}
    )
    assert response.headers["Set-Cookie"].startswith(f"{COOKIE}=")
    assert app.config["SESSION_COOKIE_NAME"] == COOKIE == "voc_session"
    assert client.get_cookie("session") is None
    assert client.get("/app").status_code == 200


def test_webapp_configure_session_respects_an_explicit_cookie_name_and_lifetime():
    from vocservice.webapp.auth import configure_session

    plain = Flask("plain")
    configure_session(plain)
    assert plain.config["SESSION_COOKIE_NAME"] == "voc_session"
    assert plain.config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=12)
    chosen = Flask("chosen")
    chosen.config.update(SESSION_COOKIE_NAME="acme_voc", PERMANENT_SESSION_LIFETIME=timedelta(hours=1))
    configure_session(chosen)
    assert chosen.config["SESSION_COOKIE_NAME"] == "acme_voc"
    assert chosen.config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=1)


def test_webapp_saved_cookie_is_refused_after_logout(client, app, workspace):
    user_id = make_user(app, workspace.workspace.id)
    token = login(client)
    saved = saved_cookie(client)
    assert replay(app, saved).get("/app").status_code == 200  # a copy works while the session lives
    assert client.post("/app/logout", data={"csrf_token": token}).status_code == 302
    replayed = replay(app, saved).get("/app/feedback")
    assert replayed.status_code == 302
    assert replayed.headers["Location"].startswith("/app/login")
    assert replay(app, saved).post("/app/logout", data={"csrf_token": token}).status_code == 302
    (row,) = _sessions(app, user_id)
    assert row.revoked_reason == "logout" and row.revoked_at is not None
    # The row holds a hash of the cookie's token, never the token itself.
    assert row.id not in saved


def test_webapp_session_ends_at_its_server_side_expiry(client, app, workspace):
    user_id = make_user(app, workspace.workspace.id)
    login(client)
    with app.app_context():
        db.session.query(WebSession).filter_by(user_id=user_id).update(
            {"expires_at": utcnow() - timedelta(seconds=1)}
        )
        db.session.commit()
        db.session.remove()
    assert client.get("/app").status_code == 302


def test_webapp_login_records_the_session_and_marks_it_seen(client, app, workspace):
    user_id = make_user(app, workspace.workspace.id)
    login(client)
    (row,) = _sessions(app, user_id)
    assert timedelta(hours=11, minutes=59) < row.expires_at - row.created_at <= timedelta(hours=12)
    with app.app_context():
        db.session.query(WebSession).update({"last_seen_at": utcnow() - timedelta(minutes=5)})
        db.session.commit()
        db.session.remove()
    client.get("/app")
    (row,) = _sessions(app, user_id)
    assert utcnow() - row.last_seen_at < timedelta(minutes=1)


def test_webapp_disabled_user_cannot_log_in(client, app, workspace):
    user_id = make_user(app, workspace.workspace.id)
    with app.app_context():
        db.session.get(User, user_id).disabled_at = utcnow()
        db.session.commit()
        db.session.remove()
    right = _post_login(client, "pm@acme.test", PASSWORD)
    assert right.status_code == 403 and "disabled" in right.text
    wrong = _post_login(client, "pm@acme.test", "not the password")
    assert wrong.status_code == 401 and "disabled" not in wrong.text  # only the password holder learns it
    assert client.get("/app").status_code == 302
    assert _sessions(app, user_id) == []


def test_webapp_login_throttled_per_account_across_addresses(client, app, workspace):
    app.config["WEBAPP_LOGIN_RATE_LIMIT"] = "100 per minute"
    app.config["WEBAPP_ACCOUNT_LOGIN_RATE_LIMIT"] = "3 per 15 minutes"
    make_user(app, workspace.workspace.id)
    codes = [
        _post_login(client, " PM@acme.test", "guess", f"198.51.100.{i}").status_code for i in range(1, 4)
    ]
    assert codes == [401, 401, 401]
    throttled = _post_login(client, "pm@acme.test", "guess", "198.51.100.9")
    assert throttled.status_code == 429
    assert "Too many failed login attempts for this account" in throttled.text
    assert "minutes and try again" in throttled.text
    assert 'name="password"' in throttled.text  # the login page itself, with the message
    assert throttled.headers.get("Retry-After")
    # Even the right password, from yet another address, waits out the window.
    assert _post_login(client, "pm@acme.test", PASSWORD, "198.51.100.10").status_code == 429
    # Other accounts are not affected.
    assert _post_login(client, "someone@acme.test", "guess", "198.51.100.9").status_code == 401


def test_webapp_successful_logins_do_not_count_against_the_account(app, workspace):
    app.config["WEBAPP_ACCOUNT_LOGIN_RATE_LIMIT"] = "2 per 15 minutes"
    make_user(app, workspace.workspace.id)
    codes = [
        _post_login(app.test_client(), "pm@acme.test", PASSWORD, f"192.0.2.{i}").status_code for i in range(4)
    ]
    assert codes == [302, 302, 302, 302]


def test_webapp_login_throttled_per_address_across_accounts(client, app, workspace):
    app.config["WEBAPP_LOGIN_RATE_LIMIT"] = "3 per minute"
    app.config["WEBAPP_ACCOUNT_LOGIN_RATE_LIMIT"] = "100 per 15 minutes"
    make_user(app, workspace.workspace.id)
    codes = [_post_login(client, f"user{i}@acme.test", "guess", "203.0.113.7").status_code for i in range(3)]
    assert codes == [401, 401, 401]
    throttled = _post_login(client, "pm@acme.test", PASSWORD, "203.0.113.7")
    assert throttled.status_code == 429 and "from your network" in throttled.text
    assert _post_login(client, "pm@acme.test", PASSWORD, "203.0.113.8").status_code == 302


def test_webapp_password_change_ends_other_sessions(client, app, workspace):
    user_id = make_user(app, workspace.workspace.id)
    other_browser = app.test_client()
    login(other_browser)
    token = login(client)
    before = saved_cookie(client)
    page = client.get("/app/account")
    assert page.status_code == 200 and "Change password" in page.text
    response = client.post(
        "/app/account/password",
        data={
            "csrf_token": token,
            "current_password": PASSWORD,
            "password": "a much better passphrase",
            "confirm": "a much better passphrase",
        },
    )
    assert response.status_code == 302
    assert "logged out everywhere else" in client.get(response.headers["Location"]).text
    assert other_browser.get("/app").status_code == 302
    assert replay(app, before).get("/app").status_code == 302  # this browser's old cookie too
    assert client.get("/app").status_code == 200  # ...but this browser carries on with a new one
    reasons = sorted(r.revoked_reason or "live" for r in _sessions(app, user_id))
    assert reasons == ["live", "password_changed", "password_changed"]
    assert _post_login(app.test_client(), "pm@acme.test", PASSWORD).status_code == 401
    assert _post_login(app.test_client(), "pm@acme.test", "a much better passphrase").status_code == 302


def test_webapp_password_change_needs_the_current_password(client, app, workspace):
    make_user(app, workspace.workspace.id)
    token = login(client)
    form = {"csrf_token": token, "current_password": "wrong", "password": "x" * 12, "confirm": "x" * 12}
    wrong = client.post("/app/account/password", data=form)
    assert wrong.status_code == 422 and "current password is not right" in wrong.text
    differ = client.post(
        "/app/account/password", data={**form, "current_password": PASSWORD, "confirm": "y" * 12}
    )
    assert differ.status_code == 422 and "differ" in differ.text
    short = client.post(
        "/app/account/password",
        data={**form, "current_password": PASSWORD, "password": "short", "confirm": "short"},
    )
    assert short.status_code == 422 and "at least 10 characters" in short.text
    assert client.get("/app").status_code == 200  # nothing changed, still logged in
    assert _post_login(app.test_client(), "pm@acme.test", PASSWORD).status_code == 302


def test_webapp_log_out_everywhere_else(client, app, workspace):
    make_user(app, workspace.workspace.id)
    elsewhere = app.test_client()
    login(elsewhere)
    token = login(client)
    page = client.get("/app/account")
    assert page.text.count("<tr>") == 3  # a header and two sessions
    assert client.post("/app/account/sessions/end", data={"csrf_token": token}).status_code == 302
    assert elsewhere.get("/app").status_code == 302
    assert client.get("/app").status_code == 200
