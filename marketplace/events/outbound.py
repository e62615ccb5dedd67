"""One outbound POST to a checked webhook target (``safe_url.WebhookTarget``).

It connects to the address the check resolved (never resolving again, so no DNS rebinding),
with TLS's SNI and certificate check made for the URL's host name; follows no redirect (a 3xx
is an answer like any other non-2xx); reads at most ``RESPONSE_CAP_BYTES`` of the body; and
gives up at ``timeout_seconds`` from the start, whatever phase it is in.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from dataclasses import dataclass

from .safe_url import WebhookTarget

RESPONSE_CAP_BYTES = 1024
USER_AGENT = "Groundwork-Webhooks/1"


@dataclass(frozen=True)
class Outcome:
    """What came back: a status (and the first KB of the body), or the error that stopped it."""

    status_code: int | None
    duration_ms: int
    response_excerpt: str = ""
    error: str = ""


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: WebhookTarget, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    _tls = ssl.create_default_context()

    def connect(self) -> None:
        super().connect()
        self.sock = self._tls.wrap_socket(self.sock, server_hostname=self.host)


def _host_header(target: WebhookTarget) -> str:
    default = 443 if target.scheme == "https" else 80
    host = f"[{target.host}]" if ":" in target.host else target.host
    return host if target.port == default else f"{host}:{target.port}"


def post(
    target: WebhookTarget,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout_seconds: float,
    response_cap_bytes: int = RESPONSE_CAP_BYTES,
    user_agent: str = USER_AGENT,
) -> Outcome:
    """POST ``body`` to ``target``; never raises for anything the network or receiver does.
    At most ``response_cap_bytes`` of the response are read (a labeling hook's answer is its
    body, so it reads more than a webhook's excerpt)."""
    started = time.monotonic()
    deadline = started + timeout_seconds

    def remaining() -> float:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("timed out")
        return left

    def elapsed_ms() -> int:
        return int((time.monotonic() - started) * 1000)

    kind = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = kind(target, timeout=timeout_seconds)
    try:
        connection.putrequest("POST", target.path, skip_host=True, skip_accept_encoding=True)
        for name, value in {
            "Host": _host_header(target),
            "User-Agent": user_agent,
            "Content-Type": "application/json",
            "Content-Length": str(len(body)),
            "Connection": "close",
            **headers,
        }.items():
            connection.putheader(name, value)
        connection.endheaders(body)
        assert connection.sock is not None
        connection.sock.settimeout(remaining())
        response = connection.getresponse()
        excerpt = b""
        while len(excerpt) < response_cap_bytes:
            remaining()  # a body that trickles in ends at the deadline too
            chunk = response.read1(response_cap_bytes - len(excerpt))
            if not chunk:
                break
            excerpt += chunk
        return Outcome(
            status_code=response.status,
            duration_ms=elapsed_ms(),
            response_excerpt=excerpt.decode("utf-8", errors="replace"),
        )
    except TimeoutError:
        return Outcome(status_code=None, duration_ms=elapsed_ms(), error=f"timed out after {timeout_seconds:g} s")
    except ssl.SSLError as error:
        return Outcome(status_code=None, duration_ms=elapsed_ms(), error=f"TLS error: {error}"[:500])
    except (OSError, http.client.HTTPException) as error:
        return Outcome(
            status_code=None, duration_ms=elapsed_ms(), error=f"connection error: {type(error).__name__}: {error}"[:500]
        )
    finally:
        connection.close()
