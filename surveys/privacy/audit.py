"""The privacy audit log: who asked for an export or an erasure, and when; never of whom."""

from sqlalchemy.orm import Session

from surveys.core.db import utcnow
from surveys.privacy.models import PrivacyAudit


def record(
    session: Session,
    *,
    workspace_id: str,
    action: str,
    actor_kind: str,
    actor_id: str | None,
    request_id: str | None = None,
) -> None:
    session.add(
        PrivacyAudit(
            workspace_id=workspace_id,
            action=action,
            actor_kind=actor_kind,
            actor_id=actor_id,
            request_id=request_id,
            at=utcnow(),
        )
    )
