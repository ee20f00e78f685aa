"""Real servers on 127.0.0.1 for the notification tests and the benchmark: an HTTP receiver (webhook robot,
SMS gateway) and an SMTP server (aiosmtpd). Both pick a free port (port 0)."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Received:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    at: float = field(default_factory=time.time)


class HttpReceiver:
    """Records every POST. The first `fail_first` requests get `fail_status`; the rest get 200 and `reply`."""

    def __init__(
        self, *, fail_first: int = 0, fail_status: int = 500, reply: dict[str, Any] | None = None
    ) -> None:
        self.fail_first = fail_first
        self.fail_status = fail_status
        self.reply = json.dumps(reply if reply is not None else {"errcode": 0, "errmsg": "ok"}).encode()
        self.received: list[Received] = []
        self.failed = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; without TCP_NODELAY, Nagle's algorithm holds the body
            # until the client's delayed ACK (40 ms) on every keep-alive request.
            disable_nagle_algorithm = True

            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                parsed = urllib.parse.urlsplit(self.path)
                with receiver._lock:
                    failing = receiver.failed < receiver.fail_first
                    if failing:
                        receiver.failed += 1
                    else:
                        receiver.received.append(
                            Received(
                                path=parsed.path,
                                query=dict(urllib.parse.parse_qsl(parsed.query)),
                                headers={k.lower(): v for k, v in self.headers.items()},
                                body=json.loads(raw or b"null"),
                            )
                        )
                status, payload = (receiver.fail_status, b"{}") if failing else (200, receiver.reply)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> HttpReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


class SmtpReceiver(Controller):
    """aiosmtpd on 127.0.0.1, port chosen by the OS; `messages` holds the envelopes received."""

    def __init__(self) -> None:
        self.mailbox = _Mailbox()
        super().__init__(self.mailbox, hostname="127.0.0.1", port=0)

    def _trigger_server(self) -> None:
        # aiosmtpd connects to self.port to check it is up; with port 0 learn the real one first.
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()

    @property
    def messages(self) -> list[Any]:
        return self.mailbox.messages

    def __enter__(self) -> SmtpReceiver:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
