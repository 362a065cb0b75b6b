"""Refuse outbound URLs that point inside our network (SSRF protection).

A URL is acceptable when it is http(s) and every address its host resolves to is public.
Operators may opt in to private targets with VOC_ALLOW_PRIVATE_WEBHOOK_URLS.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from surveys.core.errors import Invalid


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url: str, *, allow_private: bool, field: str = "url") -> str:
    """Return ``url`` if it may be called, else raise :class:`Invalid` naming the reason."""

    def refuse(message: str):
        raise Invalid(f"{field} is not allowed: {message}", errors={field: [message]})

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        refuse("only http and https URLs are accepted")
    if not parts.hostname:
        refuse("the URL has no host")
    if parts.username or parts.password:
        refuse("credentials in the URL are not accepted")
    if allow_private:
        return url
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        refuse(f"the host {parts.hostname!r} does not resolve")
    addresses = {info[4][0] for info in infos}
    if not addresses or not all(_is_public(a) for a in addresses):
        refuse("the host resolves to a private, loopback or link-local address")
    return url
