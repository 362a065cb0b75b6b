"""A workspace's three secrets, kept apart because they protect different things:

- ``inbound`` (``whsec_``): other systems sign journey events and roadmap updates with it;
- ``outbound`` (``whsec_``): we sign webhook-channel deliveries with it, so a receiver, who
  must know it, can verify our messages but cannot forge inbound ones;
- ``widget`` (``widsec_``): the host site's backend signs a customer's external id with it
  (``contact_token``), so a widget answer is tied to a customer only when the site vouches.

Secrets are shown once, when created or rotated. Rotation keeps the previous secret valid for
an overlap window (default 24 hours; 0 ends it at once): inbound and widget signatures made
with either are accepted, and outbound deliveries carry a signature with each. Only one
previous secret is kept: rotating again during a window ends the older one.
"""

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys.core.db import lock_rows, utcnow
from surveys.core.errors import Invalid
from surveys.workspace.models import Workspace

KINDS = ("inbound", "outbound", "widget")
# kind -> the Workspace column holding its current secret ("<column>_previous[_expires_at]" too)
COLUMNS = {"inbound": "webhook_secret", "outbound": "outbound_webhook_secret", "widget": "widget_secret"}
DEFAULT_OVERLAP = timedelta(hours=24)
MAX_OVERLAP = timedelta(days=30)
_HEX_DIGEST = re.compile(r"[0-9a-fA-F]{64}")
_B64_DIGEST = re.compile(r"[A-Za-z0-9_+/-]{43}=?")


def new_secret(kind: str) -> str:
    if kind == "widget":
        return "widsec_" + secrets.token_urlsafe(32)
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def initial_secrets() -> dict[str, str]:
    """Fresh, distinct secrets of every kind, as Workspace column values."""
    return {COLUMNS[kind]: new_secret(kind) for kind in KINDS}


def _check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise Invalid(f"Unknown secret kind {kind!r}.", errors={"kind": [f"one of {', '.join(KINDS)}"]})
    return COLUMNS[kind]


def valid_secrets(workspace: Workspace, kind: str, *, now: datetime | None = None) -> list[str]:
    """The secrets of ``kind`` in force: the current one, then the previous one while its
    overlap window lasts."""
    column = _check_kind(kind)
    found = [getattr(workspace, column)]
    if previous_valid_until(workspace, kind, now=now):
        found.append(getattr(workspace, f"{column}_previous"))
    return found


def previous_valid_until(workspace: Workspace, kind: str, *, now: datetime | None = None) -> datetime | None:
    """When the previous ``kind`` secret stops working, or None if it already has."""
    column = _check_kind(kind)
    expires_at = getattr(workspace, f"{column}_previous_expires_at")
    if getattr(workspace, f"{column}_previous") and expires_at is not None and expires_at > (now or utcnow()):
        return expires_at
    return None


@dataclass(frozen=True)
class Rotation:
    kind: str
    secret: str  # the new secret, to be shown once
    previous_expires_at: datetime | None  # until when the old one still works (None: already not)


def rotate_secret(
    session: Session,
    *,
    workspace: Workspace,
    kind: str,
    overlap: timedelta = DEFAULT_OVERLAP,
    now: datetime | None = None,
) -> Rotation:
    """Replace the ``kind`` secret; the old one stays valid for ``overlap`` (0 = not at all)."""
    column = _check_kind(kind)
    if not timedelta(0) <= overlap <= MAX_OVERLAP:
        raise Invalid("The overlap must be between 0 and 720 hours.", errors={"overlap_hours": ["0 to 720"]})
    now = now or utcnow()
    # Locked, so two rotations at once end with one of them current and the other previous.
    query = lock_rows(session, select(Workspace).where(Workspace.id == workspace.id))
    row = session.execute(query.execution_options(populate_existing=True)).scalar_one()
    new = new_secret(kind)
    expires_at = now + overlap if overlap else None
    setattr(row, f"{column}_previous", getattr(row, column) if overlap else None)
    setattr(row, f"{column}_previous_expires_at", expires_at)
    setattr(row, column, new)
    session.flush()
    return Rotation(kind=kind, secret=new, previous_expires_at=expires_at)


def contact_token(secret: str, external_id: str) -> str:
    """What the host site's backend computes: hex HMAC-SHA256 of the external id, keyed with
    the whole widget secret string (prefix included), both UTF-8."""
    return hmac.new(secret.encode(), external_id.encode(), hashlib.sha256).hexdigest()


def _digest_of(token: str) -> bytes | None:
    """The 32 bytes a token spells, as hex or (unpadded or padded) base64url/base64; else None."""
    token = token.strip()
    try:
        if _HEX_DIGEST.fullmatch(token):
            return bytes.fromhex(token)
        if _B64_DIGEST.fullmatch(token):
            return base64.urlsafe_b64decode(token.rstrip("=").replace("+", "-").replace("/", "_") + "=")
    except (ValueError, binascii.Error):
        return None
    return None


def verify_contact_token(
    workspace: Workspace, external_id: str, token: str, *, now: datetime | None = None
) -> bool:
    """True if ``token`` is the widget contact token of ``external_id`` under a widget secret in
    force. Compared in constant time against each candidate."""
    given = _digest_of(token)
    if given is None or len(given) != 32:
        return False
    ok = False
    for secret in valid_secrets(workspace, "widget", now=now):
        expected = hmac.new(secret.encode(), external_id.encode(), hashlib.sha256).digest()
        ok |= hmac.compare_digest(expected, given)
    return ok
