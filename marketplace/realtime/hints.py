"""Hints sent over the channel layer after a commit. A hint is never the truth: receivers
re-read the database, and timers re-check, so a lost hint only delays a message.

Hints go to one group, ``HINTS_GROUP``, whose members are the ASGI processes' dispatchers (not
every socket), so a hint costs one channel-layer message per process however many workers
are connected.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from ..observability.metrics import hint_sent

logger = logging.getLogger(__name__)

HINTS_GROUP = "gw.hints"


def _send(message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(HINTS_GROUP, message)
        hint_sent()
    except Exception:  # a lost hint delays work, never loses it: never fail the caller for one
        logger.warning("could not send hint %s", message.get("type"), exc_info=True)


def hint_work_available(*, workteam_ids: Iterable[int], slots: int) -> None:
    """After commit: ``slots`` slots may have opened in these workteams."""
    message = {"type": "work.available", "workteam_ids": sorted(set(workteam_ids)), "slots": int(slots)}
    if message["workteam_ids"] and slots > 0:
        transaction.on_commit(lambda: _send(message))


def hint_assignments_expired(*, expired: Iterable[tuple[int, int]]) -> None:
    """After commit: these ``(worker_id, assignment_id)`` assignments expired."""
    pairs = [[worker_id, assignment_id] for worker_id, assignment_id in expired]
    if pairs:
        transaction.on_commit(lambda: _send({"type": "assignments.expired", "assignments": pairs}))
