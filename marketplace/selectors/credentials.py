"""Worker tokens resolved per process (the hot worker endpoints and the socket's handshake)."""

from __future__ import annotations

import copy
import threading
import time

from django.conf import settings

from ..models import Worker


class _WorkerCredentials:
    """Worker tokens resolved in this process, each trusted for ``WORKER_CREDENTIAL_CACHE_SECONDS``
    (default 1 s) after it was read: the hot worker endpoints skip the token's query, and a token
    revoked or rotated (or a worker deactivated) in another process stops working within that
    time; in this process at once (``forget_worker_credentials``). Unknown tokens are not
    remembered (a miss is always asked again). Each caller gets its own copy of the worker."""

    MAX_ENTRIES = 100_000

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, Worker]] = {}
        self._lock = threading.Lock()

    def worker(self, digest: str) -> Worker | None:
        ttl = settings.GROUNDWORK["WORKER_CREDENTIAL_CACHE_SECONDS"]
        now = time.monotonic()
        entry = self._entries.get(digest)
        if entry is not None and now < entry[0]:
            return copy.copy(entry[1])
        worker = Worker.objects.filter(token_hash=digest, is_active=True).first()
        with self._lock:
            if worker is None or ttl <= 0:
                self._entries.pop(digest, None)
                return worker
            if len(self._entries) >= self.MAX_ENTRIES:
                self._entries.clear()  # bounded: a flood of distinct tokens costs a query each, no memory
            self._entries[digest] = (now + ttl, worker)
        return copy.copy(worker)

    def forget(self) -> None:
        with self._lock:
            self._entries.clear()


_worker_credentials = _WorkerCredentials()


def worker_by_token_hash(digest: str) -> Worker | None:
    """The active worker whose token has this hash, or ``None`` (trusted for up to a second)."""
    return _worker_credentials.worker(digest)


def forget_worker_credentials() -> None:
    """Forget the worker tokens this process trusts (called when a token is revoked or rotated)."""
    _worker_credentials.forget()
