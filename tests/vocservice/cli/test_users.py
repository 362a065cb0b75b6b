"""``vocservice user list|disable|enable|remove|reset-password|end-sessions`` (vocservice/cli/users.py),
run through Flask's CLI runner against the test database."""

import json
from datetime import timedelta

import pytest

from surveys.core.db import db
from surveys.workspace.models import User, Workspace
from surveys.workspace.service import check_password
from surveys.workspace.sessions import WebSession, resolve_session, start_session
from tests.support.webapp import PASSWORD, make_user


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def people(app, workspace):
    return {
        "admin": make_user(app, workspace.workspace.id),
        "analyst": make_user(app, workspace.workspace.id, role="analyst", email="ana@acme.test"),
    }


def _login(app, user_id: str) -> str:
    """A live web session of the user, as a login would start; returns its cookie token."""
    with app.app_context():
        _, token = start_session(db.session, user=db.session.get(User, user_id), lifetime=timedelta(hours=1))
        db.session.commit()
        db.session.remove()
    return token


def _alive(app, token: str) -> bool:
    with app.app_context():
        alive = resolve_session(db.session, token=token) is not None
        db.session.remove()
    return alive


def _user(db_session, user_id: str) -> User | None:
    db_session.expire_all()
    return db_session.get(User, user_id)


def test_cli_user_list_shows_state_and_last_login(app, runner, people):
    _login(app, people["analyst"])
    result = runner.invoke(args=["user", "list", "--workspace", "acme"])
    assert result.exit_code == 0, result.output
    listed = {row["email"]: row for row in json.loads(result.output)}
    assert set(listed) == {"pm@acme.test", "ana@acme.test"}
    assert listed["ana@acme.test"]["role"] == "analyst" and listed["ana@acme.test"]["status"] == "active"
    assert listed["ana@acme.test"]["last_login_at"].endswith("Z")
    assert listed["pm@acme.test"]["last_login_at"] is None


def test_cli_user_disable_ends_sessions_and_enable_restores_login(app, runner, people, db_session):
    token = _login(app, people["analyst"])
    result = runner.invoke(args=["user", "disable", "--workspace", "acme", "--email", "ANA@acme.test"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "id": people["analyst"],
        "email": "ana@acme.test",
        "role": "analyst",
        "status": "disabled",
        "sessions_ended": 1,
    }
    assert not _alive(app, token)
    assert _user(db_session, people["analyst"]).disabled_at is not None
    result = runner.invoke(args=["user", "enable", "--workspace", "acme", "--email", "ana@acme.test"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["status"] == "active"
    assert _user(db_session, people["analyst"]).disabled_at is None
    assert not _alive(app, token)  # enabling does not bring old sessions back


def test_cli_user_reset_password_reads_stdin_and_ends_sessions(app, runner, people, db_session):
    token = _login(app, people["analyst"])
    result = runner.invoke(
        args=["user", "reset-password", "--workspace", "acme", "--email", "ana@acme.test"],
        input="a fresh passphrase\n",
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["sessions_ended"] == 1
    assert not _alive(app, token)
    user = _user(db_session, people["analyst"])
    assert check_password(user, "a fresh passphrase") and not check_password(user, PASSWORD)
    short = runner.invoke(
        args=["user", "reset-password", "--workspace", "acme", "--email", "ana@acme.test"], input="short\n"
    )
    assert short.exit_code == 1 and "at least 10 characters" in short.output
    assert check_password(_user(db_session, people["analyst"]), "a fresh passphrase")


def test_cli_user_remove_deletes_user_and_sessions(app, runner, people, db_session):
    token = _login(app, people["analyst"])
    result = runner.invoke(args=["user", "remove", "--workspace", "acme", "--email", "ana@acme.test"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["status"] == "removed"
    assert _user(db_session, people["analyst"]) is None
    assert db_session.query(WebSession).filter_by(user_id=people["analyst"]).count() == 0
    assert not _alive(app, token)


def test_cli_user_end_sessions_keeps_the_account(app, runner, people, db_session):
    tokens = [_login(app, people["analyst"]) for _ in range(2)]
    result = runner.invoke(args=["user", "end-sessions", "--workspace", "acme", "--email", "ana@acme.test"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["sessions_ended"] == 2
    assert not any(_alive(app, t) for t in tokens)
    assert _user(db_session, people["analyst"]).disabled_at is None


@pytest.mark.parametrize("command", ["disable", "enable", "remove", "reset-password", "end-sessions"])
def test_cli_user_commands_name_an_unknown_email(runner, people, command):
    result = runner.invoke(
        args=["user", command, "--workspace", "acme", "--email", "nobody@acme.test"],
        input="long enough pass\n",
    )
    assert result.exit_code == 1
    assert "Error: No user 'nobody@acme.test' in workspace 'acme'." in result.output
    assert "Traceback" not in result.output


def test_cli_user_commands_name_an_unknown_workspace(runner, people):
    result = runner.invoke(args=["user", "disable", "--workspace", "nope", "--email", "pm@acme.test"])
    assert result.exit_code == 1 and "No workspace 'nope'" in result.output
    result = runner.invoke(args=["user", "list", "--workspace", "nope"])
    assert result.exit_code == 1 and "No workspace 'nope'" in result.output


def test_cli_user_last_admin_cannot_be_disabled_or_removed(app, runner, people, db_session):
    for command in ("disable", "remove"):
        result = runner.invoke(args=["user", command, "--workspace", "acme", "--email", "pm@acme.test"])
        assert result.exit_code == 1, command
        assert "last admin of this workspace" in result.output
    admin = _user(db_session, people["admin"])
    assert admin is not None and admin.disabled_at is None
    # With a second admin, the first may go; then the second is the last one.
    workspace_id = db_session.get(Workspace, admin.workspace_id).id
    make_user(app, workspace_id, email="boss@acme.test")
    result = runner.invoke(args=["user", "remove", "--workspace", "acme", "--email", "pm@acme.test"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["user", "disable", "--workspace", "acme", "--email", "boss@acme.test"])
    assert result.exit_code == 1 and "last admin" in result.output
