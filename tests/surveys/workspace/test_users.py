"""Users of the web app (surveys/workspace/service.py): who a login opens, passwords, and
disabling or removing users while a workspace always keeps an active admin."""

from datetime import timedelta

import pytest

from surveys.core.errors import Conflict, Invalid, NotFound
from surveys.workspace import service
from surveys.workspace.models import User, Workspace
from surveys.workspace.sessions import WebSession, resolve_session, start_session

PASSWORD = "correct horse battery"


@pytest.fixture
def ws(workspace, db_session) -> Workspace:
    return db_session.get(Workspace, workspace.workspace.id)


def _user(db_session, ws, email: str, role: str = "admin") -> User:
    user = service.create_user(db_session, workspace=ws, email=email, role=role, password=PASSWORD)
    db_session.commit()
    return user


def test_users_authenticate_right_wrong_and_disabled(db_session, ws):
    user = _user(db_session, ws, "PM@acme.test")
    assert service.authenticate_user(db_session, email=" pm@ACME.test ", password=PASSWORD).user is user
    wrong = service.authenticate_user(db_session, email="pm@acme.test", password="nope")
    assert wrong.user is None and not wrong.disabled and not wrong.ambiguous
    assert service.authenticate_user(db_session, email="who@acme.test", password=PASSWORD).user is None
    user.disabled_at = service.utcnow()
    assert service.authenticate_user(db_session, email="pm@acme.test", password=PASSWORD).disabled
    assert not service.authenticate_user(db_session, email="pm@acme.test", password="nope").disabled


def test_users_authenticate_same_email_in_two_workspaces(db_session, ws):
    _user(db_session, ws, "pm@acme.test")
    other = service.create_workspace(db_session, name="Other", slug="other")
    theirs = _user(db_session, other, "pm@acme.test")
    assert service.authenticate_user(db_session, email="pm@acme.test", password=PASSWORD).ambiguous
    chosen = service.authenticate_user(
        db_session, email="pm@acme.test", password=PASSWORD, workspace_slug="other"
    )
    assert chosen.user is theirs
    # A disabled account in one workspace does not make the other one ambiguous.
    db_session.get(User, chosen.user.id).disabled_at = service.utcnow()
    assert (
        service.authenticate_user(db_session, email="pm@acme.test", password=PASSWORD).user.workspace_id
        == ws.id
    )


def test_users_last_active_admin_cannot_be_disabled_or_removed(db_session, ws):
    admin = _user(db_session, ws, "pm@acme.test")
    analyst = _user(db_session, ws, "ana@acme.test", role="analyst")
    for change in (service.disable_user, service.remove_user):
        with pytest.raises(Conflict, match="last admin"):
            change(db_session, user=admin)
    # A disabled admin does not count as one who remains.
    other_admin = _user(db_session, ws, "boss@acme.test")
    service.disable_user(db_session, user=other_admin)
    with pytest.raises(Conflict, match="last admin"):
        service.disable_user(db_session, user=admin)
    # Analysts and disabled admins may go.
    service.disable_user(db_session, user=analyst)
    service.remove_user(db_session, user=other_admin)
    db_session.commit()
    assert db_session.get(User, other_admin.id) is None and admin.disabled_at is None


def test_users_an_admin_cannot_disable_or_remove_themselves(db_session, ws):
    admin = _user(db_session, ws, "pm@acme.test")
    _user(db_session, ws, "boss@acme.test")
    for change in (service.disable_user, service.remove_user):
        with pytest.raises(Conflict, match="your own account"):
            change(db_session, user=admin, actor=admin)


def test_users_disable_remove_and_reset_end_sessions(db_session, ws):
    _user(db_session, ws, "pm@acme.test")
    ana = _user(db_session, ws, "ana@acme.test", role="analyst")
    tokens = [start_session(db_session, user=ana, lifetime=timedelta(hours=1))[1] for _ in range(2)]
    assert service.reset_password(db_session, user=ana, password="another long one") == 2
    assert all(resolve_session(db_session, token=t) is None for t in tokens)
    token = start_session(db_session, user=ana, lifetime=timedelta(hours=1))[1]
    assert service.disable_user(db_session, user=ana) == 1
    assert resolve_session(db_session, token=token) is None
    service.enable_user(db_session, user=ana)
    start_session(db_session, user=ana, lifetime=timedelta(hours=1))
    assert service.remove_user(db_session, user=ana) == 1
    db_session.commit()
    assert db_session.query(WebSession).count() == 0


def test_users_change_password_needs_the_current_one(db_session, ws):
    user = _user(db_session, ws, "pm@acme.test")
    with pytest.raises(Invalid, match="current password"):
        service.change_password(db_session, user=user, current_password="nope", new_password="x" * 12)
    with pytest.raises(Invalid, match="same as the current"):
        service.change_password(db_session, user=user, current_password=PASSWORD, new_password=PASSWORD)
    with pytest.raises(Invalid, match="at least 10"):
        service.change_password(db_session, user=user, current_password=PASSWORD, new_password="short")
    with pytest.raises(Invalid, match="at most 1000"):
        service.change_password(db_session, user=user, current_password=PASSWORD, new_password="x" * 1001)
    service.change_password(db_session, user=user, current_password=PASSWORD, new_password="a new passphrase")
    assert service.check_password(user, "a new passphrase")


def test_users_find_and_list(db_session, ws):
    ana = _user(db_session, ws, "ana@acme.test", role="analyst")
    _user(db_session, ws, "pm@acme.test")
    assert service.find_user(db_session, workspace=ws, email=" ANA@acme.test").id == ana.id
    with pytest.raises(NotFound, match="No user 'who@acme.test' in workspace 'acme'"):
        service.find_user(db_session, workspace=ws, email="who@acme.test")
    with pytest.raises(NotFound):
        service.get_user(db_session, workspace_id="ws_other", user_id=ana.id)
    first, _ = start_session(db_session, user=ana, lifetime=timedelta(hours=1))
    latest, _ = start_session(db_session, user=ana, lifetime=timedelta(hours=1))
    first.created_at = latest.created_at - timedelta(days=2)
    db_session.commit()
    members = service.list_users(db_session, workspace_id=ws.id)
    assert [(m.email, m.status) for m in members] == [("ana@acme.test", "active"), ("pm@acme.test", "active")]
    assert members[0].last_login_at == latest.created_at and members[1].last_login_at is None
