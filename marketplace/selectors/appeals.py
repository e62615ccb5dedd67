"""Reads of appeals: a requester's and a worker's lists, and a requester's public figures (the
profile workers see in the console, ``GET /api/v1/worker/requesters/{id}``).

Each figure is computed here, once, and named with what it counts; the API and the console
show these numbers and never recompute them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, QuerySet

from ..models import Appeal, Assignment, Organization, Worker


def requester_appeals(requester: Organization, *, status: str | None = None) -> QuerySet[Appeal]:
    """The appeals of ``requester``'s rejections (unordered: a paginated list orders by id),
    with what their representation reads."""
    queryset = Appeal.objects.select_related("assignment", "assignment__task").filter(requester=requester)
    if status is not None:
        queryset = queryset.filter(status=status)
    return queryset


def worker_appeals(worker: Worker, *, status: str | None = None) -> QuerySet[Appeal]:
    """``worker``'s appeals (unordered), with their assignments, tasks and requesters."""
    queryset = Appeal.objects.select_related("assignment", "assignment__task", "requester").filter(worker=worker)
    if status is not None:
        queryset = queryset.filter(status=status)
    return queryset


@dataclass(frozen=True)
class RequesterProfile:
    """What a worker may know of a requester to judge it, as it is judged.

    ``appeals_received``: appeals of its rejections, all statuses; ``appeals_accepted`` /
    ``appeals_declined`` / ``appeals_open``: by outcome. ``assignments_approved`` /
    ``assignments_rejected``: its settled assignments now (an accepted appeal moves one from
    rejected to approved). ``approval_rate``: approved / settled, ``None`` before any.
    """

    id: int
    name: str
    member_since: datetime
    appeals_received: int
    appeals_accepted: int
    appeals_declined: int
    appeals_open: int
    assignments_approved: int
    assignments_rejected: int

    @property
    def approval_rate(self) -> float | None:
        settled = self.assignments_approved + self.assignments_rejected
        return round(self.assignments_approved / settled, 4) if settled else None


def requester_profile(requester: Organization) -> RequesterProfile:
    """``requester``'s public figures: two aggregate queries (its appeals, its settled
    assignments)."""
    Status = Appeal.Status
    appeals = Appeal.objects.filter(requester=requester).aggregate(
        received=Count("id"),
        accepted=Count("id", filter=Q(status=Status.ACCEPTED)),
        declined=Count("id", filter=Q(status=Status.DECLINED)),
        open=Count("id", filter=Q(status=Status.OPEN)),
    )
    settled = Assignment.objects.filter(
        task__requester=requester, status__in=(Assignment.Status.APPROVED, Assignment.Status.REJECTED)
    ).aggregate(
        approved=Count("id", filter=Q(status=Assignment.Status.APPROVED)),
        rejected=Count("id", filter=Q(status=Assignment.Status.REJECTED)),
    )
    return RequesterProfile(
        id=requester.pk,
        name=requester.name,
        member_since=requester.created_at,
        appeals_received=appeals["received"],
        appeals_accepted=appeals["accepted"],
        appeals_declined=appeals["declined"],
        appeals_open=appeals["open"],
        assignments_approved=settled["approved"],
        assignments_rejected=settled["rejected"],
    )
