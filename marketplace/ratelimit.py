"""Token-bucket rate limits: one limiter for REST and the websocket (DESIGN.md "Security").

One algorithm, ``TokenBucket``: a bucket holds up to ``burst`` tokens, refills at ``rate`` per
second, and each request takes one or is told how long to wait for it. It runs in two places:

- shared buckets, named by key (``take_token``): with ``REDIS_URL`` they live in Redis (the same
  arithmetic as one Lua call per request, shared by every process); otherwise in this process's
  memory, one ``TokenBucket`` per key. If Redis cannot be reached the limit fails open
  (logged): refusing all work because a limiter is down would be worse than a burst. The DRF
  throttles (``marketplace.api.ratelimit``) and the worker socket (``marketplace.realtime``)
  take their tokens here, under the same keys, so a worker's claims, submits and returns count
  against one limit whichever way they arrive (``worker_action_wait``).
- one ``TokenBucket`` per websocket, held by the socket itself: a flood of messages is refused
  before it costs a Redis or database call.

Over the limit, REST answers 429 with ``Retry-After``; the socket answers an ``error`` with code
``rate_limited`` (``RateLimited``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

import redis
from django.conf import settings

from .errors import DomainError

logger = logging.getLogger(__name__)


class RateLimited(DomainError):
    """Over a rate limit (429, ``rate_limited``); nothing was done."""

    status = 429
    code = "rate_limited"


class TokenBucket:
    """``burst`` tokens, refilled at ``rate`` per second (not thread-safe: its holder serializes)."""

    __slots__ = ("at", "burst", "rate", "tokens")

    def __init__(self, rate: float, burst: int, *, now: float | None = None) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.at = float(burst), time.monotonic() if now is None else now

    def take(self, now: float | None = None) -> float:
        """Take one token: 0 when allowed, else the seconds until one is there (nothing taken)."""
        now = time.monotonic() if now is None else now
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate

    def is_refilled(self, now: float) -> bool:
        """Whether it has been left alone long enough to be full again (forgetting it changes nothing)."""
        return now - self.at >= self.burst / self.rate


# The same arithmetic as ``TokenBucket.take``, in Redis.
_LUA_TOKEN_BUCKET = """
local tokens_key = KEYS[1]
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', tokens_key, 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', tokens_key, 'tokens', tokens, 'at', now)
redis.call('EXPIRE', tokens_key, math.ceil(burst / rate) + 1)
return tostring(wait)
"""


class _MemoryBuckets:
    PRUNE_EVERY = 10_000  # takes between sweeps of refilled buckets, so the dict stays bounded

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, TokenBucket] = {}
        self._takes = 0

    def take(self, key: str, rate: float, burst: int) -> float:
        now = time.monotonic()
        with self._lock:
            self._takes += 1
            if self._takes % self.PRUNE_EVERY == 0:
                self._buckets = {k: b for k, b in self._buckets.items() if not b.is_refilled(now)}
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = TokenBucket(rate, burst, now=now)
            else:  # the settings may have changed since it was made
                bucket.rate, bucket.burst = rate, burst
            return bucket.take(now)

    def take_many(self, keys: Sequence[str], rate: float, burst: int) -> list[float]:
        return [self.take(key, rate, burst) for key in keys]


class _RedisBuckets:
    # While Redis is away every request fails over; one warning (with its traceback) per this
    # many seconds says so, rather than one per request.
    OUTAGE_LOG_SECONDS = 10.0

    def __init__(self, url: str) -> None:
        self._client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._script = self._client.register_script(_LUA_TOKEN_BUCKET)
        self._failures_unlogged = 0
        self._last_logged = float("-inf")

    def take(self, key: str, rate: float, burst: int) -> float:
        return self.take_many([key], rate, burst)[0]

    def take_many(self, keys: Sequence[str], rate: float, burst: int) -> list[float]:
        """A token from each bucket, in one round trip (a pipeline of the script's calls)."""
        try:
            if len(keys) == 1:
                return [float(self._script(keys=[keys[0]], args=[rate, burst, time.time()]))]
            pipeline = self._client.pipeline(transaction=False)
            for key in keys:
                self._script(keys=[key], args=[rate, burst, time.time()], client=pipeline)
            return [float(wait) for wait in pipeline.execute()]
        except Exception:
            self._failures_unlogged += 1
            now = time.monotonic()
            if now - self._last_logged >= self.OUTAGE_LOG_SECONDS:
                logger.warning(
                    "rate limiter: Redis unreachable, letting requests through (%d since the last warning)",
                    self._failures_unlogged,
                    exc_info=True,
                )
                self._failures_unlogged, self._last_logged = 0, now
            return [0.0] * len(keys)


_buckets: _MemoryBuckets | _RedisBuckets | None = None
_buckets_lock = threading.Lock()


def buckets() -> _MemoryBuckets | _RedisBuckets:
    """This process's shared buckets (Redis with ``REDIS_URL``, else memory), made on first use."""
    global _buckets
    with _buckets_lock:
        if _buckets is None:
            _buckets = _RedisBuckets(settings.REDIS_URL) if settings.REDIS_URL else _MemoryBuckets()
        return _buckets


def take_token(bucket_id: str, *, rate: float, burst: int) -> float:
    """Take one token from the shared bucket ``bucket_id``; returns 0 when allowed, else seconds to wait."""
    return buckets().take(_bucket_key(bucket_id), rate, burst)


def _bucket_key(bucket_id: str) -> str:
    return f"{getattr(settings, 'RATE_LIMIT_NAMESPACE', 'gw')}:rl:{bucket_id}"


# --- the limits (keys and settings), one definition each ----------------------------------------
def worker_action_wait(rate_limit_id: str) -> float:
    """Claims, returns and submissions per worker (default 20/s, bursts of 100), over REST and
    the websocket alike. ``rate_limit_id``: the principal's (``worker:<id>``)."""
    config = settings.GROUNDWORK
    return take_token(
        _worker_actions_bucket(rate_limit_id),
        rate=config["WORKER_RATE_PER_SECOND"],
        burst=config["WORKER_RATE_BURST"],
    )


def _worker_actions_bucket(rate_limit_id: str) -> str:
    return f"worker-actions:{rate_limit_id}"


def api_key_write_wait(rate_limit_id: str) -> float:
    """Writes per API key (default 50/s, bursts of 500)."""
    config = settings.GROUNDWORK
    return take_token(
        f"writes:{rate_limit_id}",
        rate=config["API_KEY_WRITE_RATE_PER_SECOND"],
        burst=config["API_KEY_WRITE_RATE_BURST"],
    )


def anonymous_wait(address: str) -> float:
    """Anonymous calls (worker sign-up) per client address."""
    config = settings.GROUNDWORK
    return take_token(
        f"anonymous:{address}", rate=config["ANONYMOUS_RATE_PER_SECOND"], burst=config["ANONYMOUS_RATE_BURST"]
    )


def worker_action_take(worker_id: int) -> None:
    """``worker_action_wait`` for a worker, raising ``RateLimited`` over the limit (the socket's form)."""
    (refusal,) = worker_actions_take([worker_id])
    if refusal is not None:
        raise refusal


def worker_actions_take(worker_ids: Sequence[int]) -> list[RateLimited | None]:
    """``worker_action_take`` for several workers' actions at once (a batch of the websocket's,
    in one round trip to Redis): for each, in order, ``None`` or the ``RateLimited`` refusal."""
    config = settings.GROUNDWORK
    waits = buckets().take_many(
        [_bucket_key(_worker_actions_bucket(f"worker:{worker_id}")) for worker_id in worker_ids],
        config["WORKER_RATE_PER_SECOND"],
        config["WORKER_RATE_BURST"],
    )
    return [RateLimited(f"too many requests; retry in {wait:.1f} s") if wait else None for wait in waits]


def socket_message_bucket() -> TokenBucket:
    """A new socket's own bucket for its messages (default 50/s, bursts of 200)."""
    config = settings.GROUNDWORK
    return TokenBucket(config["WEBSOCKET_MESSAGE_RATE_PER_SECOND"], config["WEBSOCKET_MESSAGE_BURST"])
