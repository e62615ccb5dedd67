"""Sending events to webhook endpoints: fan-out, in-order sending, retries, disabling.

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
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import close_old_connections, connections, transaction
from django.db.models import Exists, F, Min, OuterRef, Q, Subquery
from django.utils import timezone

from ..encryption import SecretDecryptionError
from ..locking import claimed_outbox_rows
from ..models import Delivery, DeliveryAttempt, Event, Membership, WebhookEndpoint, WebhookSenderLease
from ..models.events import ENDPOINT_CHANGE_LISTENERS
from .endpoints import endpoint_secrets
from .outbound import Outcome, post
from .safe_url import WebhookTarget, WebhookUrlError, webhook_target
from .signing import SIGNATURE_HEADER, signature_header

logger = logging.getLogger(__name__)

FAN_OUT_CHUNK = 1000
HEADS_PER_QUERY = 50
ENDPOINT_RELOAD_SECONDS = 30.0


def retry_delay_seconds(failures: int, *, rng: random.Random | None = None) -> float:
    """How long a delivery waits after its ``failures``-th failed attempt: exponential from
    ``WEBHOOK_RETRY_BASE_SECONDS`` (30 s: the first retry within a minute), capped at
    ``WEBHOOK_RETRY_MAX_DELAY_SECONDS``, scaled by a random factor in [0.5, 1] (jitter, so
    receivers that come back are not hit by every retry at once)."""
    exponential = settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** min(max(failures - 1, 0), 40)
    return min(exponential, settings.WEBHOOK_RETRY_MAX_DELAY_SECONDS) * (rng or random).uniform(0.5, 1.0)


def _retry_period() -> timedelta:
    return timedelta(seconds=settings.WEBHOOK_RETRY_PERIOD_SECONDS)


def _lease_seconds() -> float:
    return 2 * settings.WEBHOOK_TIMEOUT_SECONDS + 10


# --- fan-out -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FanOut:
    events: int  # fanned out by this call
    endpoint_ids: frozenset[int]  # that got deliveries


def events_fan_out(*, limit: int = FAN_OUT_CHUNK) -> FanOut:
    """Turn up to ``limit`` events not yet fanned out into their deliveries: one per active
    endpoint of the organization subscribed to the type and created no later than the event.
    Rows another process is fanning out are skipped (never waited on)."""
    with transaction.atomic():
        events = list(
            claimed_outbox_rows(Event.objects.filter(is_fanned_out=False).order_by("id")).only(
                "id", "organization_id", "type", "ordering_key", "created_at"
            )[:limit]
        )
        if not events:
            return FanOut(events=0, endpoint_ids=frozenset())
        endpoints: dict[int, list[WebhookEndpoint]] = {}
        for endpoint in WebhookEndpoint.objects.filter(
            organization_id__in={event.organization_id for event in events}, is_active=True
        ).only("id", "organization_id", "events", "created_at"):
            endpoints.setdefault(endpoint.organization_id, []).append(endpoint)
        now = timezone.now()
        deliveries = [
            Delivery(
                event_id=event.pk,
                endpoint_id=endpoint.pk,
                ordering_key=event.ordering_key,
                next_attempt_at=now,
                give_up_at=now + _retry_period(),
            )
            for event in events
            for endpoint in endpoints.get(event.organization_id, [])
            if endpoint.is_subscribed_to(event.type) and endpoint.created_at <= event.created_at
        ]
        Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
        Event.objects.filter(pk__in=[event.pk for event in events]).update(is_fanned_out=True)
    return FanOut(events=len(events), endpoint_ids=frozenset(delivery.endpoint_id for delivery in deliveries))


def endpoints_with_due_deliveries(now: datetime) -> list[int]:
    """Active endpoints with a pending delivery whose time has come."""
    return list(
        Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now, endpoint__is_active=True)
        .values_list("endpoint_id", flat=True)
        .distinct()
    )


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
        window_start = delivery.give_up_at - _retry_period()
        return not _disable_if_failing_too_long(sender.endpoint_id, window_start)
    delay = timedelta(seconds=retry_delay_seconds(delivery.attempts + 1))
    pending.update(next_attempt_at=now + delay, **common)
    return True


# --- disabling ---------------------------------------------------------------------------------


def endpoint_disable(*, endpoint_id: int, reason: str) -> bool:
    """Disable an active endpoint (compare-and-set) and cancel its pending deliveries; for
    ``failing``, its organization's admins are emailed after commit. Returns whether this call
    disabled it. Call inside or outside a transaction."""
    with transaction.atomic():
        now = timezone.now()
        changed = WebhookEndpoint.objects.filter(pk=endpoint_id, is_active=True).update(
            is_active=False, disabled_reason=reason, disabled_at=now, updated_at=now
        )
        if not changed:
            return False
        Delivery.objects.filter(endpoint_id=endpoint_id, status=Delivery.Status.PENDING).update(
            status=Delivery.Status.CANCELLED, last_error=f"endpoint disabled ({reason})"
        )
        endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
        transaction.on_commit(lambda: _forget(endpoint.organization_id))
        if reason in (WebhookEndpoint.DisabledReason.FAILING, WebhookEndpoint.DisabledReason.GONE):
            transaction.on_commit(lambda: _email_admins(endpoint))
    logger.warning("webhook endpoint %s disabled: %s", endpoint_id, reason)
    return True


def _forget(organization_id: int) -> None:
    for listener in ENDPOINT_CHANGE_LISTENERS:
        listener(organization_id)


def _disable_if_failing_too_long(endpoint_id: int, window_start: datetime) -> bool:
    """Disable the endpoint when nothing sent to it has succeeded since ``window_start`` (the
    start of the retry period of a delivery that just ran out of retries)."""
    succeeded_since = Delivery.objects.filter(
        endpoint_id=endpoint_id, status=Delivery.Status.SUCCEEDED, delivered_at__gte=window_start
    )
    if succeeded_since.exists():
        return False
    return endpoint_disable(endpoint_id=endpoint_id, reason=WebhookEndpoint.DisabledReason.FAILING)


def _email_admins(endpoint: WebhookEndpoint) -> None:
    recipients = sorted(
        {
            email
            for email in Membership.objects.filter(
                organization_id=endpoint.organization_id, role=Membership.Role.ADMIN, user__is_active=True
            ).values_list("user__email", flat=True)
            if email
        }
    )
    if not recipients:
        return
    why = WebhookEndpoint.DisabledReason(endpoint.disabled_reason).label
    try:
        send_mail(
            subject=f"Groundwork: webhook endpoint {endpoint.pk} was disabled",
            message=(
                f"Your webhook endpoint {endpoint.pk} ({endpoint.url}) was disabled: {why}.\n\n"
                "Events are no longer sent to it. Once the receiver works again, enable the endpoint "
                'and redeliver what it missed (docs/webhooks.md, "Redelivery").\n'
            ),
            from_email=None,
            recipient_list=recipients,
        )
    except Exception:  # the endpoint is disabled either way; the log keeps the failure
        logger.exception("emailing the admins of organization %s failed", endpoint.organization_id)


# --- the per-process pools ------------------------------------------------------------------------


class _SenderPool:
    """This process's sender threads: at most one pass per endpoint at a time; a nudge for an
    endpoint already being served makes its pass look once more before it ends."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid = 0
        self._executor: ThreadPoolExecutor | None = None
        self._in_flight: set[int] = set()
        self._again: set[int] = set()

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None or self._pid != os.getpid():  # a forked Celery child starts its own
            self._executor = ThreadPoolExecutor(
                max_workers=settings.WEBHOOK_SENDER_THREADS, thread_name_prefix="groundwork-webhooks"
            )
            self._pid = os.getpid()
            self._in_flight, self._again = set(), set()
        return self._executor

    def start(self, endpoint_ids: Iterable[int]) -> int:
        started = 0
        with self._lock:
            pool = self._pool()
            for endpoint_id in endpoint_ids:
                if endpoint_id in self._in_flight:
                    self._again.add(endpoint_id)
                    continue
                self._in_flight.add(endpoint_id)
                pool.submit(self._serve, endpoint_id)
                started += 1
        return started

    def _serve(self, endpoint_id: int) -> None:
        try:
            while True:
                try:
                    close_old_connections()
                    endpoint_deliver_due(endpoint_id=endpoint_id)
                except Exception:  # the sweep tries again; the log says why
                    logger.exception("sending to webhook endpoint %s failed", endpoint_id)
                with self._lock:
                    if endpoint_id not in self._again:
                        self._in_flight.discard(endpoint_id)
                        return
                    self._again.discard(endpoint_id)
        finally:
            with self._lock:
                self._in_flight.discard(endpoint_id)
            connections.close_all()

    def idle(self) -> bool:
        with self._lock:
            return not self._in_flight


