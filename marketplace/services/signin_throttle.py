"""Sign-in throttling for the portal and the worker console (one mechanism for both).

Failed sign-ins are counted per account and per client address in fixed windows of
``SIGNIN_LOCK_SECONDS``, starting at the first failure. A key that reaches its limit
(``SIGNIN_FAILURES_PER_ACCOUNT``, ``SIGNIN_FAILURES_PER_ADDRESS``) is locked until its window
ends: attempts are then refused without the password being checked, and refused attempts are
not counted, so a lock always ends at a time known when it began. Nobody can lock a real
account out for good; an attacker can only keep re-locking it for one window at a time, and
the per-account limit is the higher one's small share of that.

With ``REDIS_URL`` the counts live in Redis (shared by every process, expiring by themselves);
otherwise in the database (``SignInThrottle`` rows), so the embedded default and several
processes on PostgreSQL alone count alike. A signed-in success clears the account's count.
"""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from ..models import SignInThrottle

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SignInLock:
    """Why sign-in is refused now, and until when."""

    scope: str  # "account" or "address"
    until: datetime

    @property
    def retry_after_seconds(self) -> int:
        return max(1, math.ceil((self.until - timezone.now()).total_seconds()))

    @property
    def message(self) -> str:
        seconds = self.retry_after_seconds
        minutes = math.ceil(seconds / 60)
        whom = "this account" if self.scope == "account" else "your network address"
        when = f"in {seconds} seconds" if seconds < 60 else "in 1 minute" if minutes == 1 else f"in {minutes} minutes"
        return f"Too many failed sign-ins for {whom}. Try again {when} (at {self.until:%H:%M} UTC)."


def _limits() -> dict[str, int]:
    config = settings.GROUNDWORK
    return {"account": config["SIGNIN_FAILURES_PER_ACCOUNT"], "address": config["SIGNIN_FAILURES_PER_ADDRESS"]}


def _keys(*, realm: str, account: str | None, address: str) -> dict[str, str]:
    # Usernames are compared case-insensitively by neither Django nor workers, but an attacker
    # could vary the case to dodge the count: count the lower-cased name. ``account=None``
    # (activation tokens, reset requests: no account is named) counts the address alone.
    keys = {"address": f"{realm}:address:{address}"}
    if account is not None:
        keys["account"] = f"{realm}:account:{account.strip().lower()[:150]}"
    return keys


# --- backends ------------------------------------------------------------------------------
class _DatabaseCounts:
    def state(self, key: str, now: datetime) -> tuple[int, datetime | None]:
        row = (
            SignInThrottle.objects.filter(key=key, window_ends_at__gt=now)
            .values_list("failures", "window_ends_at")
            .first()
        )
        return row if row else (0, None)

    def add_failure(self, key: str, now: datetime, window: timedelta) -> None:
        with transaction.atomic():
            updated = SignInThrottle.objects.filter(key=key, window_ends_at__gt=now).update(failures=F("failures") + 1)
            if updated:
                return
            # No live window: start one (replacing an ended one); a concurrent start wins, and
            # this failure is then counted in its window.
            SignInThrottle.objects.filter(key=key, window_ends_at__lte=now).delete()
            try:
                with transaction.atomic():
                    SignInThrottle.objects.create(key=key, failures=1, window_ends_at=now + window)
            except IntegrityError:
                SignInThrottle.objects.filter(key=key).update(failures=F("failures") + 1)

    def clear(self, key: str) -> None:
        SignInThrottle.objects.filter(key=key).delete()


class _RedisCounts:
    def __init__(self, url: str) -> None:
        self._client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)

    def _name(self, key: str) -> str:
        return f"{getattr(settings, 'RATE_LIMIT_NAMESPACE', 'gw')}:signin:{key}"

    def state(self, key: str, now: datetime) -> tuple[int, datetime | None]:
        pipe = self._client.pipeline()
        pipe.get(self._name(key))
        pipe.pttl(self._name(key))
        count, ttl_ms = pipe.execute()
        if count is None or ttl_ms is None or ttl_ms <= 0:
            return 0, None
        return int(count), now + timedelta(milliseconds=ttl_ms)

    def add_failure(self, key: str, now: datetime, window: timedelta) -> None:
        name = self._name(key)
        pipe = self._client.pipeline()
        pipe.incr(name)
        pipe.pexpire(name, int(window.total_seconds() * 1000), nx=True)  # the window starts at the first
        pipe.execute()

    def clear(self, key: str) -> None:
        self._client.delete(self._name(key))


_backend: _DatabaseCounts | _RedisCounts | None = None
_backend_lock = threading.Lock()


def _counts() -> _DatabaseCounts | _RedisCounts:
    global _backend
    with _backend_lock:
        if settings.REDIS_URL:
            if not isinstance(_backend, _RedisCounts):
                _backend = _RedisCounts(settings.REDIS_URL)
            return _backend
        if not isinstance(_backend, _DatabaseCounts):
            _backend = _DatabaseCounts()
        return _backend


# --- the service ---------------------------------------------------------------------------
def signin_lock(*, realm: str, account: str | None, address: str) -> SignInLock | None:
    """The lock refusing a sign-in to ``account`` from ``address`` now, or ``None``. ``realm``
    keeps the portal's and the console's accounts apart (``"portal"``, ``"console"``)."""
    now = timezone.now()
    limits = _limits()
    for scope, key in _keys(realm=realm, account=account, address=address).items():
        failures, window_ends_at = _counts().state(key, now)
        if window_ends_at is not None and failures >= limits[scope]:
            return SignInLock(scope=scope, until=window_ends_at)
    return None


def signin_failure_record(*, realm: str, account: str | None, address: str) -> SignInLock | None:
    """Count a failed sign-in against the account and the address; returns the lock it caused,
    if it reached a limit."""
    now = timezone.now()
    window = timedelta(seconds=settings.GROUNDWORK["SIGNIN_LOCK_SECONDS"])
    for key in _keys(realm=realm, account=account, address=address).values():
        _counts().add_failure(key, now, window)
    lock = signin_lock(realm=realm, account=account, address=address)
    if lock is not None:
        logger.warning("sign-in locked: realm=%s scope=%s until=%s", realm, lock.scope, lock.until.isoformat())
    return lock


def signin_success_record(*, realm: str, account: str) -> None:
    """A correct password clears the account's count (not the address's: one good login must
    not reset an address that is trying many accounts)."""
    _counts().clear(_keys(realm=realm, account=account, address="")["account"])


def client_address(request: HttpRequest) -> str:
    """The caller's address as Django sees it (behind a proxy, set ``REMOTE_ADDR`` there)."""
    return request.META.get("REMOTE_ADDR", "") or "unknown"
