"""Background work off the request path (DESIGN.md "Real components").

``run_in_background(task, *args)`` schedules a Celery task after the current transaction
commits: with ``BACKGROUND_MODE=celery`` (the default when ``REDIS_URL`` is set) a Celery
worker runs it; with ``inprocess`` (the embedded default) a daemon thread of this process does,
never the request itself. That same thread runs every registered sweep each
``SWEEP_INTERVAL_SECONDS``; under Celery, beat schedules them (``CELERY_BEAT_SCHEDULE``).

Nothing here is the only record of work to do: the sweeps are reconcilers that find, in the
database, what a lost message or a dead process left undone, so a queued call lost with its
process is redone by the next sweep somewhere.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from django.conf import settings
from django.db import close_old_connections, transaction

from .observability.local_jobs import observed_job

logger = logging.getLogger(__name__)
_started = threading.Event()
_stop = threading.Event()  # ends the loop (tests)


class BackgroundJob(Protocol):
    """A Celery task as ``run_in_background`` uses it: ``delay`` under Celery; in process, its
    name (for the log) and a call."""

    name: str

    def __call__(self, *args: Any) -> object: ...

    def delay(self, *args: Any) -> object: ...


_queue: queue.Queue[tuple[BackgroundJob, tuple]] = queue.Queue()
_sweeps: dict[str, Callable[[], object]] = {}


def register_sweep(name: str, sweep: Callable[[], object]) -> None:
    """Register a sweep (a callable safe to run twice and concurrently, returning a dataclass
    report): the in-process loop and ``manage.py run_sweeps`` run every registered one."""
    _sweeps[name] = sweep


def registered_sweeps() -> dict[str, Callable[[], object]]:
    return dict(_sweeps)


def sweep_report_log(name: str, report: object) -> None:
    """Log what one pass of a sweep changed (its report's non-zero counts): at INFO when it
    changed something, which is what an operator wants to see, at DEBUG when it changed nothing
    (most passes, every few seconds)."""
    changed = {field: count for field, count in vars(report).items() if count}
    if changed:
        logger.info("sweep %s: %s", name, ", ".join(f"{field}={count}" for field, count in changed.items()))
    else:
        logger.debug("sweep %s: nothing to do", name)


def run_in_background(task: BackgroundJob, *args: object) -> None:
    """After commit, run Celery task ``task`` with ``args`` (ids, not objects) off this request."""
    if settings.BACKGROUND_MODE == "celery":
        transaction.on_commit(lambda: task.delay(*args))
    else:
        transaction.on_commit(lambda: _queue.put((task, args)))


def _run(name: str, function: Callable, *args) -> object:
    close_old_connections()
    try:
        return observed_job(name, function, *args)
    except Exception:  # keep the loop alive: the next sweep retries what failed
        logger.exception("background work %s failed", name)
        return None
    finally:
        close_old_connections()


def _worker_loop(interval_seconds: float) -> None:
    # One thread does everything, so in-process work never runs two writers at once (SQLite
    # would make the second wait on the first's lock).
    next_sweep = time.monotonic() + interval_seconds
    while not _stop.is_set():
        try:
            task, args = _queue.get(timeout=max(0.0, next_sweep - time.monotonic()))
            _run(task.name, task, *args)
        except queue.Empty:
            pass
        if time.monotonic() >= next_sweep:
            for name, sweep in registered_sweeps().items():
                report = _run(name, sweep)
                if report is not None:
                    sweep_report_log(name, report)
            next_sweep = time.monotonic() + interval_seconds


def start_in_process_worker_if_configured() -> bool:
    """Start the background thread once per process when background work is in-process."""
    if settings.BACKGROUND_MODE != "inprocess" or _started.is_set():
        return False
    _started.set()
    thread = threading.Thread(
        target=_worker_loop, args=(settings.SWEEP_INTERVAL_SECONDS,), name="groundwork-background", daemon=True
    )
    thread.start()
    return True
