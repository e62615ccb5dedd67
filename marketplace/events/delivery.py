"""Sending events to webhook endpoints: in-order sending and retries (fan-out in ``fan_out``,
disabling in ``disabling``, the per-process pools and the sweep in ``sweep``).

At least once, in order per object: each event becomes one ``Delivery`` per subscribed active
endpoint of its organization (``events_fan_out``); an endpoint's sender sends, oldest first,
each pending delivery that is due and is the first pending one of its ``ordering_key`` (a later
event of the same object waits while an earlier one is undelivered). A 2xx succeeds; a 410
disables the endpoint; anything else (another status, a timeout, a connection error, a URL
whose address is no longer allowed) is retried after ``retry_delay_seconds`` until the retry
period since the delivery began has passed, when the delivery fails; and when the endpoint has
failed without a success for the whole retry period, it is disabled and the organization's
admins are emailed.

One sender per endpoint at a time, whatever the process (``WebhookSenderLease``); each sender
runs on a thread of this process's pool, so a slow or dead receiver holds only its own thread,
and after a timeout or connection error its endpoint rests (``paused_until``) so it costs one
timeout per pause rather than one per event. Every step is safe to run twice or in several
processes at once: the database says what is due, and a sender that died leaves a lease that
runs out and deliveries that are still pending.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Min, Q, Subquery
from django.utils import timezone

from ..encryption import SecretDecryptionError
from ..models import Delivery, DeliveryAttempt, WebhookEndpoint, WebhookSenderLease
from .disabling import endpoint_disable, endpoint_disable_if_failing_too_long
from .endpoints import endpoint_secrets
from .fan_out import retry_period
from .outbound import Outcome, post
from .safe_url import WebhookTarget, WebhookUrlError, webhook_target
from .signing import SIGNATURE_HEADER, signature_header

logger = logging.getLogger(__name__)

HEADS_PER_QUERY = 50
ENDPOINT_RELOAD_SECONDS = 30.0


def retry_delay_seconds(failures: int, *, rng: random.Random | None = None) -> float:
    """How long a delivery waits after its ``failures``-th failed attempt: exponential from
    ``WEBHOOK_RETRY_BASE_SECONDS`` (30 s: the first retry within a minute), capped at
    ``WEBHOOK_RETRY_MAX_DELAY_SECONDS``, scaled by a random factor in [0.5, 1] (jitter, so
    receivers that come back are not hit by every retry at once)."""
    exponential = settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** min(max(failures - 1, 0), 40)
    return min(exponential, settings.WEBHOOK_RETRY_MAX_DELAY_SECONDS) * (rng or random).uniform(0.5, 1.0)


def _lease_seconds() -> float:
    return 2 * settings.WEBHOOK_TIMEOUT_SECONDS + 10


# --- the lease: one sender per endpoint -------------------------------------------------------


def _lease_acquire(endpoint_id: int, holder: str) -> bool:
    now = timezone.now()
    free = Q(expires_at__isnull=True) | Q(expires_at__lt=now)
    rested = Q(paused_until__isnull=True) | Q(paused_until__lte=now)
    for _ in range(2):
        taken = WebhookSenderLease.objects.filter(free, rested, endpoint_id=endpoint_id).update(
            holder=holder, expires_at=now + timedelta(seconds=_lease_seconds())
        )
        if taken or WebhookSenderLease.objects.filter(endpoint_id=endpoint_id).exists():
            return bool(taken)
        WebhookSenderLease.objects.bulk_create([WebhookSenderLease(endpoint_id=endpoint_id)], ignore_conflicts=True)
    return False


def _lease_renew(endpoint_id: int, holder: str) -> bool:
    expires = timezone.now() + timedelta(seconds=_lease_seconds())
    return bool(WebhookSenderLease.objects.filter(endpoint_id=endpoint_id, holder=holder).update(expires_at=expires))


def _lease_release(endpoint_id: int, holder: str, *, pause_failures: bool) -> None:
    """Give the lease back; after a timeout or connection error (``pause_failures``), rest the
    endpoint for a backoff that grows with the failures in a row."""
    lease = WebhookSenderLease.objects.filter(endpoint_id=endpoint_id, holder=holder)
    if pause_failures:
        failures = (lease.values_list("consecutive_failures", flat=True).first() or 0) + 1
        pause = timedelta(seconds=retry_delay_seconds(failures))
        lease.update(holder="", expires_at=None, consecutive_failures=failures, paused_until=timezone.now() + pause)
    else:
        lease.update(holder="", expires_at=None)


# --- sending one endpoint's due deliveries ----------------------------------------------------


def _due_heads(endpoint_id: int, now: datetime) -> list[Delivery]:
    """Due pending deliveries of an active endpoint that are each the first pending one of
    their ordering key, oldest event first. The first of each key is a GROUP BY over the index
    ``delivery_pending_order`` (one pass over the endpoint's pending rows, whatever the plan's
    estimates), not a per-row anti-join."""
    firsts = (
        Delivery.objects.filter(endpoint_id=endpoint_id, status=Delivery.Status.PENDING)
        .values("ordering_key")
        .annotate(first=Min("event_id"))
        .values("first")
    )
    return list(
        Delivery.objects.filter(
            endpoint_id=endpoint_id,
            endpoint__is_active=True,
            status=Delivery.Status.PENDING,
            next_attempt_at__lte=now,
            event_id__in=Subquery(firsts),
        )
        .select_related("event")
        .order_by("event_id")[:HEADS_PER_QUERY]
    )


@dataclass
class _Sender:
    """One pass over an endpoint (holding its lease): its URL checked and resolved once per
    ``ENDPOINT_RELOAD_SECONDS``, its secrets read as often."""

    endpoint_id: int
    holder: str
    endpoint: WebhookEndpoint | None = None
    target: WebhookTarget | None = None
    refusal: str = ""
    secrets: tuple[str, ...] = ()
    loaded_at: float = 0.0
    is_failing: bool = False

    def reload(self) -> bool:
        self.endpoint = WebhookEndpoint.objects.filter(pk=self.endpoint_id, is_active=True).first()
        if self.endpoint is None:
            return False
        try:
            self.secrets = tuple(endpoint_secrets(self.endpoint))
            self.target, self.refusal = webhook_target(self.endpoint.url), ""
        except WebhookUrlError as error:
            self.target, self.refusal = None, f"the URL is refused: it {error}"
        except SecretDecryptionError as error:  # an operator changed the key: say so in the log
            self.target, self.refusal = None, f"not signed: {error}"
        self.is_failing = self.endpoint.failing_since is not None
        self.loaded_at = time.monotonic()
        return True

    def attempt(self, delivery: Delivery) -> Outcome:
        if self.target is None:
            return Outcome(status_code=None, duration_ms=0, error=self.refusal[:500])
        body = delivery.event.body.encode("utf-8")
        headers = {
            SIGNATURE_HEADER: signature_header(body, list(self.secrets), int(time.time())),
            "Groundwork-Event-Id": delivery.event.public_id,
            "Groundwork-Event-Type": delivery.event.type,
            "Groundwork-Delivery-Attempt": str(delivery.attempts + 1),
        }
        return post(self.target, body, headers, timeout_seconds=settings.WEBHOOK_TIMEOUT_SECONDS)

    def run(self) -> int:
        """Send every due head until none is left (or the endpoint goes away, answers 410, or
        times out). Up to ``WEBHOOK_ENDPOINT_CONCURRENCY`` requests are in flight at once, each
        for another object (heads have distinct ordering keys). Returns the attempts made."""
        attempts = 0
        pause = False
        try:
            if not self.reload():
                return 0
            width = max(1, settings.WEBHOOK_ENDPOINT_CONCURRENCY)
            while True:
                heads = _due_heads(self.endpoint_id, timezone.now())
                if not heads:
                    return attempts
                for chunk in (heads[i : i + width] for i in range(0, len(heads), width)):
                    if time.monotonic() - self.loaded_at > ENDPOINT_RELOAD_SECONDS and not self.reload():
                        return attempts
                    if not _lease_renew(self.endpoint_id, self.holder):
                        return attempts  # lost (we were too slow): another sender has it now
                    started = timezone.now()
                    outcomes = list(_requests().map(self.attempt, chunk))
                    attempts += len(chunk)
                    if not _record(self, list(zip(chunk, outcomes, strict=True)), started):
                        return attempts  # the endpoint was disabled
                    if self.target is not None and any(outcome.status_code is None for outcome in outcomes):
                        pause = True  # unreachable or too slow: rest before the next try
                        return attempts
        finally:
            _lease_release(self.endpoint_id, self.holder, pause_failures=pause)


def endpoint_deliver_due(*, endpoint_id: int) -> int:
    """Send an endpoint's due deliveries now, from this thread, if no other sender holds it.
    Returns the attempts made (0 when another sender has it, or it rests after failures)."""
    holder = uuid.uuid4().hex
    if not _lease_acquire(endpoint_id, holder):
        return 0
    return _Sender(endpoint_id=endpoint_id, holder=holder).run()


def _record(sender: _Sender, sent: list[tuple[Delivery, Outcome]], started: datetime) -> bool:
    """Log a chunk's attempts and move each delivery on, in one transaction. Returns whether
    the endpoint is still active."""
    now = timezone.now()
    still_active = True
    with transaction.atomic():
        DeliveryAttempt.objects.bulk_create(
            [
                DeliveryAttempt(
                    delivery_id=delivery.pk,
                    started_at=started,
                    status_code=outcome.status_code,
                    duration_ms=outcome.duration_ms,
                    response_excerpt=outcome.response_excerpt,
                    error=outcome.error,
                )
                for delivery, outcome in sent
            ]
        )
        # Each UPDATE names the delivery as it was sent (its ``next_attempt_at``): one that a
        # redelivery opened again meanwhile is left pending, to be sent again.
        succeeded: dict[int, list[Delivery]] = {}  # status code -> deliveries
        failed: list[tuple[Delivery, Outcome]] = []
        for delivery, outcome in sent:
            code = outcome.status_code
            if code is not None and 200 <= code < 300:
                succeeded.setdefault(code, []).append(delivery)
            else:
                failed.append((delivery, outcome))
        for code, deliveries in succeeded.items():
            Delivery.objects.filter(_as_sent(deliveries)).update(
                status=Delivery.Status.SUCCEEDED,
                delivered_at=now,
                attempts=F("attempts") + 1,
                last_status_code=code,
                last_error="",
            )
        if succeeded and sender.is_failing:
            WebhookEndpoint.objects.filter(pk=sender.endpoint_id).update(failing_since=None)
            WebhookSenderLease.objects.filter(endpoint_id=sender.endpoint_id).update(consecutive_failures=0)
            sender.is_failing = False
        for delivery, outcome in failed:
            still_active = _record_failure(sender, delivery, outcome, now) and still_active
    return still_active


def _as_sent(deliveries: list[Delivery]) -> Q:
    """These deliveries, still pending and not opened again since they were read."""
    same = Q()
    for delivery in deliveries:
        same |= Q(pk=delivery.pk, next_attempt_at=delivery.next_attempt_at)
    return same & Q(status=Delivery.Status.PENDING)


def _record_failure(sender: _Sender, delivery: Delivery, outcome: Outcome, now: datetime) -> bool:
    code = outcome.status_code
    pending = Delivery.objects.filter(_as_sent([delivery]))
    common = {
        "attempts": F("attempts") + 1,
        "last_status_code": code,
        "last_error": (outcome.error or f"HTTP {code}")[:500],
    }
    if code == 410:
        pending.update(status=Delivery.Status.FAILED, **common)
        endpoint_disable(endpoint_id=sender.endpoint_id, reason=WebhookEndpoint.DisabledReason.GONE)
        return False
    if not sender.is_failing:
        WebhookEndpoint.objects.filter(pk=sender.endpoint_id, failing_since__isnull=True).update(failing_since=now)
        sender.is_failing = True
    if now >= delivery.give_up_at:
        pending.update(status=Delivery.Status.FAILED, **common)
        window_start = delivery.give_up_at - retry_period()
        return not endpoint_disable_if_failing_too_long(sender.endpoint_id, window_start)
    delay = timedelta(seconds=retry_delay_seconds(delivery.attempts + 1))
    pending.update(next_attempt_at=now + delay, **common)
    return True


_request_pool: tuple[int, ThreadPoolExecutor] | None = None
_request_pool_lock = threading.Lock()


def _requests() -> ThreadPoolExecutor:
    """The threads that make the HTTP requests (network waits only; no database): one pass
    waits for its chunk, so an endpoint never holds more than its concurrency of them and the
    pool (senders × concurrency) is never short."""
    global _request_pool
    with _request_pool_lock:
        if _request_pool is None or _request_pool[0] != os.getpid():
            size = settings.WEBHOOK_SENDER_THREADS * max(1, settings.WEBHOOK_ENDPOINT_CONCURRENCY)
            _request_pool = (
                os.getpid(),
                ThreadPoolExecutor(max_workers=size, thread_name_prefix="groundwork-hook-http"),
            )
        return _request_pool[1]
