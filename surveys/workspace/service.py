"""Workspaces, API keys and users. Keys are shown once and stored as SHA-256 hashes (they are
long random strings, so a fast hash is enough); passwords use Werkzeug's scrypt hashing.
"""

import base64
import hashlib
import re
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from surveys.core.db import utcnow
from surveys.core.errors import Conflict, Invalid, NotFound
from surveys.core.hooks import Hook
from surveys.workspace.models import ROLES, ApiKey, User, Workspace

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
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


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
    workspace = Workspace(
        name=name, slug=slug, webhook_secret=new_webhook_secret(), allowed_origins=[], branding={}
    )
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
    if len(password) < 10:
        raise Invalid(
            "Passwords need at least 10 characters.", errors={"password": ["at least 10 characters"]}
        )
    email = email.strip().lower()
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
