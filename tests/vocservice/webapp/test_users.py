"""Admins look after their team in the web app's settings (vocservice/webapp/settings.py): disable,
enable, remove and set a new password, each ending the user's sessions at once; never their own
account, never another workspace's users, and analysts cannot do any of it."""

import pytest

from surveys.core.db import db
from surveys.workspace.models import User
from surveys.workspace.service import create_workspace
from surveys.workspace.sessions import WebSession
from tests.support.webapp import PASSWORD, csrf_of, login, make_user, replay, saved_cookie


@pytest.fixture
def team(app, workspace):
    """An admin and an analyst of the acme workspace, each logged in in their own browser."""
    admin_id = make_user(app, workspace.workspace.id)
    analyst_id = make_user(app, workspace.workspace.id, role="analyst", email="ana@acme.test")
    admin, analyst = app.test_client(), app.test_client()
    token = login(admin)
    login(analyst, "ana@acme.test")
    return {
        "admin": admin,
        "token": token,
        "analyst": analyst,
        "admin_id": admin_id,
        "analyst_id": analyst_id,
    }


def _user(app, user_id: str) -> User | None:
    with app.app_context():
        user = db.session.get(User, user_id)
        if user is not None:
            db.session.expunge(user)
        db.session.remove()
    return user


def _can_log_in(app, email: str, password: str = PASSWORD) -> int:
    client = app.test_client()
    token = csrf_of(client.get("/app/login").text)
    return client.post(
        "/app/login", data={"email": email, "password": password, "csrf_token": token}
    ).status_code


def test_users_settings_lists_the_team_with_state_and_last_login(app, team):
    page = team["admin"].get("/app/settings")
    assert page.status_code == 200
    assert "ana@acme.test" in page.text and "pm@acme.test" in page.text
    assert page.text.count(">active<") == 2
    assert "never" not in page.text.split('id="team-title"')[1].split("</table>")[0]  # both logged in
    assert f"/app/settings/users/{team['analyst_id']}/disable" in page.text
    assert f"/app/settings/users/{team['admin_id']}/disable" not in page.text  # not on oneself


def test_users_disable_ends_sessions_and_enable_lets_them_back(app, team):
    saved = saved_cookie(team["analyst"])
    assert team["analyst"].get("/app").status_code == 200
    response = team["admin"].post(
        f"/app/settings/users/{team['analyst_id']}/disable", data={"csrf_token": team["token"]}
    )
    assert response.status_code == 302
    assert (
        "ana@acme.test is disabled and logged out (1 session ended)"
        in team["admin"].get("/app/settings").text
    )
    assert team["analyst"].get("/app").status_code == 302
    assert replay(app, saved).get("/app/feedback").status_code == 302
    assert _can_log_in(app, "ana@acme.test") == 403
    assert _user(app, team["analyst_id"]).disabled_at is not None

    response = team["admin"].post(
        f"/app/settings/users/{team['analyst_id']}/enable", data={"csrf_token": team["token"]}
    )
    assert response.status_code == 302
    assert _user(app, team["analyst_id"]).disabled_at is None
    assert _can_log_in(app, "ana@acme.test") == 302
    assert replay(app, saved).get("/app").status_code == 302  # the old session stays ended


def test_users_remove_ends_sessions_and_deletes_the_user(app, team):
    saved = saved_cookie(team["analyst"])
    response = team["admin"].post(
        f"/app/settings/users/{team['analyst_id']}/remove", data={"csrf_token": team["token"]}
    )
    assert response.status_code == 302
    assert _user(app, team["analyst_id"]) is None
    with app.app_context():
        assert db.session.query(WebSession).filter_by(user_id=team["analyst_id"]).count() == 0
        db.session.remove()
    assert replay(app, saved).get("/app").status_code == 302
    assert _can_log_in(app, "ana@acme.test") == 401
    page = team["admin"].get("/app/settings").text
    assert "ana@acme.test is removed (1 session ended)" in page
    assert "ana@acme.test" not in page.split('id="team-title"')[1]


def test_users_admin_sets_a_new_password_which_ends_sessions(app, team):
    response = team["admin"].post(
        f"/app/settings/users/{team['analyst_id']}/password",
        data={"csrf_token": team["token"], "password": "brand new passphrase"},
    )
    assert response.status_code == 302
    assert team["analyst"].get("/app").status_code == 302
    assert _can_log_in(app, "ana@acme.test") == 401
    assert _can_log_in(app, "ana@acme.test", "brand new passphrase") == 302
    short = team["admin"].post(
        f"/app/settings/users/{team['analyst_id']}/password",
        data={"csrf_token": team["token"], "password": "short"},
    )
    assert short.status_code == 422 and "at least 10 characters" in short.text


def test_users_admin_cannot_disable_remove_or_reset_themselves(app, team):
    for action, data in (("disable", {}), ("remove", {}), ("password", {"password": "x" * 12})):
        response = team["admin"].post(
            f"/app/settings/users/{team['admin_id']}/{action}", data={"csrf_token": team["token"], **data}
        )
        assert response.status_code == 409, action
        assert "your own" in response.text
    assert team["admin"].get("/app").status_code == 200
    assert _user(app, team["admin_id"]).disabled_at is None


def test_users_an_admin_can_disable_another_admin(app, workspace, team):
    # From the web the actor is always an active admin, so disabling someone else always leaves
    # one; the last-admin rule itself is exercised through the CLI and the domain tests.
    boss_id = make_user(app, workspace.workspace.id, email="boss@acme.test")
    boss = app.test_client()
    login(boss, "boss@acme.test")
    response = team["admin"].post(
        f"/app/settings/users/{boss_id}/disable", data={"csrf_token": team["token"]}
    )
    assert response.status_code == 302
    assert boss.get("/app").status_code == 302
    assert _can_log_in(app, "boss@acme.test") == 403


def test_users_analysts_cannot_manage_users(app, team):
    analyst = team["analyst"]
    token = csrf_of(analyst.get("/app/feedback").text)
    assert analyst.get("/app/settings").status_code == 403
    for action, data in (
        ("disable", {}),
        ("enable", {}),
        ("remove", {}),
        ("password", {"password": "taken over by analyst"}),
    ):
        response = analyst.post(
            f"/app/settings/users/{team['admin_id']}/{action}", data={"csrf_token": token, **data}
        )
        assert response.status_code == 403, action
    assert (
        analyst.post(
            "/app/settings/users",
            data={"csrf_token": token, "email": "x@acme.test", "role": "admin", "password": "x" * 12},
        ).status_code
        == 403
    )
    admin = _user(app, team["admin_id"])
    assert admin is not None and admin.disabled_at is None
    assert _can_log_in(app, "pm@acme.test") == 302


def test_users_of_another_workspace_are_404(app, team):
    with app.app_context():
        other = create_workspace(db.session, name="Other Co", slug="other")
        db.session.commit()
        other_id = other.id
        db.session.remove()
    stranger_id = make_user(app, other_id, email="stranger@other.test")
    for action in ("disable", "enable", "remove"):
        response = team["admin"].post(
            f"/app/settings/users/{stranger_id}/{action}", data={"csrf_token": team["token"]}
        )
        assert response.status_code == 404, action
    assert _user(app, stranger_id).disabled_at is None
    assert _can_log_in(app, "stranger@other.test") == 302
