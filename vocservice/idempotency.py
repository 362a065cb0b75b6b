"""``Idempotency-Key`` on creating POSTs: the same key and body replay the stored first answer,
the same key with another body is a 422, and a concurrent duplicate still in flight is a 409.

:func:`idempotent` also owns the commit of the views it wraps (they only flush): the key is
claimed in its own short transaction (a unique constraint decides races), the view runs, and its
work is committed **in one transaction with the stored answer**, so a crash can never leave work
done without the answer a retry needs. A failed request releases its key so it can be retried.

A key is 1 to 200 visible ASCII characters other than a comma (a UUID is typical); two keys on
one request are a 400.
"""

import hashlib
import re
from datetime import timedelta
from functools import wraps

from flask import current_app, g, make_response, request
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from surveys.core.db import db, utcnow
from surveys.core.errors import Conflict, Invalid, Malformed
from surveys.core.ledgers import IdempotencyRecord

ABANDONED_AFTER = timedelta(minutes=2)
KEY_FORMAT = re.compile(r"[\x21-\x7e]{1,200}")


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


def _key() -> str | None:
    # A server joins repeated headers with commas (WSGI has one value per name): a comma means two.
    if "Idempotency-Key" not in request.headers:
        return None
    keys = [k.strip() for k in ",".join(request.headers.getlist("Idempotency-Key")).split(",")]
    if len(keys) > 1:
        raise Malformed(
            "Send one Idempotency-Key header, not several.",
            errors={"Idempotency-Key": ["sent more than once"]},
        )
    if not KEY_FORMAT.fullmatch(keys[0]):
        raise Invalid(
            "Idempotency-Key must be 1 to 200 visible ASCII characters, such as a UUID.",
            errors={"Idempotency-Key": ["1 to 200 visible ASCII characters"]},
        )
    return keys[0]


def _run(view, args, kwargs):
    """The view's answer; its work is left uncommitted for the caller to commit or roll back."""
    try:
        return make_response(view(*args, **kwargs))
    except BaseException:
        db.session.rollback()
        raise


def idempotent(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        key = _key()
        if key is None:
            response = _run(view, args, kwargs)
            if 200 <= response.status_code < 300:
                db.session.commit()
            else:
                db.session.rollback()
            return response
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
            response = _run(view, args, kwargs)
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
            db.session.commit()  # the work and its stored answer, together
        else:
            _release(workspace_id, key)
        return response

    return wrapper
