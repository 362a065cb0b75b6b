"""Each webhook endpoint's own ``whsec_`` signing secret: shown once at creation or rotation;
during a rotation's overlap deliveries carry a signature made with each secret, so the receiver
can switch at its own pace (the same rules as the workspace's secrets)."""

from datetime import datetime, timedelta

from surveys.core.db import utcnow
from surveys.core.errors import Invalid
from surveys.webhook.models import WebhookEndpoint
from surveys.workspace.secrets import DEFAULT_OVERLAP, MAX_OVERLAP, new_secret


def new_endpoint_secret() -> str:
    return new_secret("outbound")


def signing_secrets(endpoint: WebhookEndpoint, *, now: datetime | None = None) -> list[str]:
    """The current secret, then the previous one while its overlap lasts."""
    found = [endpoint.secret]
    expires = endpoint.secret_previous_expires_at
    if endpoint.secret_previous and expires is not None and expires > (now or utcnow()):
        found.append(endpoint.secret_previous)
    return found


def rotate(
    endpoint: WebhookEndpoint, *, overlap: timedelta = DEFAULT_OVERLAP, now: datetime | None = None
) -> str:
    """Give ``endpoint`` a new secret (returned, to be shown once); the old one keeps signing
    for ``overlap`` (0: not at all). The caller holds the row lock and commits."""
    if not timedelta(0) <= overlap <= MAX_OVERLAP:
        raise Invalid("The overlap must be between 0 and 720 hours.", errors={"overlap_hours": ["0 to 720"]})
    now = now or utcnow()
    new = new_endpoint_secret()
    endpoint.secret_previous = endpoint.secret if overlap else None
    endpoint.secret_previous_expires_at = now + overlap if overlap else None
    endpoint.secret = new
    return new
