"""The input of ``POST /api/v1/worker-blocks`` (and MTurk's CreateWorkerBlock): who and why.

Whether the worker exists is the view's to check (``request_body.named_worker``).
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from ..services.blocks import MAX_REASON_LENGTH
from .base import Input
from .fields import Id, Text


class WorkerBlockCreate(Input):
    """Block a worker from your tasks (again: replace the reason)."""

    missing_messages: ClassVar[dict[str, str]] = {"worker_id": "must be an integer"}

    worker_id: Id
    reason: Annotated[str, Text(MAX_REASON_LENGTH, required=True)]
