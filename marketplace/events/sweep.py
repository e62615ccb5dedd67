"""The per-process sender pool (one pass per endpoint at a time in a process), the nudge
after a commit (``webhooks_deliver``) and the periodic reconciler (``webhooks_sweep``)."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, connections
from django.db.models import Exists, OuterRef
from django.utils import timezone

from ..models import Delivery, DeliveryAttempt, Event
from .delivery import endpoint_deliver_due
from .fan_out import FAN_OUT_CHUNK, endpoints_with_due_deliveries, events_fan_out

logger = logging.getLogger(__name__)


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
