"""Workspaces, API keys and users. Keys are shown once and stored as SHA-256 hashes (they are
long random strings, so a fast hash is enough); passwords use Werkzeug's scrypt hashing.
"""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from surveys.core.db import lock_rows, utcnow, workspace_row
from surveys.core.errors import Conflict, Invalid, NotFound
from surveys.core.hooks import Hook
from surveys.workspace.models import ROLES, ApiKey, User, Workspace
from surveys.workspace.secrets import initial_secrets, new_secret
from surveys.workspace.sessions import WebSession, end_user_sessions

KEY_PREFIX = "voc_"


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60]
    if not slug:
        raise Invalid(
            "A workspace name needs at least one letter or digit.",
            errors={"name": ["must contain a letter or digit"]},
        )
    return slug


def new_webhook_secret() -> str:
    """A fresh ``whsec_`` secret (see :mod:`surveys.workspace.secrets` for the three kinds)."""
    return new_secret("inbound")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


# Other domains' first steps for a new workspace (the analysis domain seeds its themes):
# ``step(session, workspace=..., taxonomy=...)``, registered by surveys.wiring.
workspace_created = Hook("workspace_created")


def create_workspace(
    session: Session, *, name: str, slug: str | None = None, taxonomy: str = "saas"
) -> Workspace:
    """Create a workspace that starts with a copy of the built-in ``taxonomy``'s themes."""
    slug = slug or slugify(name)
    if session.execute(select(Workspace.id).where(Workspace.slug == slug)).first():
        raise Conflict(f"A workspace with slug {slug!r} already exists.")
    # Inbound, outbound and widget secrets: three, never one reused for another purpose.
    workspace = Workspace(name=name, slug=slug, allowed_origins=[], branding={}, **initial_secrets())
    session.add(workspace)
    session.flush()
    workspace_created.run(session, workspace=workspace, taxonomy=taxonomy)
    return workspace


def get_workspace(session: Session, slug: str) -> Workspace:
    workspace = session.execute(select(Workspace).where(Workspace.slug == slug)).scalar_one_or_none()
    if workspace is None:
        raise NotFound(f"No workspace {slug!r}.")
    return workspace


def create_api_key(
    session: Session, *, workspace: Workspace, role: str, name: str = ""
) -> tuple[ApiKey, str]:
    if role not in ROLES:
        raise Invalid(f"Unknown role {role!r}.", errors={"role": [f"one of {', '.join(ROLES)}"]})
    plain = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(workspace_id=workspace.id, role=role, name=name, prefix=plain[:12], key_hash=hash_key(plain))
    session.add(key)
    session.flush()
    return key, plain


def authenticate_key(session: Session, plain: str) -> ApiKey | None:
    key = session.execute(
        select(ApiKey).where(ApiKey.key_hash == hash_key(plain), ApiKey.revoked_at.is_(None))
    ).scalar_one_or_none()
    return key


def revoke_api_key(session: Session, *, workspace: Workspace, key_id: str) -> None:
    key = session.get(ApiKey, key_id)
    if key is None or key.workspace_id != workspace.id:
        raise NotFound("No such API key.")
    key.revoked_at = utcnow()


def create_user(session: Session, *, workspace: Workspace, email: str, role: str, password: str) -> User:
    if role not in ("admin", "analyst"):
        raise Invalid("Users are admin or analyst.", errors={"role": ["admin or analyst"]})
    check_new_password(password)
    email = normalise_email(email)
    if "@" not in email:
        raise Invalid("That is not an email address.", errors={"email": ["not an email"]})
    exists = session.execute(
        select(User.id).where(User.workspace_id == workspace.id, User.email == email)
    ).first()
    if exists:
        raise Conflict(f"{email} is already a user of this workspace.")
    user = User(
        workspace_id=workspace.id, email=email, role=role, password_hash=generate_password_hash(password)
    )
    session.add(user)
    session.flush()
    return user


def check_password(user: User, password: str) -> bool:
    return check_password_hash(user.password_hash, password)


# ---- Users: login, passwords, disabling and removal --------------------------------------------

PASSWORD_MIN = 10
PASSWORD_MAX = 1000


# Checked when the email is unknown, so an unknown and a known email cost the same time.
@cache
def _dummy_hash() -> str:
    """A hash to check unknown users' passwords against (the same work as a real check, so
    timing tells nothing); made on first use, not at import, where scrypt cost every process
    (CLI, worker, web) about a tenth of a second of start-up."""
    return generate_password_hash(secrets.token_urlsafe(16))


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_new_password(password: str) -> None:
    if len(password) < PASSWORD_MIN:
        raise Invalid(
            f"Passwords need at least {PASSWORD_MIN} characters.",
            errors={"password": [f"at least {PASSWORD_MIN} characters"]},
        )
    if len(password) > PASSWORD_MAX:
        raise Invalid(
            f"Passwords have at most {PASSWORD_MAX} characters.",
            errors={"password": [f"at most {PASSWORD_MAX} characters"]},
        )


@dataclass(frozen=True)
class LoginAttempt:
    """Whom a login opens: one ``user``, or none because the credentials are wrong, match
    several workspaces (``ambiguous``) or only a disabled account (``disabled``)."""

    user: User | None
    ambiguous: bool = False
    disabled: bool = False


