"""Signed outbound HTTP posts (Standard Webhooks) to checked, pinned addresses.

Used by the touchpoint ``webhook`` channel (:mod:`surveys.invitation.webhook`) and by outbound
event webhooks (:mod:`surveys.webhook.delivery`). The target is checked against
:mod:`surveys.core.netguard` right before each call, since DNS may have changed since the URL was
saved, and the connection goes to an address that check resolved, never to a second lookup of
the name (DNS rebinding). The URL keeps its host name for the ``Host`` header, TLS SNI and
certificate verification; only the TCP connection is pinned. Proxy settings from the environment
are ignored (a proxy would resolve the name itself) and redirects are never followed.
"""

import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from standardwebhooks.webhooks import Webhook
from urllib3.exceptions import HTTPError, NewConnectionError

from surveys.core.netguard import Target

# (connect, read) seconds per socket operation; the whole reply is also bounded by DEADLINE.
TIMEOUT = (3.05, 10)
DEADLINE = 15.0
USER_AGENT = "vocservice-webhooks/1"


def signed_headers(
    secret: str | Sequence[str], message_id: str, body: str, at: datetime | None = None
) -> dict:
    """Standard Webhooks headers: one ``v1,`` signature per secret, space-separated."""
    at = at or datetime.now(UTC)
    secrets = [secret] if isinstance(secret, str) else list(secret)
    if not secrets:
        raise ValueError("at least one signing secret is needed")
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": " ".join(Webhook(s).sign(message_id, at, body) for s in secrets),
        "user-agent": USER_AGENT,
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


@dataclass(frozen=True)
class Reply:
    status_code: int
    headers: dict = field(default_factory=dict)
    excerpt: str = ""  # at most the bytes asked for, decoded leniently


def _read_excerpt(response: requests.Response, limit: int, deadline: float) -> str:
    """Up to ``limit`` bytes of the body, never more however large it is, and nothing once the
    deadline has passed (a receiver that drips its reply cannot hold the worker)."""
    if limit <= 0:
        return ""
    chunks: list[bytes] = []
    size = 0
    # A reply cut mid-body still has its status code: keep what arrived.
    with contextlib.suppress(OSError, HTTPError):
        for chunk in response.raw.stream(1024, decode_content=True):
            chunks.append(chunk)
            size += len(chunk)
            if size >= limit or time.monotonic() > deadline:
                break
    return b"".join(chunks)[:limit].decode("utf-8", "replace")


def post_pinned(
    target: Target, *, body: bytes, headers: dict, verify: bool | str = True, excerpt_bytes: int = 0
) -> Reply:
    """POST ``body`` to ``target``, connecting only to its checked addresses, in order."""
    headers = {**headers, "Host": target.host_header}
    last: requests.RequestException | None = None
    deadline = time.monotonic() + DEADLINE
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
                try:
                    excerpt = _read_excerpt(response, excerpt_bytes, deadline)
                finally:
                    response.close()  # never read a large body to its end
                return Reply(response.status_code, dict(response.headers), excerpt)
            except requests.RequestException as exc:
                last = exc
                if not _connect_failed(exc):
                    raise
    raise last or requests.ConnectionError("the target has no address")
