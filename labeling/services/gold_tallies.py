"""Keeping each worker's answers on a job's gold objects counted against the truth
(``WorkerGoldTally``), the error pattern later jobs read as part of the worker's record
(``labeling.selectors.records``)."""

from __future__ import annotations

from collections.abc import Mapping

from ..models import LabelingJob, WorkerGoldTally
from ..task_types import GoldTally


def job_gold_tallies_save(*, job: LabelingJob, tallies: Mapping[int, GoldTally]) -> None:
    """Replace ``job``'s tallies with ``tallies`` (``{worker_id: GoldTally}``, one consolidation
    pass's ``Consolidation.worker_gold``): a worker no longer in them (their answers excluded)
    loses their row. The caller holds the job's lease (``leases.job_lease``), so passes of one
    job never write at once."""
    WorkerGoldTally.objects.filter(job=job).exclude(worker_id__in=list(tallies)).delete()
    if not tallies:
        return
    fields = ["items", "true_objects", "found", "found_exact", "drawn", "drawn_stray", "drawn_inexact"]
    fields += ["drawn_shared", "shared_by", "peers", "area_error", "boundary"]
    WorkerGoldTally.objects.bulk_create(
        [
            WorkerGoldTally(
                job=job,
                worker_id=worker_id,
                items=tally.items,
                true_objects=tally.objects,
                found=tally.found,
                found_exact=tally.found_exact,
                drawn=tally.drawn,
                drawn_stray=tally.drawn_stray,
                drawn_inexact=tally.drawn_inexact,
                drawn_shared=tally.drawn_shared,
                shared_by=tally.shared_by,
                peers=tally.peers,
                area_error=tally.area_error,
                boundary=tally.boundary,
            )
            for worker_id, tally in sorted(tallies.items())
        ],
        update_conflicts=True,
        unique_fields=["job", "worker"],
        update_fields=[*fields, "updated_at"],
    )
