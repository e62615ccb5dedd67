"""Token-bucket rate limits (DESIGN.md "Security").

With ``REDIS_URL`` the buckets live in Redis (one Lua call per request, shared by every
process); otherwise in this process's memory. If Redis cannot be reached the limit fails open
(logged): refusing all work because a limiter is down would be worse than a burst.
"""

from __future__ import annotations

import logging
import threading
import time

import redis
from django.conf import settings
from rest_framework.throttling import BaseThrottle

logger = logging.getLogger(__name__)

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
        self._state: dict[str, tuple[float, float, float]] = {}  # key → tokens, at, seconds to refill
        self._takes = 0

    def take(self, key: str, rate: float, burst: int) -> float:
        now = time.monotonic()
        with self._lock:
            self._takes += 1
            if self._takes % self.PRUNE_EVERY == 0:
                # A bucket untouched long enough to refill is full: forgetting it changes nothing.
                self._state = {k: v for k, v in self._state.items() if now - v[1] < v[2]}
            tokens, at, _ = self._state.get(key, (float(burst), now, 0.0))
            tokens = min(burst, tokens + (now - at) * rate)
            if tokens >= 1:
                self._state[key] = (tokens - 1, now, burst / rate)
                return 0.0
            self._state[key] = (tokens, now, burst / rate)
            return (1 - tokens) / rate


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
        try:
            return float(self._script(keys=[key], args=[rate, burst, time.time()]))
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
            return 0.0


_buckets: _MemoryBuckets | _RedisBuckets | None = None
_buckets_lock = threading.Lock()


def buckets() -> _MemoryBuckets | _RedisBuckets:
    global _buckets
    with _buckets_lock:
        if _buckets is None:
            _buckets = _RedisBuckets(settings.REDIS_URL) if settings.REDIS_URL else _MemoryBuckets()
        return _buckets


def take_token(bucket_id: str, *, rate: float, burst: int) -> float:
    """Take one token from ``bucket_id``; returns 0 when allowed, else seconds to wait."""
    namespace = getattr(settings, "RATE_LIMIT_NAMESPACE", "gw")
    return buckets().take(f"{namespace}:rl:{bucket_id}", rate, burst)


class _TokenBucketThrottle(BaseThrottle):
    rate_setting: str
    burst_setting: str

    def bucket_id(self, request, view) -> str | None:
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        bucket_id = self.bucket_id(request, view)
        if bucket_id is None:
            return True
        config = settings.GROUNDWORK
        self._wait = take_token(bucket_id, rate=config[self.rate_setting], burst=config[self.burst_setting])
        return self._wait == 0

    def wait(self) -> float:
        return self._wait


class WorkerActionThrottle(_TokenBucketThrottle):
    """Claims, returns and submissions per worker (default 20/s, bursts of 100)."""

    rate_setting, burst_setting = "WORKER_RATE_PER_SECOND", "WORKER_RATE_BURST"

    def bucket_id(self, request, view) -> str | None:
        user = request.user
        return None if user is None else f"worker-actions:{user.rate_limit_id}"


class ApiKeyWriteThrottle(_TokenBucketThrottle):
    """Writes per API key (default 50/s, bursts of 500); reads are not limited here."""

    rate_setting, burst_setting = "API_KEY_WRITE_RATE_PER_SECOND", "API_KEY_WRITE_RATE_BURST"

    def bucket_id(self, request, view) -> str | None:
        if request.method in ("GET", "HEAD", "OPTIONS") or request.user is None:
            return None
        return f"writes:{request.user.rate_limit_id}"


class AnonymousThrottle(_TokenBucketThrottle):
    """Anonymous calls (worker sign-up) per client address."""

    rate_setting, burst_setting = "ANONYMOUS_RATE_PER_SECOND", "ANONYMOUS_RATE_BURST"

    def bucket_id(self, request, view) -> str | None:
        return f"anonymous:{request.META.get('REMOTE_ADDR', 'unknown')}"
