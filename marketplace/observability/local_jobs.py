"""The in-process background thread's jobs and sweeps (``BACKGROUND_MODE=inprocess``): each
run under a request id of its own, its line written, its run recorded (``jobs.record_job_run``:
in Redis when there is one, else in this process's Prometheus counters, below)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from prometheus_client import Counter, Gauge

from . import jobs
from .context import bind, new_request_id, unbind

logger = logging.getLogger("groundwork.job")

runs = Counter("groundwork_job_runs", "Background job runs, by job", ["job"])
failures = Counter("groundwork_job_failures", "Background job runs that failed, by job", ["job"])
duration = Counter("groundwork_job_duration_seconds", "Time spent running background jobs, by job", ["job"])
lag = Counter("groundwork_job_lag_seconds", "Time background jobs waited in the queue before they started", ["job"])
last_finished = Gauge(
    "groundwork_job_last_finished_timestamp_seconds",
    "When a run of the job last finished",
    ["job"],
    multiprocess_mode="max",
)


def record(name: str, *, seconds: float, lag_seconds: float | None, failed: bool) -> None:
    runs.labels(name).inc()
    duration.labels(name).inc(seconds)
    if failed:
        failures.labels(name).inc()
    if lag_seconds is not None:
        lag.labels(name).inc(max(lag_seconds, 0.0))
    last_finished.labels(name).set(time.time())


jobs.use_local_recorder(record)


def observed_job(name: str, function: Callable, *args: object) -> object:
    """Run ``function(*args)`` as job ``name``: its own request id, its line (at DEBUG: the
    sweeps run every few seconds) and its run recorded. Exceptions pass through."""
    token = bind(f"job-{new_request_id()}")
    started = time.perf_counter()
    failed = True
    try:
        result = function(*args)
        failed = False
        return result
    finally:
        seconds = time.perf_counter() - started
        jobs.record_job_run(name, seconds=seconds, lag_seconds=None, failed=failed)
        logger.debug("job %s finished in %.1fms", name, seconds * 1000, extra={"job": name, "failed": failed})
        unbind(token)
