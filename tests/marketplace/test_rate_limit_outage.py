"""The rate limiter while Redis is away: requests go through, and the outage is logged once per
interval rather than once per request."""

from __future__ import annotations

import logging
import socket

from marketplace.ratelimit import _RedisBuckets


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again on leaving: nothing listens there


def test_an_unreachable_redis_lets_requests_through_and_warns_once_per_interval(caplog):
    buckets = _RedisBuckets(f"redis://127.0.0.1:{_closed_port()}/0")
    with caplog.at_level(logging.WARNING, logger="marketplace.ratelimit"):
        waits = [buckets.take(f"bucket-{n}", rate=1.0, burst=1) for n in range(20)]
    assert waits == [0.0] * 20
    warnings = [record for record in caplog.records if "Redis unreachable" in record.getMessage()]
    assert len(warnings) == 1 and warnings[0].exc_info is not None


def test_an_unreachable_redis_lets_a_batch_through_too():
    buckets = _RedisBuckets(f"redis://127.0.0.1:{_closed_port()}/0")
    assert buckets.take_many(["a", "b", "c"], rate=1.0, burst=1) == [0.0, 0.0, 0.0]
