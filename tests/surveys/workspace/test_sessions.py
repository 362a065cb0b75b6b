"""Server-side web sessions (surveys/workspace/sessions.py) against the database: what a token
opens, what ends it, and the bookkeeping (hash only, seen-at throttle, pruning)."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from surveys.core.db import utcnow
from surveys.workspace.models import Workspace
from surveys.workspace.service import create_user
from surveys.workspace.sessions import (
    KEEP_ENDED,
    TOUCH_EVERY,
    WebSession,
    end_session,
    end_user_sessions,
    hash_token,
    live_sessions,
    resolve_session,
    start_session,
)

HOUR = timedelta(hours=1)


@pytest.fixture
def user(workspace, db_session):
    ws = db_session.get(Workspace, workspace.workspace.id)
    user = create_user(db_session, workspace=ws, email="pm@acme.test", role="admin", password="x" * 12)
    db_session.commit()
    return user


def test_sessions_token_opens_its_session_and_only_a_hash_is_stored(db_session, user):
    row, token = start_session(db_session, user=user, lifetime=HOUR, user_agent="Firefox " + "x" * 400)
    db_session.commit()
    assert row.id == hash_token(token) and token not in row.id
    assert len(row.user_agent) == 300
    assert resolve_session(db_session, token=token).user_id == user.id
    for wrong in ("", token + "x", token[:-1], "x" * 500):
        assert resolve_session(db_session, token=wrong) is None


def test_sessions_end_when_logged_out_expired_or_user_disabled(db_session, user):
    _, logged_out = start_session(db_session, user=user, lifetime=HOUR)
    _, expired = start_session(db_session, user=user, lifetime=HOUR)
    _, live = start_session(db_session, user=user, lifetime=HOUR)
    end_session(db_session, token=logged_out)
    db_session.commit()
    assert resolve_session(db_session, token=logged_out) is None
    assert resolve_session(db_session, token=expired, now=utcnow() + HOUR + timedelta(seconds=1)) is None
    assert resolve_session(db_session, token=live) is not None
    user.disabled_at = utcnow()
    db_session.commit()
    assert resolve_session(db_session, token=live) is None


def test_sessions_end_user_sessions_keeps_the_one_asked_and_counts_live_ones(db_session, user):
    kept, kept_token = start_session(db_session, user=user, lifetime=HOUR)
    _, other = start_session(db_session, user=user, lifetime=HOUR)
    _, ended = start_session(db_session, user=user, lifetime=HOUR)
    end_session(db_session, token=ended)
    assert end_user_sessions(db_session, user_id=user.id, reason="password_changed", keep_id=kept.id) == 1
    db_session.commit()
    assert resolve_session(db_session, token=other) is None
    assert resolve_session(db_session, token=kept_token) is not None
    assert [s.id for s in live_sessions(db_session, user_id=user.id)] == [kept.id]
    reasons = {s.revoked_reason for s in db_session.query(WebSession).filter(WebSession.id != kept.id)}
    assert reasons == {"logout", "password_changed"}


def test_sessions_last_seen_is_written_at_most_once_a_minute(db_session, user):
    row, token = start_session(db_session, user=user, lifetime=HOUR)
    db_session.commit()
    first_seen = row.last_seen_at
    resolve_session(db_session, token=token, now=first_seen + TOUCH_EVERY / 2)
    assert not db_session.is_modified(row)
    later = first_seen + TOUCH_EVERY * 2
    resolve_session(db_session, token=token, now=later)
    assert row.last_seen_at == later and db_session.is_modified(row)


def test_sessions_old_ended_rows_go_at_the_users_next_login(db_session, user):
    old, _ = start_session(db_session, user=user, lifetime=HOUR)
    recent, recent_token = start_session(db_session, user=user, lifetime=HOUR)
    end_session(db_session, token=recent_token)
    long_ago = utcnow() - KEEP_ENDED - timedelta(days=1)
    old.created_at, old.last_seen_at, old.expires_at = long_ago, long_ago, long_ago + HOUR
    db_session.commit()
    old_id, recent_id = old.id, recent.id
    start_session(db_session, user=user, lifetime=HOUR)
    db_session.commit()
    ids = set(db_session.scalars(select(WebSession.id)))
    assert old_id not in ids and recent_id in ids and len(ids) == 2