def authenticate_user(
    session: Session, *, email: str, password: str, workspace_slug: str = ""
) -> LoginAttempt:
    query = select(User).where(User.email == normalise_email(email))
    if workspace_slug.strip():
        query = query.join(Workspace, Workspace.id == User.workspace_id).where(
            Workspace.slug == workspace_slug.strip()
        )
    candidates = session.execute(query.limit(20)).scalars().all()
    if not candidates:
        check_password_hash(_dummy_hash(), password)
        return LoginAttempt(None)
    matching = [u for u in candidates if check_password(u, password)]
    enabled = [u for u in matching if u.disabled_at is None]
    if len(enabled) > 1:
        return LoginAttempt(None, ambiguous=True)
    if enabled:
        return LoginAttempt(enabled[0])
    # Said only to someone who knows the password: the account exists but is switched off.
    return LoginAttempt(None, disabled=bool(matching))


@dataclass(frozen=True)
class TeamMember:
    id: str
    email: str
    role: str
    created_at: datetime
    disabled_at: datetime | None
    last_login_at: datetime | None

    @property
    def status(self) -> str:
        return "disabled" if self.disabled_at else "active"


def list_users(session: Session, *, workspace_id: str) -> list[TeamMember]:
    """The workspace's users by email, each with the time of their latest login."""
    last_login = (
        select(WebSession.user_id, func.max(WebSession.created_at).label("at"))
        .group_by(WebSession.user_id)
        .subquery()
    )
    rows = session.execute(
        select(User, last_login.c.at)
        .outerjoin(last_login, last_login.c.user_id == User.id)
        .where(User.workspace_id == workspace_id)
        .order_by(User.email)
    ).all()
    return [
        TeamMember(
            id=user.id,
            email=user.email,
            role=user.role,
            created_at=user.created_at,
            disabled_at=user.disabled_at,
            last_login_at=at,
        )
        for user, at in rows
    ]


def find_user(session: Session, *, workspace: Workspace, email: str) -> User:
    user = session.execute(
        select(User).where(User.workspace_id == workspace.id, User.email == normalise_email(email))
    ).scalar_one_or_none()
    if user is None:
        raise NotFound(f"No user {normalise_email(email)!r} in workspace {workspace.slug!r}.")
    return user


def get_user(session: Session, *, workspace_id: str, user_id: str) -> User:
    user = workspace_row(session, User, user_id, workspace_id=workspace_id)
    if user is None:
        raise NotFound("No such user.")
    return user


def _keep_an_admin(session: Session, *, user: User, actor: User | None, verb: str) -> None:
    """Refuse to ``verb`` the acting admin's own account or the workspace's last active admin."""
    if actor is not None and actor.id == user.id:
        raise Conflict(f"You cannot {verb} your own account: ask another admin.")
    if user.role != "admin" or user.disabled_at is not None:
        return
    # Locked, so two admins disabling each other at once cannot both succeed.
    admins = (
        session.execute(
            lock_rows(
                session, select(User).where(User.workspace_id == user.workspace_id, User.role == "admin")
            )
        )
        .scalars()
        .all()
    )
    if not any(a.id != user.id and a.disabled_at is None for a in admins):
        raise Conflict(f"{user.email} is the last admin of this workspace: make someone else admin first.")


def disable_user(session: Session, *, user: User, actor: User | None = None) -> int:
    """Disable a user and end their sessions; returns how many were ended."""
    if user.disabled_at is None:
        _keep_an_admin(session, user=user, actor=actor, verb="disable")
        user.disabled_at = utcnow()
    session.flush()
    return end_user_sessions(session, user_id=user.id, reason="disabled")


def enable_user(session: Session, *, user: User) -> None:
    user.disabled_at = None
    session.flush()


# Other domains' steps before a user is deleted (cases held are reassigned):
# ``step(session, user=...)``, registered by surveys.wiring.
user_removed = Hook("user_removed")


def remove_user(session: Session, *, user: User, actor: User | None = None) -> int:
    """Delete a user and their sessions; returns how many live sessions that ended."""
    _keep_an_admin(session, user=user, actor=actor, verb="remove")
    user_removed.run(session, user=user)
    ended = end_user_sessions(session, user_id=user.id, reason="removed")
    # Explicit rather than left to ON DELETE CASCADE, which SQLite skips without its pragma.
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    session.delete(user)
    session.flush()
    return ended


def reset_password(
    session: Session,
    *,
    user: User,
    password: str,
    reason: str = "password_reset",
    keep_session_id: str | None = None,
) -> int:
    """Set a new password and end the user's sessions (but ``keep_session_id``); returns how many."""
    check_new_password(password)
    user.password_hash = generate_password_hash(password)
    session.flush()
    return end_user_sessions(session, user_id=user.id, reason=reason, keep_id=keep_session_id)


def change_password(session: Session, *, user: User, current_password: str, new_password: str) -> int:
    """A user's own change: the current password first. Ends all their sessions; the caller
    starts a fresh one for the browser that made the change."""
    if not check_password(user, current_password):
        raise Invalid("Your current password is not right.", errors={"current_password": ["does not match"]})
    if new_password == current_password:
        raise Invalid(
            "The new password is the same as the current one.", errors={"password": ["must be new"]}
        )
    return reset_password(session, user=user, password=new_password, reason="password_changed")
