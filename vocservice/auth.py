"""API-key authentication: ``Authorization: Bearer <key>``, one workspace per key, roles.

``admin`` may do everything, ``analyst`` reads feedback and manages analysis objects, ``ingest``
only posts events, responses and contacts.
"""

from datetime import timedelta
from functools import wraps

from flask import g, request

from surveys.core import pipeline
from surveys.core.db import db, utcnow
from surveys.core.errors import Forbidden, Unauthorized
from surveys.workspace.keys import StaleGrant, assumed_key, check_key, touch_key

READ = ("admin", "analyst")
INGEST = ("admin", "ingest")
ADMIN = ("admin",)


def require(roles: tuple[str, ...], *, checked_with_first_statement: bool = False):
    """The view runs with ``g.api_key`` and ``g.workspace`` of a key with one of ``roles``.

    ``checked_with_first_statement``: for a view whose first statement goes through
    :mod:`surveys.core.pipeline` and that calls ``pipeline.settle`` before it commits (the
    events API). A key this process has checked before is then assumed to be as it was, and its
    check travels in that round trip (:func:`surveys.workspace.keys.assumed_key`): a request
    costs one round trip less. Should the check find the key revoked, its role or its workspace
    row changed, the work is rolled back and the request authenticated afresh; should the view
    fail before the check was sent, it is sent then, so an unknown key is a 401 whatever the
    body. Either way the answer is the one a check made first would give."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise Unauthorized("Send an API key as 'Authorization: Bearer <key>'.")
            token = token.strip()
            # With an Idempotency-Key the claim commits first, before any statement of the view.
            if checked_with_first_statement and "Idempotency-Key" not in request.headers:
                key = assumed_key(db.session, token)
                if key is not None and key.role in roles:
                    try:
                        response = _granted(key, view, args, kwargs)
                    except StaleGrant:
                        db.session.rollback()
                    except Exception:
                        if _still_granted():
                            raise
                    else:
                        # Only an answer the view gave without committing can still be
                        # unchecked here (a 4xx it rolled back): see the contract above.
                        if _still_granted():
                            return response
                    finally:
                        pipeline.discard(db.session)
                    # Changed since: authenticate afresh (and run the view again if allowed).
                elif key is not None:
                    pipeline.discard(db.session)
            key = check_key(db.session, token)
            if key is None:
                raise Unauthorized("The API key is unknown or revoked.")
            if key.role not in roles:
                raise Forbidden(f"An {key.role} key cannot do this; it needs {' or '.join(roles)}.")
            return _granted(key, view, args, kwargs)

        wrapper._voc_roles = roles
        return wrapper

    return decorator


def _granted(key, view, args, kwargs):
    now = utcnow()
    if key.last_used_at is None or key.last_used_at < now - timedelta(minutes=5):
        touch_key(db.session, key.id, now)  # committed with the request's own work, if any
    g.api_key = key
    g.workspace = key.workspace
    return view(*args, **kwargs)


def _still_granted() -> bool:
    """After the view failed: whether the assumed grant holds (checked now if it was not yet)."""
    if not pipeline.pending(db.session):
        return True
    db.session.rollback()
    try:
        pipeline.settle(db.session)
    except StaleGrant:
        db.session.rollback()
        return False
    return True
