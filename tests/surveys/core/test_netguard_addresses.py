"""Address classification (IPv6 forms that carry an IPv4 address), URLs that cannot be parsed,
and resolving once: the checked addresses are what a caller gets, and no second lookup happens."""

import pytest

from surveys.core.errors import Invalid
from surveys.core.netguard import check_url, is_public, resolve_url


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "169.254.169.254",
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "::",
        "fe80::1",
        "fe80::1%eth0",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:169.254.169.254",
        "::127.0.0.1",  # IPv4-compatible (deprecated), which Python calls global
        "::10.0.0.1",
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1, which Python calls global
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "64:ff9b::10.0.0.1",
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1, which Python calls global
        "2002:a00:1::",  # 6to4 of 10.0.0.1
        "2002:a9fe:a9fe::1",
        "not an address",
        "",
    ],
)
def test_netguard_address_is_not_public(address):
    assert is_public(address) is False


@pytest.mark.parametrize(
    "address",
    ["93.184.216.34", "8.8.8.8", "2606:2800:220:1:248:1893:25c8:1946", "::ffff:8.8.8.8", "64:ff9b::808:808"],
)
def test_netguard_address_is_public(address):
    assert is_public(address) is True


@pytest.mark.parametrize(
    "url",
    [
        "http://[::127.0.0.1]/",
        "http://[64:ff9b::7f00:1]/",
        "http://[2002:7f00:1::1]:8080/",
        "http://[::ffff:a9fe:a9fe]/latest/meta-data",
    ],
)
def test_netguard_refuses_ipv6_literals_carrying_private_ipv4(url):
    with pytest.raises(Invalid):
        check_url(url, allow_private=False)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com:99999/",
        "http://example.com:-1/",
        "http://example.com:abc/",
        "http://[::1/",
        "http://[v6/",
        "http://[not-an-ip]/",
        "https://[::1]]:80/",
        "http://example.com:0/",
    ],
)
@pytest.mark.parametrize("allow_private", [False, True])
def test_netguard_unparseable_urls_are_invalid_not_errors(url, allow_private):
    with pytest.raises(Invalid) as refused:
        check_url(url, allow_private=allow_private, field="webhook_url")
    assert "webhook_url" in refused.value.errors
    with pytest.raises(Invalid):
        resolve_url(url, allow_private=allow_private)


class _Resolver:
    """A DNS that changes its answer after the first question (rebinding)."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.questions: list[tuple[str, int]] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.questions.append((host, port))
        return self.answers[min(len(self.questions), len(self.answers)) - 1]


def test_netguard_resolves_once_and_returns_what_it_checked():
    dns = _Resolver(["93.184.216.34"], ["127.0.0.1"])
    target = resolve_url("https://Hooks.Example:8443/in?x=1", allow_private=False, resolver=dns)
    assert target.addresses == ("93.184.216.34",)
    assert (target.host, target.port, target.host_header) == ("hooks.example", 8443, "hooks.example:8443")
    assert dns.questions == [("hooks.example", 8443)]


def test_netguard_refuses_when_any_resolved_address_is_private():
    dns = _Resolver(["93.184.216.34", "127.0.0.1"])
    with pytest.raises(Invalid):
        resolve_url("https://hooks.example/", allow_private=False, resolver=dns)
    dns = _Resolver(["93.184.216.34", "64:ff9b::a9fe:a9fe"])
    with pytest.raises(Invalid):
        resolve_url("https://hooks.example/", allow_private=False, resolver=dns)


def test_netguard_resolution_failure_or_nothing_is_invalid():
    def broken(host, port):
        raise OSError("no such host")

    with pytest.raises(Invalid):
        resolve_url("https://hooks.example/", allow_private=False, resolver=broken)
    with pytest.raises(Invalid):
        resolve_url("https://hooks.example/", allow_private=True, resolver=lambda host, port: [])


def test_netguard_literal_addresses_are_not_looked_up():
    dns = _Resolver(["127.0.0.1"])
    target = resolve_url("http://[2606:2800:220:1:248:1893:25c8:1946]/x", allow_private=False, resolver=dns)
    assert target.addresses == ("2606:2800:220:1:248:1893:25c8:1946",) and dns.questions == []
    assert target.host_header == "[2606:2800:220:1:248:1893:25c8:1946]"


def test_netguard_opt_in_still_resolves_and_pins():
    dns = _Resolver(["127.0.0.1"], ["10.0.0.1"])
    target = resolve_url("http://hooks.test:9000/", allow_private=True, resolver=dns)
    assert target.addresses == ("127.0.0.1",) and len(dns.questions) == 1
