"""The request id through Celery, and each background job's run.

``before_task_publish`` puts the current request id (``context``) and the time of publishing
in the message's headers; in the worker, ``task_prerun`` binds that id (or ``job-<task id>``
for a job no request enqueued, such as beat's sweeps) for everything the job logs, and
``task_postrun`` writes the job's line (its duration and lag: publish to start) and records
the run (``record_job_run``). The in-process background thread (``BACKGROUND_MODE=inprocess``)
records its jobs and sweeps through ``local_jobs.observed_job``.

Runs are recorded where ``/metrics`` can read them whichever process ran them: in Redis
(one hash per ``CELERY_QUEUE``, a few ``HINCRBY``s per job) when ``REDIS_URL`` is set,
otherwise in this process's Prometheus counters (``local_jobs``: the in-process thread runs
inside a serving process, whose metrics ``/metrics`` sums).

This module imports nothing of prometheus-client: ``config/celery.py`` imports it, which is
before ``config/asgi.py`` has chosen the metrics directory.
"""

from __future__ import annotations

import logging
import logging.config
import threading
import time
from collections.abc import Callable
from typing import Any

import redis
from celery.signals import before_task_publish, setup_logging, task_postrun, task_prerun
from django.conf import settings

from .context import bind, current_request_id, unbind

logger = logging.getLogger("groundwork.job")
REQUEST_ID_HEADER = "groundwork_request_id"
PUBLISHED_AT_HEADER = "groundwork_published_at"

_running: dict[str, tuple[Any, float, float | None]] = {}
_redis_lock = threading.Lock()
_redis_client: Any = None
RunRecorder = Callable[..., None]
_local_recorder: list[RunRecorder] = []  # set by ``local_jobs`` when it is imported


def use_local_recorder(recorder: RunRecorder) -> None:
    _local_recorder[:] = [recorder]


def jobs_key() -> str:
    return f"groundwork:jobs:{settings.CELERY_TASK_DEFAULT_QUEUE}"


def redis_client() -> Any:
    """One client per process (a pool of connections), made on first use."""
    global _redis_client
    with _redis_lock:
        if _redis_client is None:
            _redis_client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
        return _redis_client


def record_job_run(name: str, *, seconds: float, lag_seconds: float | None, failed: bool) -> None:
    """Count one run of job ``name``: never raises (a metric is not worth a failed job)."""
    try:
        if settings.REDIS_URL:
            pipe = redis_client().pipeline(transaction=False)
            key = jobs_key()
            pipe.hincrby(key, f"{name}|runs", 1)
            pipe.hincrbyfloat(key, f"{name}|seconds", seconds)
            if failed:
                pipe.hincrby(key, f"{name}|failures", 1)
            if lag_seconds is not None:
                pipe.hincrbyfloat(key, f"{name}|lag_seconds", max(lag_seconds, 0.0))
            pipe.hset(key, f"{name}|last_finished", time.time())
            pipe.execute()
        else:
            for recorder in _local_recorder:
                recorder(name, seconds=seconds, lag_seconds=lag_seconds, failed=failed)
    except Exception:
        logger.warning("could not record a run of %s", name, exc_info=True)


@setup_logging.connect
def _log_as_the_servers_do(**_: object) -> None:
    """A Celery worker logs as the serving processes do (``settings.LOGGING``: the format of
    ``LOG_FORMAT``, the level of ``LOG_LEVEL``): connected, this replaces Celery's own set-up,
    which would reset the root level to its ``--loglevel``."""
    logging.config.dictConfig(settings.LOGGING)


@before_task_publish.connect
def _stamp_request_id(sender: object = None, headers: dict | None = None, **_: object) -> None:
    if headers is None:
        return
    request_id = current_request_id()
    if request_id is not None:
        headers[REQUEST_ID_HEADER] = request_id
    headers[PUBLISHED_AT_HEADER] = time.time()


@task_prerun.connect
def _bind_request_id(task_id: str | None = None, task: Any = None, **_: object) -> None:
    request = getattr(task, "request", None)
    request_id = getattr(request, REQUEST_ID_HEADER, None) or f"job-{task_id}"
    published_at = getattr(request, PUBLISHED_AT_HEADER, None)
    lag = time.time() - float(published_at) if isinstance(published_at, int | float) else None
    _running[str(task_id)] = (bind(str(request_id)), time.perf_counter(), lag)
    logger.debug("job %s started", getattr(task, "name", "?"))


@task_postrun.connect
def _finish_job(task_id: str | None = None, task: Any = None, state: str | None = None, **_: object) -> None:
    running = _running.pop(str(task_id), None)
    if running is None:
        return
    token, started, lag = running
    seconds = time.perf_counter() - started
    name = getattr(task, "name", "?")
    failed = state not in (None, "SUCCESS")
    record_job_run(name, seconds=seconds, lag_seconds=lag, failed=failed)
    logger.info(
        "job %s %s in %.1fms (waited %s)",
        name,
        "failed" if failed else "finished",
        seconds * 1000,
        "?" if lag is None else f"{lag * 1000:.1f}ms",
        extra={
            "job": name,
            "job_id": task_id,
            "state": state,
            "duration_ms": round(seconds * 1000, 2),
            "lag_ms": None if lag is None else round(lag * 1000, 2),
        },
    )
    unbind(token)
