"""Gauges read when ``/metrics`` is scraped: from PostgreSQL (open slots and live assignments
per workteam, ledger totals, pending webhook deliveries, and what other apps register, such as
labeling jobs by status) and from Redis (Celery's queue length and the age of its oldest
message, job runs recorded by ``jobs``).

Reading them costs a few grouped queries, so each process keeps the result for
``METRICS_CACHE_SECONDS``: scrapes never add up to load, and the hot path never pays for any
of it. Per-workteam series are bounded: the ``METRICS_MAX_WORKTEAMS`` busiest workteams (open
slots plus live assignments) by id, the rest summed as ``workteam="other"``.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.db.models import Count, F, Min, Sum
from django.utils import timezone
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ..models import Assignment, LedgerAccount, Task
from ..models.events import Delivery
from .jobs import PUBLISHED_AT_HEADER, jobs_key, redis_client
from .sources import registered_sources

logger = logging.getLogger(__name__)
MICROS_PER_DOLLAR = 1_000_000


def _bounded_by_workteam(open_slots: dict[int, int], live: dict[int, int]) -> tuple[dict[str, int], dict[str, int]]:
    limit = settings.METRICS_MAX_WORKTEAMS
    busiest = sorted(set(open_slots) | set(live), key=lambda team: -(open_slots.get(team, 0) + live.get(team, 0)))
    kept = set(busiest[:limit])
    slots_by_label: dict[str, int] = {}
    live_by_label: dict[str, int] = {}
    for source, target in ((open_slots, slots_by_label), (live, live_by_label)):
        for team, value in source.items():
            label = str(team) if team in kept else "other"
            target[label] = target.get(label, 0) + value
    return slots_by_label, live_by_label


def marketplace_gauges() -> Iterator[Metric]:
    open_slots = {
        row["workteam_id"]: int(row["open"] or 0)
        for row in Task.objects.filter(status=Task.Status.OPEN)
        .values("workteam_id")
        .annotate(open=Sum(F("slots") - F("slots_used")))
    }
    live = {
        row["task__workteam_id"]: row["live"]
        for row in Assignment.objects.filter(status=Assignment.Status.ACCEPTED)
        .values("task__workteam_id")
        .annotate(live=Count("id"))
    }
    slots_by_label, live_by_label = _bounded_by_workteam(open_slots, live)
    slots = GaugeMetricFamily(
        "groundwork_open_slots", "Slots of open tasks not yet taken, by workteam", labels=["workteam"]
    )
    for label, value in sorted(slots_by_label.items()):
        slots.add_metric([label], value)
    yield slots
    assignments = GaugeMetricFamily(
        "groundwork_live_assignments", "Assignments accepted and not yet submitted, by workteam", labels=["workteam"]
    )
    for label, value in sorted(live_by_label.items()):
        assignments.add_metric([label], value)
    yield assignments

    ledger = GaugeMetricFamily(
        "groundwork_ledger_balance_dollars", "Sum of the ledger accounts' balances, by account kind", labels=["kind"]
    )
    for row in LedgerAccount.objects.values("kind").annotate(total=Sum("balance_micros")).order_by("kind"):
        ledger.add_metric([row["kind"]], (row["total"] or 0) / MICROS_PER_DOLLAR)
    yield ledger

    pending = Delivery.objects.filter(status=Delivery.Status.PENDING).aggregate(
        count=Count("id"), oldest=Min("next_attempt_at")
    )
    yield GaugeMetricFamily(
        "groundwork_webhook_deliveries_pending",
        "Webhook deliveries not yet delivered nor given up",
        value=pending["count"],
    )
    overdue = 0.0
    if pending["oldest"] is not None:
        overdue = max(0.0, (timezone.now() - pending["oldest"]).total_seconds())
    yield GaugeMetricFamily(
        "groundwork_webhook_delivery_overdue_seconds",
        "How long the most overdue pending webhook delivery has been due",
        value=overdue,
    )


def celery_gauges() -> Iterator[Metric]:
    if not settings.REDIS_URL:
        return
    client = redis_client()
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    length, oldest = client.llen(queue), client.lindex(queue, -1)  # kombu pushes left, pops right
    yield _labelled_gauge(
        "groundwork_celery_queue_length", "Celery messages waiting in the queue", "queue", {queue: length}
    )
    age = 0.0
    if oldest is not None:
        try:
            published = json.loads(oldest)["headers"].get(PUBLISHED_AT_HEADER)
            age = max(0.0, time.time() - float(published)) if published is not None else 0.0
        except (ValueError, KeyError, TypeError, AttributeError):
            age = 0.0
    yield _labelled_gauge(
        "groundwork_celery_oldest_message_age_seconds",
        "How long the oldest waiting Celery message has waited (the job lag now)",
        "queue",
        {queue: age},
    )
    yield from _job_runs(client.hgetall(jobs_key()))


def _labelled_gauge(name: str, documentation: str, label: str, values: dict[str, float]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=[label])
    for key, value in values.items():
        family.add_metric([key], value)
    return family


def _job_runs(fields: dict[bytes, bytes]) -> Iterator[Metric]:
    by_kind: dict[str, dict[str, float]] = {}
    for raw_field, raw_value in fields.items():
        job, _, kind = raw_field.decode().rpartition("|")
        by_kind.setdefault(kind, {})[job] = float(raw_value)
    counters = (
        ("runs", "groundwork_job_runs", "Background job runs, by job"),
        ("failures", "groundwork_job_failures", "Background job runs that failed, by job"),
        ("seconds", "groundwork_job_duration_seconds", "Time spent running background jobs, by job"),
        ("lag_seconds", "groundwork_job_lag_seconds", "Time background jobs waited in the queue before they started"),
    )
    for kind, name, documentation in counters:
        family = CounterMetricFamily(name, documentation, labels=["job"])
        for job, value in sorted(by_kind.get(kind, {}).items()):
            family.add_metric([job], value)
        yield family
    last = GaugeMetricFamily(
        "groundwork_job_last_finished_timestamp_seconds", "When a run of the job last finished", labels=["job"]
    )
    for job, value in sorted(by_kind.get("last_finished", {}).items()):
        last.add_metric([job], value)
    yield last


class ScrapeTimeCollector(Collector):
    """Every registered source, read at most once per ``METRICS_CACHE_SECONDS`` per process.
    A source that fails is skipped (logged), and ``groundwork_scrape_source_up`` says so."""

    _lock = threading.Lock()
    _cached: tuple[float, list[Metric]] = (0.0, [])

    def collect(self) -> Iterable[Metric]:
        with self._lock:
            read_at, cached = ScrapeTimeCollector._cached
            if time.monotonic() - read_at >= settings.METRICS_CACHE_SECONDS or not cached:
                cached = self._read()
                ScrapeTimeCollector._cached = (time.monotonic(), cached)
        return list(cached)

    def _read(self) -> list[Metric]:
        read: list[Metric] = []
        up = GaugeMetricFamily(
            "groundwork_scrape_source_up", "1 when the source's gauges were read at the last refresh", labels=["source"]
        )
        for name, source in {
            "marketplace": marketplace_gauges,
            "celery": celery_gauges,
            **registered_sources(),
        }.items():
            try:
                read.extend(source())
                up.add_metric([name], 1)
            except Exception:
                logger.warning("metrics source %s failed", name, exc_info=True)
                up.add_metric([name], 0)
        read.append(up)
        return read


def forget_cached_gauges() -> None:
    """The next scrape reads every source again (tests)."""
    ScrapeTimeCollector._cached = (0.0, [])
