"""A real HTTP receiver on 127.0.0.1 for outbound webhook tests, whose behaviour the test sets:
the status to answer (``status``), extra headers (``headers``), a body (``body``), a delay before
answering (``delay``), or ``close`` to drop the connection after reading the request."""

import contextlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):  # noqa: N802 - http.server's naming
        server = self.server
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        with server.lock:
            server.received.append({"headers": dict(self.headers), "body": body, "path": self.path})
        if server.delay:
            time.sleep(server.delay)
        if server.close:
            self.connection.close()
            return
        reply = server.body
        self.send_response(server.status)
        for name, value in server.headers.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(reply)))
        self.end_headers()
        with contextlib.suppress(OSError):  # a client that stops reading a large body: expected
            self.wfile.write(reply)

    def log_message(self, *args):
        pass


class Receiver:
    def __init__(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.lock = threading.Lock()
        self.server.received = []
        self.reset()
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def reset(
        self,
        *,
        status: int = 200,
        headers: dict | None = None,
        body: bytes = b"ok",
        delay: float = 0,
        close: bool = False,
    ) -> None:
        self.server.status, self.server.headers, self.server.body = status, headers or {}, body
        self.server.delay, self.server.close = delay, close

    @property
    def received(self) -> list[dict]:
        with self.server.lock:
            return list(self.server.received)

    def payloads(self) -> list[dict]:
        return [json.loads(item["body"]) for item in self.received]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
