"""check_key: the per-process workspace cache hands each request a clean, attached copy."""

from sqlalchemy import inspect, update

from surveys.workspace.keys import check_key
from surveys.workspace.models import Workspace


def test_cached_workspace_is_a_clean_private_copy_that_follows_changes(app, db_session, workspace):
    first = check_key(db_session, workspace.api_key).workspace  # loads and caches
    db_session.rollback()
    db_session.expunge_all()

    cached = check_key(db_session, workspace.api_key).workspace  # built from the cache
    state = inspect(cached)
    assert state.persistent and state.session is db_session()
    assert not db_session.dirty and not state.modified
    assert cached is not first
    assert cached.id == workspace.workspace.id and cached.name == "Acme Test"
    assert db_session.get(Workspace, cached.id) is cached  # the identity map holds it
    # JSON values are the request's own: changing one in place reaches neither the cache nor
    # the next request.
    cached.branding["color"] = "#123456"
    db_session.rollback()
    db_session.expunge_all()
    again = check_key(db_session, workspace.api_key).workspace
    assert "color" not in again.branding

    # A change to the row changes its fingerprint: the next request sees the new value.
    db_session.execute(update(Workspace).where(Workspace.id == again.id).values(recontact_days=7))
    db_session.commit()
    db_session.expunge_all()
    assert check_key(db_session, workspace.api_key).workspace.recontact_days == 7
    db_session.rollback()
