"""The requester portal's lists: its labeling jobs and the batches it posted through the tasks
API (reads only). Progress figures come from the selectors every page shares: a job's objects
labeled from its label counters (as ``GET /api/v1/labeling-jobs`` shows them), a batch's answers
from ``marketplace.services.batch_figures``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count
from django.utils import timezone

from marketplace.models import Batch, Organization
from marketplace.services.batch_figures import BatchAnswers, batch_answers, percent_of

from ..models import LabelingJob

JOBS_SHOWN = 100
BATCHES_SHOWN = 50


@dataclass(frozen=True)
class JobRow:
    """One job as the dashboard lists it: objects ``labeled`` (final label) and ``failed`` of
    ``objects_total``; ``percent_labeled`` is the job page's figure (rounded down)."""

    id: int
    name: str
    status: str
    task_type: str
    workteam_name: str
    objects_total: int
    labeled: int
    failed: int
    created_at: datetime

    @property
    def percent_labeled(self) -> int:
        return percent_of(self.labeled, self.objects_total)


def requester_jobs(requester: Organization, *, limit: int = JOBS_SHOWN) -> list[JobRow]:
    """The requester's latest ``limit`` labeling jobs, newest first (another requester's never)."""
    rows = (
        LabelingJob.objects.filter(requester=requester)
        .order_by("-pk")
        .values_list(
            "pk",
            "name",
            "status",
            "task_type",
            "workteam__name",
            "objects_total",
            "human_labeled",
            "failed_objects",
            "created_at",
        )[:limit]
    )
    return [JobRow(*row) for row in rows]


def requester_job_status_counts(requester: Organization) -> dict[str, int]:
    """How many of the requester's jobs are in each status (every status present)."""
    counts = dict.fromkeys(LabelingJob.Status.values, 0)
    for status, n in LabelingJob.objects.filter(requester=requester).values_list("status").annotate(n=Count("pk")):
        counts[status] = n
    return counts


@dataclass(frozen=True)
class BatchRow:
    """A batch the requester posted through the tasks API (a labeling job's own batch is
    listed as the job): its team, when, and its answer figures."""

    id: int
    workteam_name: str
    created_at: datetime
    figures: BatchAnswers

    @property
    def is_finished(self) -> bool:
        return not self.figures.open_tasks and not self.figures.live


def requester_api_batches(
    requester: Organization, *, limit: int = BATCHES_SHOWN, now: datetime | None = None
) -> list[BatchRow]:
    """The requester's latest ``limit`` active batches that no labeling job owns, newest first."""
    batches = list(
        Batch.objects.filter(requester=requester, is_active=True)
        .exclude(pk__in=LabelingJob.objects.filter(requester=requester, batch__isnull=False).values("batch_id"))
        .order_by("-pk")
        .values_list("pk", "workteam__name", "created_at")[:limit]
    )
    figures = batch_answers([row[0] for row in batches], now=now or timezone.now())
    return [
        BatchRow(id=pk, workteam_name=team, created_at=created, figures=figures[pk]) for pk, team, created in batches
    ]
