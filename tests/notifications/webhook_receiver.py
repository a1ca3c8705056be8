"""A real webhook receiver for the tests: Python's http.server on 127.0.0.1 in a thread, written
from the integrators' guide. It verifies every request with the `standardwebhooks` library's
`Webhook.verify` (an independent check of the platform's signing), keeps what it got, and
answers what the test asks per path (200 by default, 410, 500...). It can stop and start again
on the same port (a receiver that is down, then up)."""

from __future__ import annotations

import asyncio
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: Any = None  # the parsed JSON, when a signature matched one of the path's secrets
    error: str | None = None


@dataclass
class Receiver:
    port: int = 0
    answers: dict[str, int] = field(default_factory=dict)  # path -> status code
    secrets: dict[str, list[str]] = field(default_factory=dict)  # path -> secrets to verify with
    received: list[Received] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        if not self.port:
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                self.port = int(sock.getsockname()[1])

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                headers = {key.lower(): value for key, value in self.headers.items()}
                got = Received(self.path, headers, body)
                for secret in receiver.secrets.get(self.path, []):
                    try:
                        got.verified = Webhook(secret).verify(body, headers)
                        break
                    except WebhookVerificationError as error:
                        got.error = str(error)
                receiver.received.append(got)
                self.send_response(receiver.answers.get(self.path, 200))
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server API
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def at(self, path: str) -> list[Received]:
        return [item for item in self.received if item.path == path]

    async def wait_for(self, path: str, count: int, timeout: float = 40) -> list[Received]:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.at(path)) < count:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{path}: expected {count} requests, got {len(self.at(path))}")
            await asyncio.sleep(0.1)
        return self.at(path)
