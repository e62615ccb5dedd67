"""Nudge the sender once per transaction, after it commits."""

from __future__ import annotations

from django.db import connection

from ..background import BackgroundJob, run_in_background


def kick_after_commit(job: BackgroundJob, *args: object) -> None:
    """``run_in_background(job, *args)`` after the current transaction commits, once however
    many times it is asked with the same arguments (a batched submit of 32 answers sends one
    nudge, not 32)."""
    pending = getattr(connection, "run_on_commit", None) or []
    marker = (getattr(job, "name", job), args)
    if any(getattr(callback, "groundwork_kick", None) == marker for _, callback, *_ in pending):
        return
    before = len(pending)
    run_in_background(job, *args)
    after = getattr(connection, "run_on_commit", None) or []
    if len(after) > before:  # mark the callback run_in_background registered
        after[-1][1].groundwork_kick = marker
