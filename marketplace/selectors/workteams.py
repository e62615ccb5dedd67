"""Reads about workteams: the ones a requester may post work to, and what a requester admin
sees of its private workteams (members with their quality and the work they hold right now, the
invitations sent by email)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from ..models import (
    Assignment,
    EmailInvitation,
    Invitation,
    Organization,
    VendorSubscription,
    Worker,
    Workteam,
    WorkteamMembership,
)
from .reputation import worker_reputation_values

RECENT_INVITATIONS = 50


def subscribed_workteams(requester: Organization) -> Q:
    """A filter on ``Workteam``: the vendor workteams ``requester`` may target now (an active
    subscription to an offering that is still listed)."""
    return Q(
        kind=Workteam.Kind.VENDOR,
        offering__is_active=True,
        offering__subscriptions__requester=requester,
        offering__subscriptions__status=VendorSubscription.Status.ACTIVE,
    )


def targetable_workteams(requester: Organization) -> QuerySet[Workteam]:
    """Every active workteam ``requester`` may post work to: the public workforce, its own
    workteams and the vendor workteams it is actively subscribed to (what ``GET
    /api/v1/workteams`` lists and the portal's job form offers; ``access_targetable_workteam``
    fetches one of them)."""
    return Workteam.objects.filter(
        Q(kind=Workteam.Kind.PUBLIC) | Q(owner=requester) | subscribed_workteams(requester), is_active=True
    )


def workteams_with_member_counts(queryset: QuerySet[Workteam]) -> QuerySet[Workteam]:
    """``queryset`` annotated with ``member_count``."""
    return queryset.annotate(member_count=Count("memberships"))


def workteam_member_count(workteam: Workteam) -> int:
    """How many workers are members of ``workteam``."""
    return workteam.memberships.count()


def workteam_members(workteam: Workteam) -> QuerySet[WorkteamMembership]:
    """The workteam's memberships, with their workers (unordered: a paginated list orders them)."""
    return WorkteamMembership.objects.select_related("worker").filter(workteam=workteam)


def workteam_invitations(workteam: Workteam) -> QuerySet[Invitation]:
    """The workteam's invitations to registered workers, with the workteam."""
    return Invitation.objects.select_related("workteam").filter(workteam=workteam)


def worker_active_memberships(worker: Worker) -> QuerySet[WorkteamMembership]:
    """The worker's memberships of active workteams, with their workteams."""
    return worker.memberships.select_related("workteam").filter(workteam__is_active=True)


def worker_invitations(worker: Worker) -> QuerySet[Invitation]:
    """The invitations sent to ``worker``, with their workteams."""
    return Invitation.objects.select_related("workteam").filter(worker=worker)


def workteam_live_assignments(workteam_id: int) -> int:
    """Assignments held now on the workteam's tasks (what a vendor offering's capacity limits)."""
    return Assignment.objects.filter(
        task__workteam_id=workteam_id, status=Assignment.Status.ACCEPTED, deadline__gt=timezone.now()
    ).count()


def vendor_team_size(vendor: Organization) -> int:
    """How many different workers are members of the vendor's workteams."""
    return WorkteamMembership.objects.filter(workteam__owner=vendor).values("worker_id").distinct().count()


@dataclass(frozen=True)
class LiveWork:
    assignment_id: int
    task_id: int
    task_title: str
    deadline: datetime


@dataclass(frozen=True)
class MemberOverview:
    """One member: ``email`` the address this team's invitation reached it at (empty when it
    joined otherwise); ``accuracy`` is the lower bound of the combined score's 95 % interval and
    ``approval_rate`` the share of reviewed answers approved (percent; ``None`` without
    evidence), both over all the worker's work; ``live_work`` is only on this team's tasks."""

    worker_id: int
    username: str
    email: str
    joined_at: datetime
    accuracy: float | None
    approval_rate: float | None
    submitted_count: int
    live_work: tuple[LiveWork, ...]


def private_workteams(requester: Organization) -> QuerySet[Workteam]:
    """The requester's active private workteams, newest first, with ``member_count``,
    ``pending_invitation_count`` (not yet expired) and ``live_assignment_count``."""
    now = timezone.now()
    return (
        Workteam.objects.filter(owner=requester, kind=Workteam.Kind.PRIVATE, is_active=True)
        .annotate(
            member_count=Count("memberships", distinct=True),
            pending_invitation_count=Count(
                "email_invitations",
                filter=Q(
                    email_invitations__status=EmailInvitation.Status.PENDING, email_invitations__expires_at__gt=now
                ),
                distinct=True,
            ),
        )
        .order_by("-pk")
    )


def team_members(workteam: Workteam) -> list[MemberOverview]:
    """The team's members by username, each with its quality and live work on this team.

    Reputation is read per member (two small queries each): fine for a team's page, which is
    why this is not used for lists of teams.
    """
    memberships = (
        WorkteamMembership.objects.filter(workteam=workteam).select_related("worker").order_by("worker__username")
    )
    live_by_worker: dict[int, list[LiveWork]] = {}
    live = (
        Assignment.objects.filter(
            task__workteam=workteam, status=Assignment.Status.ACCEPTED, deadline__gt=timezone.now()
        )
        .order_by("deadline", "pk")
        .values_list("pk", "worker_id", "task_id", "task__title", "deadline")
    )
    for assignment_id, worker_id, task_id, title, deadline in live:
        live_by_worker.setdefault(worker_id, []).append(LiveWork(assignment_id, task_id, title, deadline))
    # The address this team invited, not the worker's own: another requester's invitation must
    # not show this one whom it reached.
    invited_as = dict(
        EmailInvitation.objects.filter(workteam=workteam, status=EmailInvitation.Status.ACCEPTED).values_list(
            "accepted_worker_id", "email"
        )
    )
    members = []
    for membership in memberships:
        worker: Worker = membership.worker
        values = worker_reputation_values(worker.pk)
        members.append(
            MemberOverview(
                worker_id=worker.pk,
                username=worker.username,
                email=invited_as.get(worker.pk, ""),
                joined_at=membership.joined_at,
                accuracy=values["accuracy"],
                approval_rate=values["approval_rate"],
                submitted_count=values["submitted_count"],
                live_work=tuple(live_by_worker.get(worker.pk, ())),
            )
        )
    return members


def team_invitations(workteam: Workteam) -> list[EmailInvitation]:
    """The team's emailed invitations, newest first (the latest ``RECENT_INVITATIONS``)."""
    return list(
        EmailInvitation.objects.filter(workteam=workteam)
        .select_related("accepted_worker", "created_by")
        .order_by("-created_at", "-pk")[:RECENT_INVITATIONS]
    )
