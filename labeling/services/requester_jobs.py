"""The requester portal's list of labeling jobs (reads only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count

from marketplace.models import Organization

from ..models import LabelingJob

JOBS_SHOWN = 100


@dataclass(frozen=True)
class JobRow:
    """One job as the dashboard lists it. ``done`` counts objects labeled or failed (nothing more
    will happen to them); ``percent_done`` is ``done`` over ``objects_total`` (0 before the
    manifest is read)."""

    id: int
    name: str
    status: str
    workteam_name: str
    objects_total: int
    labeled: int
    failed: int
    created_at: datetime

    @property
    def done(self) -> int:
        return self.labeled + self.failed

    @property
    def percent_done(self) -> int:
        return round(100 * self.done / self.objects_total) if self.objects_total else 0


def requester_jobs(requester: Organization, *, limit: int = JOBS_SHOWN) -> list[JobRow]:
    """The requester's latest ``limit`` labeling jobs, newest first (another requester's never)."""
    rows = (
        LabelingJob.objects.filter(requester=requester)
        .order_by("-pk")
        .values_list("pk", "name", "status", "workteam__name", "objects_total", "human_labeled", "failed_objects",
                     "created_at")[:limit]
    )
    return [JobRow(*row) for row in rows]


def requester_job_status_counts(requester: Organization) -> dict[str, int]:
    """How many of the requester's jobs are in each status (every status present)."""
    counts = dict.fromkeys(LabelingJob.Status.values, 0)
    for status, n in LabelingJob.objects.filter(requester=requester).values_list("status").annotate(n=Count("pk")):
        counts[status] = n
    return counts
