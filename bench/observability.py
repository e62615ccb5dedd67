"""What observing a request costs: ``ObservedHTTP`` (request id, route label, counters,
latency histogram, the request line) around an application that answers at once.

Run:  python bench/observability.py [--requests 20000]

Prints microseconds per request for the bare application and for it wrapped, in
prometheus-client's multiprocess mode (memory-mapped files, as under ``uvicorn --workers N``),
with the request line filtered out (``LOG_LEVEL=WARNING``) and written as JSON (INFO, to
/dev/null), so the difference is the per-request overhead on the serving path.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


async def bare_app(scope, receive, send) -> None:
    await send({"type": "http.response.start", "status": 204, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b""})


async def per_request_microseconds(app, requests: int) -> float:
    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message) -> None:
        return None

    headers = [(b"host", b"127.0.0.1"), (b"authorization", b"Bearer x" * 3), (b"x-request-id", b"bench-1")]
    started = time.perf_counter()
    for number in range(requests):
        scope = {
            "type": "http",
            "method": "POST",
            "path": f"/api/v1/worker/assignments/{number}/submit",
            "headers": headers,
            "client": ("127.0.0.1", 5000),
            "http_version": "1.1",
        }
        await app(scope, receive, send)
    return (time.perf_counter() - started) / requests * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=20000)
    args = parser.parse_args()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="gw-bench-metrics-")
    os.environ.setdefault("DEBUG", "1")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import django

    django.setup()
    from marketplace.observability.asgi import Exchange, ObservedHTTP
    from marketplace.observability.logs import JsonFormatter, RequestIdFilter

    async def routed_app(scope, receive, send) -> None:
        # what RouteLabelMiddleware does once Django has resolved the URL
        exchange: Exchange | None = scope.get("groundwork.exchange")
        if exchange is not None:
            exchange.route = "api/v1/worker/assignments/<id:assignment_id>/submit"
        await bare_app(scope, receive, send)

    request_logger = logging.getLogger("groundwork.request")
    request_logger.propagate = False
    handler = logging.StreamHandler(open(os.devnull, "w"))  # noqa: SIM115
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    request_logger.addHandler(handler)

    bare = asyncio.run(per_request_microseconds(routed_app, args.requests))
    request_logger.setLevel(logging.WARNING)
    quiet = asyncio.run(per_request_microseconds(ObservedHTTP(routed_app), args.requests))
    request_logger.setLevel(logging.INFO)
    logged = asyncio.run(per_request_microseconds(ObservedHTTP(routed_app), args.requests))
    print(f"observability bench: {args.requests} requests, multiprocess metrics, {os.cpu_count()} cores")
    print(f"{'application':>44} | {'µs/request':>10} | {'overhead µs':>11}")
    print(f"{'bare':>44} | {bare:>10.1f} | {'':>11}")
    print(f"{'ObservedHTTP, request line filtered (WARNING)':>44} | {quiet:>10.1f} | {quiet - bare:>11.1f}")
    print(f"{'ObservedHTTP, request line as JSON (INFO)':>44} | {logged:>10.1f} | {logged - bare:>11.1f}")


if __name__ == "__main__":
    main()
