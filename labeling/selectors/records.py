"""Workers' records from earlier labeling jobs, as a job's consolidation reads them (issue 23).

Besides the accuracy marketplace's reputation keeps per batch
(``marketplace.selectors.workers.worker_batch_records``), labeling keeps each worker's answers on
each job's gold objects counted against the truth (``WorkerGoldTally``): the error pattern the
drawn types and masks read (docs/consolidation.md, "records").
"""

from __future__ import annotations

from django.db.models import QuerySet, Sum

from ..models import LabelingJob, WorkerGoldTally
from ..task_types import GoldTally

_COUNTS = (
    "items",
    "true_objects",
    "found",
    "found_exact",
    "drawn",
    "drawn_stray",
    "drawn_inexact",
    "drawn_shared",
    "shared_by",
    "peers",
)


def earlier_similar_jobs(job: LabelingJob) -> QuerySet[LabelingJob]:
    """The other jobs of ``job``'s task type and label categories that posted a batch: where a
    worker's record for ``job`` comes from (never ``job`` itself)."""
    return LabelingJob.objects.filter(
        task_type=job.task_type, label_categories=job.label_categories, batch__isnull=False
    ).exclude(pk=job.pk)


def worker_gold_records(*, job: LabelingJob, worker_ids: list[int]) -> dict[int, GoldTally]:
    """``{worker_id: GoldTally}`` summed over the workers' tallies in ``earlier_similar_jobs``;
    workers without any are left out."""
    rows = (
        WorkerGoldTally.objects.filter(
            worker_id__in=worker_ids, job__in=earlier_similar_jobs(job).values("pk"), items__gt=0
        )
        .values("worker_id")
        .annotate(**{name: Sum(name) for name in (*_COUNTS, "area_error", "boundary")})
        .order_by("worker_id")
    )
    return {
        row["worker_id"]: GoldTally(
            items=int(row["items"]),
            objects=int(row["true_objects"]),
            found=int(row["found"]),
            found_exact=int(row["found_exact"]),
            drawn=int(row["drawn"]),
            drawn_stray=int(row["drawn_stray"]),
            drawn_inexact=int(row["drawn_inexact"]),
            drawn_shared=int(row["drawn_shared"]),
            shared_by=int(row["shared_by"]),
            peers=int(row["peers"]),
            area_error=float(row["area_error"]),
            boundary=float(row["boundary"]),
        )
        for row in rows
    }
