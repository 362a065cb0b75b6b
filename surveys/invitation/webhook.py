"""Signed outbound HTTP posts (Standard Webhooks), used by the ``webhook`` channel.

The target is checked against :mod:`surveys.core.netguard` again right before each call, since DNS
may have changed since the URL was saved, and the connection goes to an address that check
resolved, never to a second lookup of the name (DNS rebinding). The URL keeps its host name for
the ``Host`` header, TLS SNI and certificate verification; only the TCP connection is pinned.
Proxy settings from the environment are ignored: a proxy would resolve the name itself.

Deliveries are signed with the workspace's *outbound* secret (never the inbound one, which would
let every receiver forge inbound events). During a rotation's overlap the header carries one
signature per secret, space-separated, as Standard Webhooks allows, so receivers can switch over
at their own pace.
"""

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from standardwebhooks.webhooks import Webhook
from urllib3.exceptions import NewConnectionError

from surveys.core.netguard import Resolver, Target, resolve_url

TIMEOUT = (3.05, 10)


class DeliveryError(Exception):
    """The receiver did not accept the message; the caller reschedules."""


def signed_headers(
    secret: str | Sequence[str], message_id: str, body: str, at: datetime | None = None
) -> dict:
    at = at or datetime.now(UTC)
    secrets = [secret] if isinstance(secret, str) else list(secret)
    if not secrets:
        raise ValueError("at least one signing secret is needed")
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": " ".join(Webhook(s).sign(message_id, at, body) for s in secrets),
        "user-agent": "vocservice-webhooks/1",
    }


class _PinnedAdapter(HTTPAdapter):
    """Connects to the URL's host (an IP address) but speaks TLS as ``server_hostname``: SNI
    and certificate verification use the name that was checked, not the address."""

    def __init__(self, server_hostname: str) -> None:
        self._server_hostname = server_hostname
        super().__init__(max_retries=0)

    def init_poolmanager(self, connections, maxsize, block=False, **pool_kwargs):
        pool_kwargs["server_hostname"] = self._server_hostname
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)


def _address_url(target: Target, address: str) -> str:
    """The target URL with its host replaced by ``address`` (path and query kept verbatim)."""
    parts = urlsplit(target.url)
    host = f"[{address}]" if ":" in address else address
    return urlunsplit((target.scheme, f"{host}:{target.port}", parts.path or "/", parts.query, ""))


def _connect_failed(exc: requests.RequestException) -> bool:
    """True when nothing was sent (the TCP connection never opened), so the next address may
    be tried without risking a second delivery."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(exc, requests.exceptions.ConnectionError) and isinstance(reason, NewConnectionError)


def post_pinned(
    target: Target, *, body: bytes, headers: dict, verify: bool | str = True
) -> requests.Response:
    """POST ``body`` to ``target``, connecting only to its checked addresses, in order."""
    headers = {**headers, "Host": target.host_header}
    last: requests.RequestException | None = None
    for address in target.addresses:
        with requests.Session() as session:
            session.trust_env = False  # no proxies, no netrc: they would bypass the pinning
            session.mount(f"{target.scheme}://", _PinnedAdapter(target.host))
            try:
                response = session.post(
                    _address_url(target, address),
                    data=body,
                    headers=headers,
                    timeout=TIMEOUT,
                    allow_redirects=False,
                    verify=verify,
                    stream=True,
                )
                response.close()  # the status is all we need; never read a large body
                return response
            except requests.RequestException as exc:
                last = exc
                if not _connect_failed(exc):
                    raise
    raise last or DeliveryError("the target has no address")


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
