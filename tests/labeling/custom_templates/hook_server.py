"""A requester's hook endpoints for tests: a real HTTP server on 127.0.0.1 that verifies each
request's ``Groundwork-Signature`` as docs/templates.md tells a requester to, records it, and
answers with what the test's handler computes from the request's JSON."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# A handler gets the request's JSON and returns (status, JSON body or raw bytes, delay seconds).
Handler = Callable[[dict], tuple[int, object, float]]
TOLERANCE_SECONDS = 300


def signature_is_valid(header: str, body: bytes, secret: str) -> bool:
    """The receiver's check (docs/webhooks.md): a ``v1`` matching HMAC-SHA256 of ``"<t>.<body>"``
    under the secret's UTF-8 bytes, with ``t`` within 5 minutes of now."""
    fields = [part.split("=", 1) for part in header.split(",") if "=" in part]
    stamps = [value for name, value in fields if name == "t"]
    if len(stamps) != 1 or not stamps[0].isdigit() or abs(time.time() - int(stamps[0])) > TOLERANCE_SECONDS:
        return False
    expected = hmac.new(secret.encode("utf-8"), f"{stamps[0]}.".encode() + body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, value) for name, value in fields if name == "v1")


@dataclass(frozen=True)
class Call:
    path: str
    kind: str  # the Groundwork-Hook header
    payload: dict
    signed: bool  # the signature verified with the server's secret


class HookServer:
    """``handlers[path]`` answer POSTs to that path; ``secret`` verifies signatures (set it to
    the job's ``hook_secret`` once the job is created); ``calls`` records every request."""

    def __init__(self) -> None:
        self.handlers: dict[str, Handler] = {}
        self.secret = ""
        self.calls: list[Call] = []
        self._lock = threading.Lock()
        server = self

        class RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                payload = json.loads(body)
                signed = signature_is_valid(self.headers.get("Groundwork-Signature", ""), body, server.secret)
                with server._lock:
                    server.calls.append(Call(self.path, self.headers.get("Groundwork-Hook", ""), payload, signed))
                status, answer, delay = server.handlers[self.path](payload) if signed else (401, {}, 0.0)
                if delay:
                    time.sleep(delay)
                data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the caller gave up first (a timeout)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), RequestHandler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> HookServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def calls_to(self, path: str) -> list[Call]:
        with self._lock:
            return [call for call in self.calls if call.path == path]
