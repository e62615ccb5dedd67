"""Background work on the embedded default: the same task functions Celery runs, on a daemon
thread of this process, never inside a request (DESIGN.md "Real components").

With ``BACKGROUND_MODE=celery`` (the default when ``REDIS_URL`` is set) nothing runs here:
Celery beat schedules ``marketplace.tasks.run_sweeps`` and a Celery worker runs it.
"""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import close_old_connections

logger = logging.getLogger(__name__)
_started = threading.Event()
_stop = threading.Event()


def _sweep_loop(interval_seconds: float) -> None:
    from .services.sweeps import run_sweeps

    while not _stop.wait(interval_seconds):
        close_old_connections()
        try:
            report = run_sweeps()
            if any(vars(report).values()):
                logger.info("sweeps: %s", report)
        except Exception:  # keep the loop alive: the next pass retries what failed
            logger.exception("sweep pass failed")
        finally:
            close_old_connections()


def start_in_process_worker_if_configured() -> bool:
    """Start the sweep thread once per process when background work is in-process."""
    if settings.BACKGROUND_MODE != "inprocess" or _started.is_set():
        return False
    _started.set()
    thread = threading.Thread(
        target=_sweep_loop, args=(settings.SWEEP_INTERVAL_SECONDS,), name="groundwork-sweeps", daemon=True
    )
    thread.start()
    return True
