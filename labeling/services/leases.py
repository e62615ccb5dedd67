"""Which background pass works on a job: a lease in the job's row, taken by compare-and-set.

A pass (ingest, advance) takes the lease, works without holding any row lock across its slow
parts (reading S3, consolidating, writing the output), locks the job row only for its short
writes, and gives the lease back. A pass that dies leaves a lease that expires, so another
process takes the job over; two passes never work on one job at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from ..models import LabelingJob

# Longer than any pass takes (a 100,000-object job ingests in ~25 s and consolidates in ~30 s on
# two slow cores); a dead holder delays its job by at most this much.
LEASE_SECONDS = 900


@contextmanager
def job_lease(job_id: int, *, statuses: Iterable[str]) -> Iterator[bool]:
    """Yields whether this pass holds the job (it is in one of ``statuses`` and nobody else
    holds it); releases the lease on the way out, whatever happens inside."""
    now = timezone.now()
    taken = LabelingJob.objects.filter(
        Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now), pk=job_id, status__in=list(statuses)
    ).update(lease_expires_at=now + timedelta(seconds=LEASE_SECONDS))
    try:
        yield bool(taken)
    finally:
        if taken:
            LabelingJob.objects.filter(pk=job_id).update(lease_expires_at=None)
