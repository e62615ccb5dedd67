"""A batch of the websocket's actions takes its workers' tokens in one round trip to Redis, from
the same buckets a worker's REST calls take from."""

from __future__ import annotations

import os
import uuid

import pytest

from marketplace.ratelimit import RateLimited, _RedisBuckets, worker_action_take, worker_actions_take

REDIS_URL = os.environ.get("REDIS_URL")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="needs a Redis server (REDIS_URL)")


@needs_redis
def test_a_batch_takes_one_token_per_bucket_and_refuses_past_the_burst():
    buckets = _RedisBuckets(REDIS_URL)
    keys = [f"test:{uuid.uuid4()}" for _ in range(3)]

    first = buckets.take_many(keys, rate=0.001, burst=2)
    second = buckets.take_many(keys, rate=0.001, burst=2)
    third = buckets.take_many(keys, rate=0.001, burst=2)

    assert first == second == [0.0, 0.0, 0.0]
    assert all(wait > 100 for wait in third)  # a token a thousand seconds away


@needs_redis
def test_batched_and_single_takes_share_a_workers_bucket(settings):
    settings.REDIS_URL = REDIS_URL
    settings.RATE_LIMIT_NAMESPACE = f"test-{uuid.uuid4()}"
    settings.GROUNDWORK = {**settings.GROUNDWORK, "WORKER_RATE_PER_SECOND": 0.001, "WORKER_RATE_BURST": 2}

    assert worker_actions_take([7, 8]) == [None, None]
    worker_action_take(7)  # the second of worker 7's two
    refusals = worker_actions_take([7, 8])

    assert isinstance(refusals[0], RateLimited) and refusals[1] is None
