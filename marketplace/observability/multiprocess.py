"""Where the serving processes of one server keep their metrics, so ``/metrics`` sums them.

prometheus-client's multiprocess mode keeps each process's values in memory-mapped files in
one directory (``PROMETHEUS_MULTIPROC_DIR``), which a scrape of any process sums. It must be
chosen before prometheus-client is first imported, so ``config/asgi.py`` calls
``ensure_metrics_directory`` first thing.

When ``PROMETHEUS_MULTIPROC_DIR`` is set, that directory is used as it is (the operator's
choice: gunicorn, systemd, a container). Otherwise the directory is one per server run:
``<tmp>/groundwork-metrics-<uid>/<server pid>-<its start time>``, where the server is the
process that spawned this one through ``multiprocessing`` (the ``uvicorn --workers N``
supervisor) or, with none, this process itself (a single ``uvicorn``). So the workers of one
``uvicorn --workers N`` share it, another server on the machine has its own, and a pid reused
later gets another start time, hence a fresh directory.

Stale files go when a process starts: directories of servers no longer running are removed,
and in this server's directory the live gauges of dead workers (``mark_process_dead``).
Counters of a dead worker stay: uvicorn replaces a worker that died, and the sums must not go
backwards when it does.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

ENVIRONMENT_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
_RUN_DIRECTORY = re.compile(r"(\d+)-(\d+)")
_PROCESS_FILE = re.compile(r".*_(\d+)\.db")


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), ``"0"`` where /proc is
    not there, ``None`` when no such process runs."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    except OSError:
        return "0"
    return stat.rsplit(")", 1)[1].split()[19]  # field 22; the name before ")" may hold spaces


def _is_running(pid: int, start_time: str | None = None) -> bool:
    if Path("/proc").is_dir():
        found = _start_time(pid)
        return found is not None and (start_time is None or found == start_time)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def server_pid() -> int:
    parent = multiprocessing.parent_process()
    return parent.pid if parent is not None and parent.pid is not None else os.getpid()


def ensure_metrics_directory() -> Path | None:
    """Set ``PROMETHEUS_MULTIPROC_DIR`` for this process (unless the operator did), create the
    directory and clear what dead processes left; returns it. ``None`` when prometheus-client
    was imported already (a test process importing ``config.asgi`` late): too late to choose,
    this process keeps its metrics in memory."""
    if "prometheus_client" in sys.modules and not os.environ.get(ENVIRONMENT_VARIABLE):
        return None
    if os.environ.get(ENVIRONMENT_VARIABLE):
        directory = Path(os.environ[ENVIRONMENT_VARIABLE])
    else:
        root = Path(tempfile.gettempdir()) / f"groundwork-metrics-{os.getuid()}"
        root.mkdir(mode=0o700, exist_ok=True)
        pid = server_pid()
        directory = root / f"{pid}-{_start_time(pid) or '0'}"
        _remove_stale_runs(root, keep=directory)
    directory.mkdir(parents=True, exist_ok=True)
    os.environ[ENVIRONMENT_VARIABLE] = str(directory)
    _forget_dead_workers(directory)
    return directory


def _remove_stale_runs(root: Path, *, keep: Path) -> None:
    for run in root.iterdir():
        match = _RUN_DIRECTORY.fullmatch(run.name)
        if run == keep or match is None:
            continue
        if not _is_running(int(match[1]), match[2] if match[2] != "0" else None):
            shutil.rmtree(run, ignore_errors=True)


def _forget_dead_workers(directory: Path) -> None:
    dead = set()
    for path in directory.glob("*.db"):
        match = _PROCESS_FILE.fullmatch(path.name)
        if match and not _is_running(int(match[1])):
            dead.add(int(match[1]))
    for pid in dead:  # prometheus-client's mark_process_dead, without importing it this early
        for path in directory.glob(f"gauge_live*_{pid}.db"):
            with contextlib.suppress(OSError):
                path.unlink()
