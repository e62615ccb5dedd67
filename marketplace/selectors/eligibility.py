"""The eligibility rule's result for one worker, as a value: which open tasks it may be offered.

``services.dispatch.eligibilities`` reads it (it may record auto-granted qualifications as it
evaluates requirements, so it is a service); the claim and the worker's list of available work
(``selectors.workers.worker_available_work``) both read open tasks through ``open_tasks``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef, QuerySet

from ..models import Assignment, Task, TaskWorkerExclusion, Worker


@dataclass(frozen=True)
class Eligibility:
    """What the eligibility rule knows of one worker, read once per claim: its workteams, the
    requesters blocking it, and the batches it may not take (quality stops, unmet
    requirements). Workers with equal eligibility are offered the same open tasks, less the
    ones each held before."""

    workteam_ids: tuple[int, ...]
    blocking_requester_ids: tuple[int, ...] = ()
    excluded_batch_ids: tuple[int, ...] = ()

    def open_tasks(self, now: datetime) -> QuerySet[Task]:
        """Open, unexpired tasks of these workteams, less the blocking requesters' and the
        excluded batches' (by id lists, so the plan over ``task_open_queue`` is unchanged)."""
        tasks = Task.objects.filter(status=Task.Status.OPEN, workteam_id__in=self.workteam_ids, expires_at__gt=now)
        if self.blocking_requester_ids:
            tasks = tasks.exclude(requester_id__in=self.blocking_requester_ids)
        if self.excluded_batch_ids:
            tasks = tasks.exclude(batch_id__in=self.excluded_batch_ids)
        return tasks

    def open_tasks_for(self, worker: Worker | int, now: datetime) -> QuerySet[Task]:
        """``open_tasks`` this worker may take: less the ones it held before and the ones that
        exclude it (``TaskWorkerExclusion``: a review of its own annotation). The claim's query
        for one worker (its plan over ``task_open_queue`` pinned by a test on PostgreSQL)."""
        held = Assignment.objects.filter(task=OuterRef("pk"), worker=worker)
        excluding = TaskWorkerExclusion.objects.filter(task=OuterRef("pk"), worker=worker)
        return self.open_tasks(now).exclude(Exists(held)).exclude(Exists(excluding))
