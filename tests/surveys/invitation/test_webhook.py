"""Signed outbound posts against real receivers on 127.0.0.1: the connection goes to the address
that was checked (no second lookup), keeps the name for Host, SNI and certificate checks, never
goes through an environment proxy, and carries one signature per secret during a rotation."""

import shutil
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from surveys.core.errors import Invalid
from surveys.invitation.webhook import DeliveryError, post_signed
from surveys.workspace.secrets import new_secret


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        self.server.received.append((dict(self.headers), body, self.path))
        self.send_response(self.server.status)
        self.end_headers()

    def log_message(self, *args):
        pass


class _Receiver:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, context: ssl.SSLContext | None = None):
        self.server = ThreadingHTTPServer((host, port), _Handler)
        self.server.received, self.server.status = [], 200
        if context is not None:
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def received(self):
        return self.server.received

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = _Receiver()
    yield server
    server.stop()


class _RebindingDNS:
    """Answers the first question with ``first`` and every later one with ``then``."""

    def __init__(self, first: list[str], then: list[str]) -> None:
        self.first, self.then, self.questions = first, then, []

    def __call__(self, host: str, port: int) -> list[str]:
        self.questions.append((host, port))
        return self.first if len(self.questions) == 1 else self.then


def _post(url, secret, **kwargs):
    return post_signed(
        url, secret=secret, message_id="msg_1", payload={"hello": "world"}, allow_private=True, **kwargs
    )


def test_webhook_connects_to_the_checked_address_never_resolving_again(receiver):
    # The name resolves to the receiver once, then "rebinds" to another loopback address where
    # nothing listens: a client that looked the name up again would fail to connect.
    dns = _RebindingDNS(["127.0.0.1"], ["127.0.0.2"])
    secret = new_secret("outbound")
    url = f"http://hooks.test:{receiver.port}/in/box?x=1"
    assert _post(url, secret, resolver=dns) == 200
    assert dns.questions == [("hooks.test", receiver.port)]
    [(headers, body, path)] = receiver.received
    assert headers["Host"] == f"hooks.test:{receiver.port}" and path == "/in/box?x=1"
    Webhook(secret).verify(body.decode(), {k.lower(): v for k, v in headers.items()})


def test_webhook_refuses_a_name_that_resolves_inside_without_opt_in(receiver):
    dns = _RebindingDNS(["127.0.0.1"], ["127.0.0.1"])
    with pytest.raises(Invalid):
        post_signed(
            f"http://hooks.test:{receiver.port}/",
            secret=new_secret("outbound"),
            message_id="m",
            payload={},
            allow_private=False,
            resolver=dns,
        )
    assert receiver.received == [] and len(dns.questions) == 1


def test_webhook_bad_urls_are_invalid_before_any_connection():
    for url in ("http://hooks.test:99999/", "http://[::1/", "http://[v6/"):
        with pytest.raises(Invalid):
            _post(url, new_secret("outbound"))


def test_webhook_tries_the_next_checked_address_only_if_nothing_was_sent(receiver):
    # 127.0.0.2 refuses the connection (nothing listens there), so 127.0.0.1 gets the message.
    dns = _RebindingDNS(["127.0.0.2", "127.0.0.1"], ["10.0.0.1"])
    assert _post(f"http://hooks.test:{receiver.port}/", new_secret("outbound"), resolver=dns) == 200
    assert len(receiver.received) == 1 and len(dns.questions) == 1


def test_webhook_error_answer_is_not_retried_on_another_address(receiver):
    other = _Receiver("127.0.0.2", receiver.port)
    try:
        receiver.server.status = 500
        dns = _RebindingDNS(["127.0.0.1", "127.0.0.2"], [])
        with pytest.raises(DeliveryError, match="HTTP 500"):
            _post(f"http://hooks.test:{receiver.port}/", new_secret("outbound"), resolver=dns)
        assert len(receiver.received) == 1 and other.received == []
    finally:
        other.stop()


def test_webhook_ignores_proxy_settings_of_the_environment(receiver, monkeypatch):
    proxy = _Receiver()
    try:
        for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY"):
            monkeypatch.setenv(name, f"http://127.0.0.1:{proxy.port}")
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        _post(
            f"http://hooks.test:{receiver.port}/", new_secret("outbound"), resolver=lambda h, p: ["127.0.0.1"]
        )
        assert len(receiver.received) == 1 and proxy.received == []
    finally:
        proxy.stop()


def test_webhook_signs_with_every_secret_during_an_overlap(receiver):
    new, old, stranger = new_secret("outbound"), new_secret("outbound"), new_secret("outbound")
    _post(f"http://127.0.0.1:{receiver.port}/", [new, old])
    [(headers, body, _)] = receiver.received
    headers = {k.lower(): v for k, v in headers.items()}
    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(new).verify(body.decode(), headers)
    Webhook(old).verify(body.decode(), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(stranger).verify(body.decode(), headers)


def _certificate(tmp_path, name: str) -> tuple[str, str]:
    cert, key = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", f"/CN={name}",
            "-addext", f"subjectAltName=DNS:{name}",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return str(cert), str(key)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command to make a certificate")
def test_webhook_tls_uses_the_name_for_sni_and_certificate_while_pinned(tmp_path):
    cert, key = _certificate(tmp_path, "hooks.test")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server_names: list[str | None] = []
    context.sni_callback = lambda sock, name, ctx: server_names.append(name)
    server = _Receiver(context=context)
    try:
        dns = _RebindingDNS(["127.0.0.1"], ["127.0.0.2"])
        url = f"https://hooks.test:{server.port}/tls"
        assert _post(url, new_secret("outbound"), resolver=dns, verify=cert) == 200
        assert server_names == ["hooks.test"] and len(dns.questions) == 1
        assert server.received[0][0]["Host"] == f"hooks.test:{server.port}"

        # A certificate for another name is refused even though the address is the checked one.
        other_cert, _ = _certificate(tmp_path, "other.test")
        with pytest.raises(DeliveryError, match="SSLError"):
            _post(
                f"https://other.test:{server.port}/tls",
                new_secret("outbound"),
                resolver=lambda h, p: ["127.0.0.1"],
                verify=cert,
            )
        with pytest.raises(DeliveryError, match="SSLError"):
            _post(url, new_secret("outbound"), resolver=lambda h, p: ["127.0.0.1"], verify=other_cert)
        assert len(server.received) == 1
    finally:
        server.stop()
