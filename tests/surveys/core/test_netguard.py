"""Outbound URL checks: nothing inside our network unless the operator allows it."""

import pytest

from surveys.core.errors import Invalid
from surveys.core.netguard import check_url


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost:8080/x",
        "http://10.0.0.5/x",
        "http://192.168.1.1/",
        "http://172.16.0.1/",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "ftp://example.com/",
        "file:///etc/passwd",
        "http://user:pw@93.184.216.34/",
        "http:///nohost",
    ],
)
def test_netguard_refuses_private_and_odd_urls(url):
    with pytest.raises(Invalid):
        check_url(url, allow_private=False)


def test_netguard_accepts_public_ip_literal():
    assert check_url("https://93.184.216.34/hook", allow_private=False)


def test_netguard_operator_opt_in_allows_loopback():
    assert check_url("http://127.0.0.1:9000/hook", allow_private=True)
    with pytest.raises(Invalid):
        check_url("gopher://127.0.0.1/", allow_private=True)
