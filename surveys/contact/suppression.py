"""People who asked to be erased, kept as keyed hashes so they are never invited again.

A suppression is HMAC-SHA256(app secret, normalised identifier) per workspace, for the e-mail
address (trimmed, lower-cased) and the external id (trimmed) alike: the table never holds the
address, and without the secret a digest cannot be tested against guesses. ``create_app`` hands
the key over once (:func:`set_key`); the domain never reads configuration itself.

Journey events for a suppressed person are acknowledged and dropped (no contact, no event, no
invitation: :mod:`surveys.event.service` asks :func:`suppressed_keys`); answers posted for them
through the API are refused (:func:`refusal`), so nothing of theirs is stored again.

Each workspace counts its suppressions (``workspaces.suppressions``, kept by :func:`suppress`):
and while a workspace has none the lookup costs nothing,
not a round trip per event. The count is part of the workspace row, so the per-process cache of
workspaces (validated by the row's fingerprint on every request) sees a new suppression at once.
"""

import hashlib
import hmac
from datetime import datetime

from sqlalchemy import ForeignKey, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from surveys.core import pipeline
from surveys.core.db import created_column, db, is_postgres, upsert_insert, utcnow
from surveys.core.errors import Invalid
from surveys.workspace.models import Workspace

_key: bytes = b"vocservice-unconfigured"


class ContactSuppression(db.Model):
    __tablename__ = "contact_suppressions"
    __privacy__ = {"action": "keep", "why": "keyed hashes only: no address, no external id"}
    workspace_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = created_column()


def set_key(secret: str | bytes) -> None:
    """The HMAC key (the app's SECRET_KEY); called by ``create_app``."""
    global _key
    _key = secret.encode() if isinstance(secret, str) else bytes(secret)


def normalise_email(value: str) -> str:
    return "".join(value.split()).lower()


def normalise_external_id(value: str) -> str:
    return value.strip()


def digest(kind: str, value: str) -> str:
    """The keyed hash of an identifier of ``kind`` ("email" or "external_id")."""
    normal = normalise_email(value) if kind == "email" else normalise_external_id(value)
    return hmac.new(_key, f"{kind}:{normal}".encode(), hashlib.sha256).hexdigest()


def digests_of(contact: dict) -> list[str]:
    found = []
    if contact.get("email"):
        found.append(digest("email", str(contact["email"])))
    if contact.get("external_id"):
        found.append(digest("external_id", str(contact["external_id"])))
    return found


def suppress(session: Session, *, workspace_id: str, digests: list[str]) -> None:
    rows = [{"workspace_id": workspace_id, "digest": d, "created_at": utcnow()} for d in digests]
    if not rows:
        return
    stmt = upsert_insert(session, ContactSuppression.__table__).values(rows)
    added = len(session.execute(stmt.on_conflict_do_nothing().returning(ContactSuppression.digest)).all())
    if added:
        session.execute(
            update(Workspace)
            .where(Workspace.id == workspace_id)
            .values(suppressions=Workspace.suppressions + added)
            .execution_options(synchronize_session=False)
        )


# The digests joined as unnest(...): one index probe each (see surveys.response.batch._KNOWN_SQL).
_SUPPRESSED_SQL = (
    "SELECT s.digest FROM unnest(%s::varchar[]) AS d(digest) "
    "JOIN contact_suppressions s ON s.workspace_id = %s AND s.digest = d.digest"
)


def suppressed_keys(session: Session, *, workspace: Workspace, contacts: dict[str, dict]) -> set[str]:
    """Which of ``contacts`` (contact key -> contact data) name a suppressed person; nothing is
    read while ``workspace`` has suppressed nobody (its ``suppressions`` count)."""
    if not workspace.suppressions:
        return set()
    workspace_id = workspace.id
    wanted = {key: digests_of(data) for key, data in contacts.items()}
    every = sorted({d for found in wanted.values() for d in found})
    if not every:
        return set()
    if is_postgres(session):
        hits = {row.digest for row in pipeline.fetch(session, _SUPPRESSED_SQL, (every, workspace_id))}
    else:
        hits = set(
            session.execute(
                select(ContactSuppression.digest).where(
                    ContactSuppression.workspace_id == workspace_id, ContactSuppression.digest.in_(every)
                )
            ).scalars()
        )
    if not hits:
        return set()
    return {key for key, found in wanted.items() if hits.intersection(found)}


def refusal() -> Invalid:
    """The problem an answer posted for a suppressed person gets (its sender knows them already)."""
    return Invalid(
        "This person asked to be erased: nothing about them is stored.",
        errors={"contact": ["erased at their request"]},
    )
