"""Workers' records from earlier labeling jobs, as a job's consolidation reads them (issue 23).

Besides the accuracy marketplace's reputation keeps per batch
(``marketplace.selectors.workers.worker_batch_records``), labeling keeps each worker's answers on
each job's gold objects counted against the truth (``WorkerGoldTally``): the error pattern the
drawn types and masks read (docs/consolidation.md, "records").
"""

from __future__ import annotations

from dataclasses import fields

from django.db.models import QuerySet, Sum

from ..models import LabelingJob, WorkerGoldTally
from ..task_types import GoldTally

# ``GoldTally``'s fields and the ``WorkerGoldTally`` columns that keep them (``objects`` is
# the model's manager, so that count is ``true_objects``).
TALLY_COLUMNS = {field.name: "true_objects" if field.name == "objects" else field.name for field in fields(GoldTally)}


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
        .annotate(**{column: Sum(column) for column in TALLY_COLUMNS.values()})
        .order_by("worker_id")
    )
    # Each count back in its field's type (its default's: the sums come as Decimal or int).
    return {
        row["worker_id"]: GoldTally(
            **{name: type(getattr(GoldTally, name))(row[column]) for name, column in TALLY_COLUMNS.items()}
        )
        for row in rows
    }
