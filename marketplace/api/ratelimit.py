"""DRF throttles over the shared token buckets (``marketplace.ratelimit``, which the worker
socket uses too). Over the limit DRF raises ``Throttled``: a 429 ``rate_limited`` with
``Retry-After`` (``marketplace.api.errors``)."""

from __future__ import annotations

from rest_framework.throttling import BaseThrottle

from ..ratelimit import anonymous_wait, api_key_write_wait, worker_action_wait


class _TokenBucketThrottle(BaseThrottle):
    def take(self, request, view) -> float:
        """Take a token for this request: 0 when allowed (or not limited here), else seconds to wait."""
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        self._wait = self.take(request, view)
        return self._wait == 0

    def wait(self) -> float:
        return self._wait


class WorkerActionThrottle(_TokenBucketThrottle):
    """Claims, returns and submissions per worker (default 20/s, bursts of 100)."""

    def take(self, request, view) -> float:
        user = request.user
        return 0.0 if user is None else worker_action_wait(user.rate_limit_id)


class ApiKeyWriteThrottle(_TokenBucketThrottle):
    """Writes per API key (default 50/s, bursts of 500); reads are not limited here."""

    def take(self, request, view) -> float:
        if request.method in ("GET", "HEAD", "OPTIONS") or request.user is None:
            return 0.0
        return api_key_write_wait(request.user.rate_limit_id)


class AnonymousThrottle(_TokenBucketThrottle):
    """Anonymous calls (worker sign-up) per client address."""

    def take(self, request, view) -> float:
        return anonymous_wait(request.META.get("REMOTE_ADDR", "unknown"))
