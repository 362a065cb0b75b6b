"""``Idempotency-Key`` on creating POSTs: the same key and body replay the stored first answer,
the same key with another body is a 422, and a concurrent duplicate still in flight is a 409.

The key is claimed in its own short transaction (a unique constraint decides races), the view
runs, and the answer is stored; a failed request releases its key so it can be retried.
"""

import hashlib
from datetime import timedelta
from functools import wraps

from flask import current_app, g, make_response, request
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from surveys.core.db import db, utcnow
from surveys.core.errors import Conflict, Invalid
from surveys.core.ledgers import IdempotencyRecord

ABANDONED_AFTER = timedelta(minutes=2)


def _fingerprint() -> str:
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}\n".encode())
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _claim(workspace_id: str, key: str, fingerprint: str) -> IdempotencyRecord | None:
    """Insert the claim; on conflict return the existing record."""
    for _ in range(3):
        try:
            db.session.add(IdempotencyRecord(workspace_id=workspace_id, key=key, request_hash=fingerprint))
            db.session.commit()
            return None
        except IntegrityError:
            db.session.rollback()
        existing = db.session.execute(
            select(IdempotencyRecord).where(
                IdempotencyRecord.workspace_id == workspace_id, IdempotencyRecord.key == key
            )
        ).scalar_one_or_none()
        if existing is not None:
            return existing
        # The other request released its claim between our insert and our read: try again.
    raise Conflict("A request with this Idempotency-Key is still in progress.")


def _release(workspace_id: str, key: str) -> None:
    db.session.rollback()
    db.session.execute(
        delete(IdempotencyRecord).where(
            IdempotencyRecord.workspace_id == workspace_id, IdempotencyRecord.key == key
        )
    )
    db.session.commit()


def idempotent(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return view(*args, **kwargs)
        if not 1 <= len(key) <= 200:
            raise Invalid(
                "Idempotency-Key must be 1 to 200 characters.",
                errors={"Idempotency-Key": ["1 to 200 characters"]},
            )
        workspace_id = g.workspace.id
        fingerprint = _fingerprint()
        existing = _claim(workspace_id, key, fingerprint)
        if existing is not None:
            if existing.request_hash != fingerprint:
                raise Invalid(
                    "This Idempotency-Key was used with a different request.",
                    errors={"Idempotency-Key": ["reused with a different body"]},
                )
            if existing.status_code is None:
                if existing.created_at > utcnow() - ABANDONED_AFTER:
                    raise Conflict("A request with this Idempotency-Key is still in progress.")
                _release(workspace_id, key)  # its request died; let this one take over
                return wrapper(*args, **kwargs)
            response = current_app.response_class(
                current_app.json.dumps(existing.body),
                status=existing.status_code,
                mimetype="application/json",
            )
            response.headers["Idempotent-Replayed"] = "true"
            return response
        try:
            response = make_response(view(*args, **kwargs))
        except BaseException:
            _release(workspace_id, key)
            raise
        if 200 <= response.status_code < 300 and response.is_json:
            record = db.session.execute(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.workspace_id == workspace_id, IdempotencyRecord.key == key
                )
            ).scalar_one()
            record.status_code = response.status_code
            record.body = response.get_json()
            db.session.commit()
        else:
            _release(workspace_id, key)
        return response

    return wrapper
