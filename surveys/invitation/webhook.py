"""Signed posts of the touchpoint ``webhook`` channel (the HTTP part: :mod:`surveys.core.outbound`,
which checks and pins the address at each call).

Deliveries are signed with the workspace's *outbound* secret (never the inbound one, which would
let every receiver forge inbound events). During a rotation's overlap the header carries one
signature per secret, space-separated, as Standard Webhooks allows, so receivers can switch over
at their own pace.
"""

import json
from collections.abc import Sequence

import requests

from surveys.core.netguard import Resolver, resolve_url
from surveys.core.outbound import post_pinned, signed_headers


class DeliveryError(Exception):
    """The receiver did not accept the message; the caller reschedules."""


def post_signed(
    url: str,
    *,
    secret: str | Sequence[str],
    message_id: str,
    payload: dict,
    allow_private: bool,
    resolver: Resolver | None = None,
    verify: bool | str = True,
) -> int:
    """Sign ``payload`` with ``secret`` (or each of several) and POST it to ``url``.

    ``resolver`` and ``verify`` (a CA bundle path) exist for tests with local receivers."""
    target = resolve_url(url, allow_private=allow_private, resolver=resolver)
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True)
    try:
        response = post_pinned(
            target, body=body.encode(), headers=signed_headers(secret, message_id, body), verify=verify
        )
    except requests.RequestException as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
    if not 200 <= response.status_code < 300:
        raise DeliveryError(f"HTTP {response.status_code} from receiver")
    return response.status_code
