"""Fetches of labeling objects made on a requester's behalf (tenancy as in marketplace.access)."""

from __future__ import annotations

from marketplace.access import get_or_not_found
from marketplace.models import Organization

from .models import LabelingJob


def access_labeling_job(requester: Organization, job_id: object, *, lock: bool = False) -> LabelingJob:
    """A job of this requester; another requester's job is the same ``NotFound`` as none."""
    return get_or_not_found(LabelingJob.objects.select_related("batch").filter(requester=requester), job_id,
                "labeling job", lock=lock)