senders = _SenderPool()
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


@dataclass(frozen=True)
class WebhookSweepReport:
    events_fanned_out: int
    endpoints_started: int
    events_purged: int


def webhooks_deliver(*, endpoint_ids: Iterable[int] = ()) -> int:
    """The nudge after a commit: fan out new events and start senders for the endpoints that
    got deliveries, and for ``endpoint_ids`` (returns how many senders started)."""
    endpoint_ids = set(endpoint_ids)
    while True:
        fan_out = events_fan_out()
        endpoint_ids |= fan_out.endpoint_ids
        if fan_out.events < FAN_OUT_CHUNK:
            return senders.start(sorted(endpoint_ids))


def events_purge(now: datetime, *, limit: int = FAN_OUT_CHUNK) -> int:
    """Delete events older than ``WEBHOOK_EVENT_RETENTION_SECONDS`` with nothing pending
    (their deliveries and attempt logs go with them)."""
    cutoff = now - timedelta(seconds=settings.WEBHOOK_EVENT_RETENTION_SECONDS)
    pending = Delivery.objects.filter(event_id=OuterRef("pk"), status=Delivery.Status.PENDING)
    ids = list(
        Event.objects.filter(created_at__lt=cutoff, is_fanned_out=True)
        .exclude(Exists(pending))
        .values_list("pk", flat=True)[:limit]
    )
    if not ids:
        return 0
    DeliveryAttempt.objects.filter(delivery__event_id__in=ids).delete()
    Delivery.objects.filter(event_id__in=ids).delete()
    deleted, _ = Event.objects.filter(pk__in=ids).delete()
    return deleted


def webhooks_sweep() -> WebhookSweepReport:
    """The periodic reconciler: fan out what no nudge did, start a sender for every endpoint
    with due deliveries (retries included), purge old events."""
    fanned = 0
    while True:
        fan_out = events_fan_out()
        fanned += fan_out.events
        if fan_out.events < FAN_OUT_CHUNK:
            break
    now = timezone.now()
    started = senders.start(endpoints_with_due_deliveries(now))
    return WebhookSweepReport(events_fanned_out=fanned, endpoints_started=started, events_purged=events_purge(now))
