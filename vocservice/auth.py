"""API-key authentication: ``Authorization: Bearer <key>``, one workspace per key, roles.

``admin`` may do everything, ``analyst`` reads feedback and manages analysis objects, ``ingest``
only posts events, responses and contacts.
"""

from datetime import timedelta
from functools import wraps

from flask import g, request

from surveys.core.db import db, utcnow
from surveys.core.errors import Forbidden, Unauthorized
from surveys.workspace.keys import check_key, touch_key

READ = ("admin", "analyst")
INGEST = ("admin", "ingest")
ADMIN = ("admin",)


def require(roles: tuple[str, ...]):
    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise Unauthorized("Send an API key as 'Authorization: Bearer <key>'.")
            key = check_key(db.session, token.strip())
            if key is None:
                raise Unauthorized("The API key is unknown or revoked.")
            if key.role not in roles:
                raise Forbidden(f"An {key.role} key cannot do this; it needs {' or '.join(roles)}.")
            now = utcnow()
            if key.last_used_at is None or key.last_used_at < now - timedelta(minutes=5):
                touch_key(db.session, key.id, now)  # committed with the request's own work, if any
            g.api_key = key
            g.workspace = key.workspace
            return view(*args, **kwargs)

        wrapper._voc_roles = roles
        return wrapper

    return decorator
