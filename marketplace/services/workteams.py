"""Workteams, memberships and invitations to private workteams."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..errors import Conflict, InvalidInput
from ..locking import locked_alone
from ..models import EmailInvitation, Invitation, Organization, Task, Worker, Workteam, WorkteamMembership

# Work a retiring team would strand: tasks open, full, or held for later release.
TASKS_TAKING_WORK = (Task.Status.OPEN, Task.Status.FULL, Task.Status.HELD)

PUBLIC_WORKFORCE_NAME = "Public workforce"


def public_workforce() -> Workteam:
    """The public workforce's workteam (created by a migration; made here if it is missing)."""
    workteam = Workteam.objects.filter(kind=Workteam.Kind.PUBLIC).first()
    if workteam is None:
        try:
            with transaction.atomic():
                workteam = Workteam.objects.create(name=PUBLIC_WORKFORCE_NAME, kind=Workteam.Kind.PUBLIC)
        except IntegrityError:  # created concurrently
            workteam = Workteam.objects.get(kind=Workteam.Kind.PUBLIC)
    return workteam


def _description(description: object) -> str:
    if not isinstance(description, str) or len(description) > 200:
        raise InvalidInput.for_field("description", "must be at most 200 characters")
    return description


def workteam_create(*, owner: Organization, name: str, description: str = "") -> Workteam:
    """A private workteam for a requester, or a vendor workteam for a vendor."""
    name = (name or "").strip() if isinstance(name, str) else ""
    if not name or len(name) > 200:
        raise InvalidInput.for_field("name", "must be 1 to 200 characters")
    kind = Workteam.Kind.VENDOR if owner.kind == Organization.Kind.VENDOR else Workteam.Kind.PRIVATE
    return Workteam.objects.create(name=name, kind=kind, owner=owner, description=_description(description))


def workteam_update(*, workteam: Workteam, description: str) -> Workteam:
    """Change a workteam's description."""
    workteam.description = _description(description)
    workteam.save(update_fields=["description", "updated_at"])
    return workteam


def workteam_deactivate(*, workteam: Workteam) -> Workteam:
    """Retire a private workteam: it takes no new work and is no longer listed (deactivated,
    never deleted: its batches and the ledger refer to it). A team with tasks still open is
    ``Conflict(workteam_in_use)``; stop that work first."""
    with transaction.atomic():
        locked = locked_alone(Workteam.objects).get(pk=workteam.pk)
        if locked.kind != Workteam.Kind.PRIVATE:
            raise InvalidInput.for_field("workteam_id", "only private workteams can be deleted")
        if Task.objects.filter(workteam=locked, status__in=TASKS_TAKING_WORK).exists():
            raise Conflict("the workteam has work open; stop its jobs and batches first", code="workteam_in_use")
        locked.is_active = False
        locked.save(update_fields=["is_active", "updated_at"])
    return locked


def workteam_add_member(*, workteam: Workteam, worker: Worker) -> WorkteamMembership:
    """Add a worker to a workteam (idempotent: an existing membership is returned)."""
    membership, _ = WorkteamMembership.objects.get_or_create(workteam=workteam, worker=worker)
    return membership


def workteam_remove_member(*, workteam: Workteam, worker_id: int) -> bool:
    """Remove a member. Its live assignments stay live until submitted or expired (as stopping a
    task does, removing never throws away work in progress). Returns whether it was a member."""
    deleted, _ = WorkteamMembership.objects.filter(workteam=workteam, worker_id=worker_id).delete()
    return deleted > 0


def invitation_create(*, workteam: Workteam, worker: Worker) -> Invitation:
    """Invite a worker to a private workteam (one pending invitation per worker and team)."""
    if workteam.kind != Workteam.Kind.PRIVATE:
        raise InvalidInput.for_field("workteam_id", "only private workteams take invitations")
    if WorkteamMembership.objects.filter(workteam=workteam, worker=worker).exists():
        raise Conflict("the worker is already a member", code="already_member")
    try:
        with transaction.atomic():
            return Invitation.objects.create(workteam=workteam, worker=worker)
    except IntegrityError:
        return Invitation.objects.get(workteam=workteam, worker=worker, status=Invitation.Status.PENDING)


def invitation_accept(*, invitation: Invitation) -> Invitation:
    """Accept a pending invitation: the worker joins the team. Accepting twice is a no-op."""
    with transaction.atomic():
        updated = Invitation.objects.filter(pk=invitation.pk, status=Invitation.Status.PENDING).update(
            status=Invitation.Status.ACCEPTED, accepted_at=timezone.now()
        )
        invitation.refresh_from_db()
        if not updated and invitation.status != Invitation.Status.ACCEPTED:
            raise Conflict("the invitation was revoked", code="invitation_not_pending")
        workteam_add_member(workteam=invitation.workteam, worker=invitation.worker)
    return invitation


def invitation_revoke(*, invitation: Invitation | EmailInvitation) -> Invitation | EmailInvitation:
    """Revoke a pending invitation, by worker id or by email (compare-and-set: revoking a revoked
    or expired one is a no-op). An accepted one cannot be revoked: ``Conflict``
    (``invitation_not_pending``); remove the member instead."""
    type(invitation).objects.filter(pk=invitation.pk, status=Invitation.Status.PENDING).update(
        status=Invitation.Status.REVOKED, revoked_at=timezone.now()
    )
    invitation.refresh_from_db()
    if invitation.status == Invitation.Status.ACCEPTED:
        raise Conflict("the invitation was already accepted", code="invitation_not_pending")
    return invitation
