"""Fetches of labeling objects made on a requester's or a vendor's behalf (tenancy as in
marketplace.access)."""

from __future__ import annotations

from marketplace.access import get_or_not_found
from marketplace.errors import NotFound
from marketplace.models import Organization, Workteam

from .models import LabelingJob


def access_labeling_job(requester: Organization, job_id: object, *, lock: bool = False) -> LabelingJob:
    """A job of this requester; another requester's job is the same ``NotFound`` as none."""
    return get_or_not_found(
        LabelingJob.objects.select_related("batch").filter(requester=requester), job_id, "labeling job", lock=lock
    )


def access_labeling_job_by_name(requester: Organization, name: object) -> LabelingJob:
    """A job of this requester by its name (unique per requester), as Ground Truth names jobs;
    another requester's job is the same ``NotFound`` as none."""
    job = LabelingJob.objects.select_related("batch").filter(requester=requester, name=name).first()
    if job is None:
        raise NotFound(f"labeling job {name!r} not found")
    return job


def access_job_as_vendor(vendor: Organization, job_id: object) -> LabelingJob:
    """A job whose batch targets one of the vendor's workteams (the vendor sees the work sent to
    its team, nothing else of the requester); any other job is the same ``NotFound`` as none.
    A job still ``initializing`` has no batch yet, so no work reached the team: not found."""
    queryset = LabelingJob.objects.select_related("batch", "batch__workteam", "requester").filter(
        batch__workteam__owner=vendor, batch__workteam__kind=Workteam.Kind.VENDOR
    )
    return get_or_not_found(queryset, job_id, "labeling job", lock=False)
