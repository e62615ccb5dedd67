"""Lists of labeling jobs: a requester's jobs (the API's list and the portal's dashboard, with
the batches it posted through the tasks API), and the jobs that own given batches (what vendor
pages name a batch by). Progress figures come from the selectors every page shares: a job's
objects labeled from its label counters (as ``GET /api/v1/labeling-jobs`` shows them), a
batch's answers from ``marketplace.selectors.batches``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, F, QuerySet
from django.utils import timezone

from marketplace.models import Batch, Organization
from marketplace.selectors.batches import BatchAnswers, batch_answers, percent_of

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


def requester_job_list(
    requester: Organization, *, status: str | None = None, name_contains: str | None = None
) -> QuerySet[LabelingJob]:
    """The requester's labeling jobs (in ``status``, and with ``name_contains`` in their name,
    case-insensitive, when given), unordered: a paginated list orders them."""
    queryset = LabelingJob.objects.filter(requester=requester).select_related("automation")
    if status:
        queryset = queryset.filter(status=status)
    if name_contains:
        queryset = queryset.filter(name__icontains=name_contains)
    return queryset


def jobs_by_batch(batch_ids: Iterable[int | None]) -> dict[int | None, LabelingJob]:
    """The labeling jobs that own these batches, by batch id, with only ``id``, ``name`` and
    ``batch_id`` loaded (a batch posted by the tasks API has none; ``None`` ids are skipped)."""
    ids = [batch_id for batch_id in batch_ids if batch_id]
    return {job.batch_id: job for job in LabelingJob.objects.filter(batch_id__in=ids).only("id", "name", "batch_id")}


def requester_jobs(requester: Organization, *, limit: int = JOBS_SHOWN) -> list[JobRow]:
    """The requester's latest ``limit`` labeling jobs, newest first (another requester's never)."""
    rows = (
        LabelingJob.objects.filter(requester=requester)
        .order_by("-pk")
        .annotate(labeled=F("human_labeled") + F("machine_labeled"))  # by humans or automated labeling
        .values_list(
            "pk",
            "name",
            "status",
            "task_type",
            "workteam__name",
            "objects_total",
            "labeled",
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


CHAINABLE_SHOWN = 200


def chainable_jobs(requester: Organization, *, limit: int = CHAINABLE_SHOWN) -> list[LabelingJob]:
    """The requester's jobs a new job may chain from (``services.chaining``: completed or
    stopped, with their output written), newest first, at most ``limit``."""
    jobs = LabelingJob.objects.filter(
        requester=requester, status__in=(LabelingJob.Status.COMPLETED, LabelingJob.Status.STOPPED)
    ).exclude(output_manifest_uri="")
    return list(jobs.only("pk", "name", "task_type", "status").order_by("-pk")[:limit])
