"""Signed outbound HTTP posts (Standard Webhooks), used by the ``webhook`` channel.

The target is checked against :mod:`surveys.core.netguard` again right before each call, since DNS
may have changed since the URL was saved.
"""

import json
from datetime import UTC, datetime

import requests
from standardwebhooks.webhooks import Webhook

from surveys.core.netguard import check_url

TIMEOUT = (3.05, 10)


class DeliveryError(Exception):
    """The receiver did not accept the message; the caller reschedules."""


def signed_headers(secret: str, message_id: str, body: str, at: datetime | None = None) -> dict:
    at = at or datetime.now(UTC)
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, at, body),
        "user-agent": "vocservice-webhooks/1",
    }


def post_signed(url: str, *, secret: str, message_id: str, payload: dict, allow_private: bool) -> int:
    check_url(url, allow_private=allow_private)
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True)
    try:
        response = requests.post(
            url,
            data=body.encode(),
            headers=signed_headers(secret, message_id, body),
            timeout=TIMEOUT,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
    if not 200 <= response.status_code < 300:
        raise DeliveryError(f"HTTP {response.status_code} from receiver")
    return response.status_code
