"""The metrics the serving processes keep, and the cheap calls that move them.

Everything here costs microseconds and no query: a dictionary lookup for the labels and an
increment (in a memory-mapped file under ``uvicorn --workers N``, ``multiprocess``). What needs
the database or Redis is read when ``/metrics`` is scraped (``scrape``), never here.

Labels are bounded by construction: a route is a URL pattern's template (``api/v1/tasks/<id:task_id>``,
never a raw path), a status an HTTP status, a channel ``rest`` or ``websocket``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable
from typing import Any, TypeVar

from prometheus_client import Counter, Gauge, Histogram

# Decided when prometheus-client is first imported, which happens here (config/asgi.py chose
# the directory before): a process without it keeps its values in memory.
MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))

LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

http_requests = Counter(
    "groundwork_http_requests",
    "HTTP requests answered, by route template, method and status",
    ["route", "method", "status"],
)
http_request_duration = Histogram(
    "groundwork_http_request_duration_seconds",
    "Time from the request's arrival to its last response byte, by route template and method",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
)
claims = Counter(
    "groundwork_claims",
    "Claims of a task by a worker, by channel and outcome (assigned, empty, refused)",
    ["channel", "outcome"],
)
claim_duration = Histogram(
    "groundwork_claim_duration_seconds", "Time to answer a claim, by channel", ["channel"], buckets=LATENCY_BUCKETS
)
submits = Counter(
    "groundwork_submits", "Answers submitted, by channel and outcome (stored, refused)", ["channel", "outcome"]
)
submit_duration = Histogram(
    "groundwork_submit_duration_seconds", "Time to store an answer, by channel", ["channel"], buckets=LATENCY_BUCKETS
)
websocket_connections = Gauge(
    "groundwork_websocket_connections", "Worker websockets open now", multiprocess_mode="livesum"
)
websocket_messages = Counter(
    "groundwork_websocket_messages", "Websocket messages, by direction (received, sent)", ["direction"]
)
hints = Counter(
    "groundwork_channel_layer_hints",
    "Hints over the channel layer, by direction (sent by a commit, received by a process's dispatcher)",
    ["direction"],
)

# REST routes that are claims and submits: counted from the request's outcome, so the views
# need no call of their own (204 is an empty queue; 4xx a refusal).
REST_OPERATIONS = {
    "api/v1/worker/tasks/next": "claim",
    "api/v1/worker/assignments/<id:assignment_id>/submit": "submit",
}


def count_rest_operation(route: str, status: int, seconds: float) -> None:
    operation = REST_OPERATIONS.get(route)
    if operation == "claim":
        outcome = "assigned" if status == 200 else "empty" if status == 204 else "refused"
        claims.labels("rest", outcome).inc()
        claim_duration.labels("rest").observe(seconds)
    elif operation == "submit":
        submits.labels("rest", "stored" if status < 300 else "refused").inc()
        submit_duration.labels("rest").observe(seconds)


T = TypeVar("T")


async def observed_claim(claim: Awaitable[T], channel: str = "websocket") -> T:
    """Await ``claim`` (a payload, or ``None`` when nothing is open), counting and timing it."""
    started = time.perf_counter()
    outcome = "refused"
    try:
        result = await claim
        outcome = "empty" if result is None else "assigned"
        return result
    finally:
        _child(claims, channel, outcome).inc()
        _child(claim_duration, channel).observe(time.perf_counter() - started)


async def observed_submit(submit: Awaitable[T], channel: str = "websocket") -> T:
    """Await ``submit``, counting and timing it (a raised refusal counts as ``refused``)."""
    started = time.perf_counter()
    outcome = "refused"
    try:
        result = await submit
        outcome = "stored"
        return result
    finally:
        _child(submits, channel, outcome).inc()
        _child(submit_duration, channel).observe(time.perf_counter() - started)


Labeled = TypeVar("Labeled", Counter, Histogram)
_children: dict[tuple[object, tuple[str, ...]], Any] = {}


def _child(metric: Labeled, *labels: str) -> Labeled:
    """``metric.labels(*labels)``, looked up once: ``labels`` checks its arguments and takes
    the metric's lock on every call, and these run for every claim and submit. (Only the
    bounded labels of ``observed_claim`` and ``observed_submit`` come here.)"""
    key = (metric, labels)
    found = _children.get(key)
    if found is None:
        found = _children[key] = metric.labels(*labels)
    return found


def hint_sent() -> None:
    hints.labels("sent").inc()


def hint_received() -> None:
    hints.labels("received").inc()
