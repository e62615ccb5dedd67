"""A vendor's team as its admin manages it: the workers it manages, the workteams each is in,
their token state and their recent work and quality (selectors; the writes are
``workers.vendor_worker_create`` / ``worker_token_rotate`` / ``worker_token_revoke`` and
``workteams.workteam_add_member`` / ``workteam_remove_member``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q

from ..models import Assignment, Organization, Worker, Workteam, WorkteamMembership
from .reputation import worker_reputation_values


@dataclass(frozen=True)
class TeamMember:
    """One managed worker: ``workteam_ids`` it is a member of now; answers submitted in the
    last hour and day (anywhere); live assignments; ``accuracy`` the lower bound of its combined
    reputation score's 95 % interval and ``approval_rate``, both in percent (``None`` without
    evidence; from ``reputation.worker_reputation_values``)."""

    worker: Worker
    workteam_ids: tuple[int, ...]
    submitted_last_hour: int
    submitted_last_day: int
    live: int
    accuracy: float | None
    approval_rate: float | None

    @property
    def has_token(self) -> bool:
        return self.worker.token_revoked_at is None


def vendor_workteams(vendor: Organization) -> list[Workteam]:
    """The vendor's active workteams (one per offering), oldest first."""
    return list(Workteam.objects.filter(owner=vendor, kind=Workteam.Kind.VENDOR, is_active=True).order_by("pk"))


def vendor_team(vendor: Organization, *, now: datetime) -> list[TeamMember]:
    """Every worker the vendor manages, by username. Reads reputation per worker (two small
    queries each: teams are tens to hundreds of people, not the public workforce)."""
    workers = list(Worker.objects.filter(vendor=vendor).order_by("username"))
    ids = [worker.pk for worker in workers]
    teams: dict[int, list[int]] = {}
    for worker_id, workteam_id in (
        WorkteamMembership.objects.filter(worker_id__in=ids, workteam__owner=vendor)
        .order_by("workteam_id")
        .values_list("worker_id", "workteam_id")
    ):
        teams.setdefault(worker_id, []).append(workteam_id)
    activity = {
        row["worker_id"]: row
        for row in Assignment.objects.filter(worker_id__in=ids)
        .values("worker_id")
        .annotate(
            live=Count("id", filter=Q(status=Assignment.Status.ACCEPTED)),
            day=Count("id", filter=Q(submitted_at__gte=now - timedelta(days=1))),
            hour=Count("id", filter=Q(submitted_at__gte=now - timedelta(hours=1))),
        )
        .order_by()
    }
    members = []
    for worker in workers:
        row = activity.get(worker.pk, {"live": 0, "day": 0, "hour": 0})
        reputation = worker_reputation_values(worker.pk)
        members.append(
            TeamMember(
                worker=worker,
                workteam_ids=tuple(teams.get(worker.pk, ())),
                submitted_last_hour=row["hour"],
                submitted_last_day=row["day"],
                live=row["live"],
                accuracy=reputation["accuracy"],
                approval_rate=reputation["approval_rate"],
            )
        )
    return members
