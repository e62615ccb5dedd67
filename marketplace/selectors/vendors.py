"""Reads for a vendor's pages: the work its team has in hand (every active batch posted to one
of its workteams with work left: open tasks or live assignments), how fast its team is
answering, and its team as its admin manages it (the workers it manages, the workteams each is
in, their token state, their recent work and quality; the writes are
``workers.vendor_worker_create`` / ``worker_token_rotate`` / ``worker_token_revoke`` and
``workteams.workteam_add_member`` / ``workteam_remove_member``). They know batches only (the
labeling app maps them to jobs). A batch's figures come from ``batches.batch_answers``, the
same selector the job pages use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q

from ..models import Assignment, Organization, Task, Worker, Workteam, WorkteamMembership
from .batches import PENDING_TASK_STATUSES, BatchAnswers, batch_answers
from .reputation import worker_reputation_values


@dataclass(frozen=True)
class BatchWork:
    """One batch in progress on the vendor's team: its requester and team, and its answer
    figures (``answers`` submitted of ``slots`` wanted, ``live``, ``backlog``…)."""

    requester_name: str
    workteam_name: str
    figures: BatchAnswers

    @property
    def batch_id(self) -> int:
        return self.figures.batch_id

    @property
    def next_expiry(self) -> datetime | None:
        return self.figures.next_expiry


def vendor_active_work(vendor: Organization, *, now: datetime) -> list[BatchWork]:
    """Active batches on the vendor's workteams that still have open (or held) tasks or live
    assignments, the soonest to expire first."""
    tasks = Task.objects.filter(workteam__owner=vendor, workteam__kind=Workteam.Kind.VENDOR, batch__is_active=True)
    with_work = tasks.filter(Q(status__in=PENDING_TASK_STATUSES) | Q(assignments__status=Assignment.Status.ACCEPTED))
    names = {
        batch_id: (requester, workteam)
        for batch_id, requester, workteam in with_work.values_list("batch_id", "requester__name", "workteam__name")
        .distinct()
        .order_by()
    }
    figures = batch_answers(names, now=now)
    work = [
        BatchWork(requester_name=names[batch_id][0], workteam_name=names[batch_id][1], figures=figures[batch_id])
        for batch_id in sorted(names)
    ]
    far_future = now + timedelta(days=100 * 365)
    return sorted(work, key=lambda item: (item.next_expiry or far_future, item.batch_id))


@dataclass(frozen=True)
class Throughput:
    """Answers submitted on a vendor's workteams: ``by_hour`` in each of the last 24 hours,
    oldest first (the last is the hour ending ``now``); ``last_hour`` is that last count and
    ``last_day`` their sum, so a card and the chart beside it always agree."""

    by_hour: tuple[int, ...]

    @property
    def last_hour(self) -> int:
        return self.by_hour[-1] if self.by_hour else 0

    @property
    def last_day(self) -> int:
        return sum(self.by_hour)


def vendor_throughput(vendor: Organization, *, now: datetime, hours: int = 24) -> Throughput:
    """Answers submitted on the vendor's workteams (any batch, finished ones included) in each
    of the last ``hours`` hours: an answer at ``t`` counts in the hour ``(start, end]`` holding it."""
    since = now - timedelta(hours=hours)
    counts = [0] * hours
    moments = Assignment.objects.filter(
        task__workteam__owner=vendor,
        task__workteam__kind=Workteam.Kind.VENDOR,
        submitted_at__gt=since,
        submitted_at__lte=now,
    ).values_list("submitted_at", flat=True)
    for moment in moments.iterator(chunk_size=5000):
        assert moment is not None  # filtered on submitted_at
        seconds = (moment - since).total_seconds()
        counts[min(hours - 1, max(0, int(-(-seconds // 3600)) - 1))] += 1
    return Throughput(by_hour=tuple(counts))


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
