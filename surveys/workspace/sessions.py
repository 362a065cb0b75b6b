"""Web app sessions kept server-side, so logging out, a password change or disabling a user
ends them even where a browser (or an attacker) kept the cookie.

The browser's signed cookie holds only a random token; the table holds its SHA-256 hash as the
row id, so the table alone never lets anyone resume a session. A session is good while it is
not revoked, not past ``expires_at`` and its user is not disabled.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import String, delete, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from surveys.core.db import UTCDateTime, created_column, db, fk_column, utcnow
from surveys.workspace.models import User

# last_seen_at is written at most this often per session: one UPDATE per request would be waste.
TOUCH_EVERY = timedelta(minutes=1)
# Ended and expired sessions stay this long (when did who log in), then go at that user's next login.
KEEP_ENDED = timedelta(days=30)


class WebSession(db.Model):
    __tablename__ = "web_sessions"
    __privacy__ = {"action": "keep", "free_text": ["user_agent"], "why": "staff sessions"}
    # SHA-256 hex of the token in the cookie.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = fk_column("users.id", index=True)
    created_at: Mapped[datetime] = created_column()
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # logout, password_changed, password_reset, disabled, removed, ended
    revoked_reason: Mapped[str | None] = mapped_column(String(32))
    user_agent: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    user: Mapped[User] = relationship(lazy="joined")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(
    session: Session, *, user: User, lifetime: timedelta, user_agent: str = ""
) -> tuple[WebSession, str]:
    """A new session for ``user``; returns it and the token for the cookie (kept nowhere else)."""
    now = utcnow()
    session.execute(
        delete(WebSession).where(
            WebSession.user_id == user.id,
            or_(WebSession.expires_at < now - KEEP_ENDED, WebSession.revoked_at < now - KEEP_ENDED),
        )
    )
    token = secrets.token_urlsafe(32)
    row = WebSession(
        id=hash_token(token),
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + lifetime,
        user_agent=(user_agent or "")[:300],
    )
    session.add(row)
    session.flush()
    return row, token


def resolve_session(session: Session, *, token: str, now: datetime | None = None) -> WebSession | None:
    """The live session this token opens, or None (unknown, ended, expired or user disabled).

    Marks it seen (at most once per ``TOUCH_EVERY``); the caller commits.
    """
    if not token or len(token) > 200:
        return None
    now = now or utcnow()
    row = session.get(WebSession, hash_token(token))
    if row is None or row.revoked_at is not None or row.expires_at <= now or row.user.disabled_at is not None:
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return row


def end_session(session: Session, *, token: str, reason: str = "logout") -> None:
    """End the session this token opens (nothing happens for an unknown or ended one)."""
    session.execute(
        update(WebSession)
        .where(WebSession.id == hash_token(token), WebSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
    )


def end_user_sessions(session: Session, *, user_id: str, reason: str, keep_id: str | None = None) -> int:
    """End every live session of a user (but ``keep_id``); returns how many were live."""
    query = (
        update(WebSession)
        .where(
            WebSession.user_id == user_id,
            WebSession.revoked_at.is_(None),
            WebSession.expires_at > utcnow(),
        )
        .values(revoked_at=utcnow(), revoked_reason=reason)
    )
    if keep_id is not None:
        query = query.where(WebSession.id != keep_id)
    return session.execute(query.execution_options(synchronize_session=False)).rowcount


def live_sessions(session: Session, *, user_id: str) -> list[WebSession]:
    now = utcnow()
    return list(
        session.execute(
            select(WebSession)
            .where(
                WebSession.user_id == user_id, WebSession.revoked_at.is_(None), WebSession.expires_at > now
            )
            .order_by(WebSession.last_seen_at.desc())
        ).scalars()
    )
