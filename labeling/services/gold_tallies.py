"""Keeping each worker's answers on a job's gold objects counted against the truth
(``WorkerGoldTally``), the error pattern later jobs read as part of the worker's record
(``labeling.selectors.records``)."""

from __future__ import annotations

from collections.abc import Mapping

from ..models import LabelingJob, WorkerGoldTally
from ..selectors.records import TALLY_COLUMNS
from ..task_types import GoldTally


def job_gold_tallies_save(*, job: LabelingJob, tallies: Mapping[int, GoldTally]) -> None:
    """Replace ``job``'s tallies with ``tallies`` (``{worker_id: GoldTally}``, one consolidation
    pass's ``Consolidation.worker_gold``): a worker no longer in them (their answers excluded)
    loses their row. The caller holds the job's lease (``leases.job_lease``), so passes of one
    job never write at once."""
    WorkerGoldTally.objects.filter(job=job).exclude(worker_id__in=list(tallies)).delete()
    if not tallies:
        return
    WorkerGoldTally.objects.bulk_create(
        [
            WorkerGoldTally(
                job=job,
                worker_id=worker_id,
                **{column: getattr(tally, name) for name, column in TALLY_COLUMNS.items()},
            )
            for worker_id, tally in sorted(tallies.items())
        ],
        update_conflicts=True,
        unique_fields=["job", "worker"],
        update_fields=[*TALLY_COLUMNS.values(), "updated_at"],
    )
