"""Refuse outbound URLs that point inside our network (SSRF protection).

A URL is acceptable when it is http(s) and every address its host resolves to is public.
Operators may opt in to private targets with VOC_ALLOW_PRIVATE_WEBHOOK_URLS; link-local
addresses (``169.254.0.0/16``, ``fe80::/10``, where cloud metadata services live), the AWS IPv6
metadata address ``fd00:ec2::254``, unspecified and multicast addresses stay refused even then.

:func:`resolve_url` resolves the host once and returns the checked addresses with the URL; a
caller that then connects must connect to one of those addresses (see
:mod:`surveys.invitation.webhook`), never resolve the name again, or a DNS answer that changes
between the check and the call (rebinding) would reach an address nobody checked. IPv6 forms
that carry an IPv4 address (IPv4-mapped, IPv4-compatible, NAT64 ``64:ff9b::/96``, 6to4
``2002::/16``) are judged as the IPv4 address they carry.
"""

import ipaddress
import re
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from surveys.core.errors import Invalid

# (host, port) -> the addresses the host stands for; tests pass their own.
Resolver = Callable[[str, int], Sequence[str]]

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# host[:port] with a bracketed IPv6 literal or a name/IPv4 without brackets, "@" or whitespace.
_NETLOC = re.compile(r"(\[[0-9A-Za-z:.%_~-]+\]|[^\[\]@\s/?#]+)(:[0-9]*)?")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, in the order the system prefers."""
    infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    seen: dict[str, None] = {}
    for info in infos:
        seen.setdefault(str(info[4][0]), None)
    return list(seen)


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries, for the forms that route to it."""
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip.sixtofour:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    # ::a.b.c.d (deprecated IPv4-compatible); :: and ::1 are the unspecified and loopback address.
    if ip in _IPV4_COMPATIBLE and int(ip) > 1:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public(address: str) -> bool:
    """True for a globally routable unicast address; False for anything else or not an address."""
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.is_loopback or ip.is_unspecified:
            return False
        carried = embedded_ipv4(ip)
        if carried is not None:
            ip = carried
    return ip.is_global and not ip.is_multicast


_METADATA = (ipaddress.ip_address("fd00:ec2::254"),)


def is_never_allowed(address: str) -> bool:
    """True for addresses refused even with the operator's opt-in to private targets."""
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return True
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _METADATA:
            return True
        carried = embedded_ipv4(ip)
        if carried is not None:
            ip = carried
    return ip.is_link_local or ip.is_unspecified or ip.is_multicast


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (``addresses``, in order) and what to call it there."""

    url: str
    scheme: str
    host: str  # as in the URL, lower case, IDNA-encoded, without brackets
    port: int
    addresses: tuple[str, ...]

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def _refuse(field: str, message: str):
    raise Invalid(f"{field} is not allowed: {message}", errors={field: [message]})


def _parse(url: str, field: str) -> tuple[str, str, int]:
    """``(scheme, host, port)`` of an acceptable-looking URL; the host IDNA-encoded."""
    try:
        parts = urlsplit(url)
        port = parts.port  # ValueError for ":99999" or a port that is not a number
        hostname = parts.hostname
    except ValueError:  # also an unclosed "[v6" host
        _refuse(field, "the URL cannot be parsed (bad port or host)")
    if parts.scheme not in ("http", "https"):
        _refuse(field, "only http and https URLs are accepted")
    if not hostname:
        _refuse(field, "the URL has no host")
    if parts.username is not None or parts.password is not None:
        _refuse(field, "credentials in the URL are not accepted")
    if not _NETLOC.fullmatch(parts.netloc):  # e.g. "[::1]]:80", which urlsplit lets through
        _refuse(field, "the URL cannot be parsed (bad port or host)")
    if port == 0:
        _refuse(field, "port 0 is not a port")
    try:
        host = hostname if hostname.isascii() else hostname.encode("idna").decode("ascii")
    except UnicodeError:
        _refuse(field, f"the host {hostname!r} is not a valid name")
    return parts.scheme, host, port or (443 if parts.scheme == "https" else 80)


def resolve_url(
    url: str, *, allow_private: bool, field: str = "url", resolver: Resolver | None = None
) -> Target:
    """Check ``url`` and resolve its host once; raise :class:`Invalid` naming the reason if it may
    not be called. With ``allow_private`` private addresses pass, but the host is still resolved
    and pinned, so the caller connects to what was resolved here."""
    scheme, host, port = _parse(url, field)
    try:
        addresses = [str(ipaddress.ip_address(host))]  # a literal address needs no lookup
    except ValueError:
        try:
            addresses = list((resolver or system_resolver)(host, port))
        except (OSError, UnicodeError, ValueError):
            _refuse(field, f"the host {host!r} does not resolve")
    if not addresses:
        _refuse(field, f"the host {host!r} does not resolve")
    if any(is_never_allowed(a) for a in addresses):
        _refuse(field, "the host resolves to a link-local, metadata or unspecified address")
    if not allow_private and not all(is_public(a) for a in addresses):
        _refuse(field, "the host resolves to a private, loopback or link-local address")
    return Target(url=url, scheme=scheme, host=host, port=port, addresses=tuple(addresses))


def check_url(url: str, *, allow_private: bool, field: str = "url", resolver: Resolver | None = None) -> str:
    """Return ``url`` if it may be called, else raise :class:`Invalid` naming the reason.

    With the operator's opt-in only the shape is checked when a URL is saved: the name need not
    resolve yet, and delivery resolves and pins it at each call anyway."""
    if allow_private:
        _, host, _ = _parse(url, field)
        try:
            literal = str(ipaddress.ip_address(host))
        except ValueError:
            return url
        if is_never_allowed(literal):
            _refuse(field, "the host is a link-local, metadata or unspecified address")
    else:
        resolve_url(url, allow_private=False, field=field, resolver=resolver)
    return url
