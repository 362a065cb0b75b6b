"""API-key checks for every API request, cheap enough for the hot ingest path.

A request's key is checked against the database every time (a revoked key is refused on the very
next request, by every process), but in one short statement without the ORM: the key's role and
the fingerprint of its workspace row (``md5`` of the whole row's text). The workspace's columns
are cached per process by that fingerprint, so an unchanged workspace is not loaded again; any
change to it (settings, secrets, recontact window) changes the fingerprint and reloads it.
Only the cached column values are shared between threads; each request gets its own
:class:`~surveys.workspace.models.Workspace` instance in its own session.

A caller that can carry the check in its own first round trip (the events API) asks
:func:`assumed_key` instead: the grant this process's last check of the same key found, with
that check queued (:func:`surveys.core.pipeline.prelude`) ahead of the transaction's first
statement of the caller's and compared before any of their rows are used. Any difference (key
unknown or revoked, another role, another workspace row) raises :class:`StaleGrant`; the caller
rolls back and authenticates afresh, so the answer is the one a check made first would give.

On SQLite (the embedded default) the key and workspace are simply loaded with the ORM.
"""

import copy
from dataclasses import dataclass
from datetime import datetime
from threading import Lock

from sqlalchemy import inspect
from sqlalchemy.orm import Session, make_transient_to_detached

from surveys.core import pipeline
from surveys.core.db import is_postgres
from surveys.workspace.models import ApiKey, Workspace
from surveys.workspace.service import authenticate_key, hash_key


@dataclass(frozen=True)
class KeyGrant:
    """What a request may do: the key's id and role, and its workspace (in the caller's session)."""

    id: str
    role: str
    last_used_at: datetime | None
    workspace: Workspace


_CHECK = (
    "SELECT k.id, k.role, k.last_used_at, k.workspace_id, md5(w::text) "
    "FROM api_keys k JOIN workspaces w ON w.id = k.workspace_id "
    "WHERE k.key_hash = %s AND k.revoked_at IS NULL"
)
# workspace id -> (fingerprint, column values); bounded by the number of workspaces that call.
_WORKSPACES: dict[str, tuple[str, dict]] = {}
_LOCK = Lock()
# key hash -> the row _CHECK last returned for it in this process (PostgreSQL only).
_KEYS: dict[str, tuple] = {}
_MAX_KEYS = 10_000
_COLUMNS = [c.key for c in inspect(Workspace).column_attrs]
_MANAGER = inspect(Workspace).class_manager


def check_key(session: Session, plain: str) -> KeyGrant | None:
    """The grant of an unrevoked key, else None."""
    if not is_postgres(session):
        key = authenticate_key(session, plain)
        if key is None:
            return None
        return KeyGrant(key.id, key.role, key.last_used_at, key.workspace)
    # In a pipeline, so the transaction's BEGIN travels with it: one round trip.
    digest = hash_key(plain)
    (rows,) = pipeline.run(session, [(_CHECK, (digest,))])
    if not rows:
        _KEYS.pop(digest, None)
        return None
    _remember(digest, tuple(rows[0]))
    key_id, role, last_used_at, workspace_id, fingerprint = rows[0]
    return KeyGrant(key_id, role, last_used_at, _workspace(session, workspace_id, fingerprint))


class StaleGrant(Exception):  # noqa: N818 - not an error: a signal to authenticate afresh
    """An assumed grant (:func:`assumed_key`) no longer holds; roll back and call check_key."""


def assumed_key(session: Session, plain: str) -> KeyGrant | None:
    """The grant this process's last check of ``plain`` found, without a round trip: the check
    goes with the session's next :func:`surveys.core.pipeline.run` or ``fetch`` (or
    ``pipeline.settle``) and raises :class:`StaleGrant` there if the key, its role or its
    workspace row changed since. None when this process has not checked the key (or its
    workspace is not cached as it was then, or the database is not PostgreSQL)."""
    digest = hash_key(plain)
    seen = _KEYS.get(digest)
    if seen is None:
        return None
    key_id, role, last_used_at, workspace_id, fingerprint = seen
    cached = _WORKSPACES.get(workspace_id)
    if cached is None or cached[0] != fingerprint or not is_postgres(session):
        return None

    def confirm(rows: list) -> None:
        row = tuple(rows[0]) if rows else None
        if row is None or row[:2] != (key_id, role) or row[3:] != (workspace_id, fingerprint):
            _KEYS.pop(digest, None)
            raise StaleGrant()
        _remember(digest, row)  # its last use, as stored now

    pipeline.prelude(session, _CHECK, (digest,), confirm)
    return KeyGrant(key_id, role, last_used_at, _workspace(session, workspace_id, fingerprint))


def _remember(digest: str, row: tuple) -> None:
    if len(_KEYS) >= _MAX_KEYS and digest not in _KEYS:
        _KEYS.clear()  # bounded: more keys than this in use means checking them is the norm
    _KEYS[digest] = row


def _workspace(session: Session, workspace_id: str, fingerprint: str) -> Workspace:
    present = session.identity_map.get(session.identity_key(Workspace, workspace_id))
    if present is not None:
        return present
    cached = _WORKSPACES.get(workspace_id)
    if cached is None or cached[0] != fingerprint:
        loaded = session.get(Workspace, workspace_id)
        with _LOCK:
            _WORKSPACES[workspace_id] = (fingerprint, {c: getattr(loaded, c) for c in _COLUMNS})
        return loaded
    # As though just loaded: a new instance with these committed values (no constructor or
    # change events, and no second copy as session.merge would make), attached to this session.
    workspace = _MANAGER.new_instance()
    # A fresh instance has no history to keep: its dict is what the loader would fill.
    workspace.__dict__.update({column: _copied(value) for column, value in cached[1].items()})
    make_transient_to_detached(workspace)
    session.add(workspace)
    return workspace


def _copied(value):
    # JSON columns hold lists and dicts a request could change in place: never share those.
    return copy.deepcopy(value) if isinstance(value, dict | list) else value


def touch_key(session: Session, key_id: str, at: datetime) -> None:
    """Record that a key was used (committed with the request's own work, if any)."""
    session.execute(ApiKey.__table__.update().where(ApiKey.id == key_id).values(last_used_at=at))
