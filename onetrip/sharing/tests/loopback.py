"""A real HTTP server on 127.0.0.1 for adapter tests, answering by path: /ok, /slow, /malformed, /flaky,
/notfound, /error. It records the bodies it receives."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Handler(BaseHTTPRequestHandler):
    server: Any

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        return

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        request = json.loads(self.rfile.read(length) or b"{}")
        self.server.calls.append(
            {"path": self.path, "body": request, "auth": self.headers.get("Authorization")}
        )
        fields = request.get("fields", [])
        data = {f: self.server.values.get(f) for f in fields}
        if self.path == "/ok":
            self._send(200, json.dumps({"found": True, "data": data}).encode())
        elif self.path == "/delay":
            time.sleep(self.server.delay)
            self._send(200, json.dumps({"found": True, "data": data}).encode())
        elif self.path == "/slow":
            time.sleep(2.0)
            self._send(200, json.dumps({"found": True, "data": data}).encode())
        elif self.path == "/malformed":
            self._send(200, b"<html>not json")
        elif self.path == "/wrong-shape":
            self._send(200, json.dumps({"found": True, "data": ["a", "b"]}).encode())
        elif self.path == "/notfound":
            self._send(200, json.dumps({"found": False}).encode())
        elif self.path == "/flaky":
            self.server.flaky += 1
            if self.server.flaky % 2:
                self._send(503, b"{}")
            else:
                self._send(200, json.dumps({"found": True, "data": data}).encode())
        else:
            self._send(500, b"{}")


@contextmanager
def loopback_server(
    values: dict[str, Any] | None = None, delay: float = 0.05
) -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.calls = []  # type: ignore[attr-defined]
    server.values = values or {}  # type: ignore[attr-defined]
    server.flaky = 0  # type: ignore[attr-defined]
    server.delay = delay  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def url(server: ThreadingHTTPServer, path: str) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


def dead_url() -> str:
    """A loopback port nobody listens on (bound then closed): connection refused."""
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}/ok"
