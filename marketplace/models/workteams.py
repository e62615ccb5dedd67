from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .organizations import Organization
from .workers import Worker


class Workteam(models.Model):
    """A named group of workers. The public workforce is the one workteam of kind ``public``."""

    class Kind(models.TextChoices):
        PUBLIC = "public"
        PRIVATE = "private"
        VENDOR = "vendor"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    owner = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="workteams")
    # Ground Truth's workteam description (CreateWorkteam/UpdateWorkteam at /aws/).
    description = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    members: "models.ManyToManyField[Worker, WorkteamMembership]" = models.ManyToManyField(
        Worker, through="WorkteamMembership", related_name="workteams"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind"], condition=Q(kind="public"), name="one_public_workforce"),
            models.CheckConstraint(
                condition=Q(kind="public", owner__isnull=True) | (~Q(kind="public") & Q(owner__isnull=False)),
                name="workteam_owner_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class WorkteamMembership(models.Model):
    workteam = models.ForeignKey(Workteam, on_delete=models.PROTECT, related_name="memberships")
    worker = models.ForeignKey(Worker, on_delete=models.PROTECT, related_name="memberships")
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workteam", "worker"], name="workteam_member_unique")]
        indexes = [models.Index(fields=["worker", "workteam"], name="membership_by_worker")]


class Invitation(models.Model):
    """A private workteam owner's invitation to one worker (by worker id)."""

    class Status(models.TextChoices):
        PENDING = "pending"
        ACCEPTED = "accepted"
        REVOKED = "revoked"

    workteam = models.ForeignKey(Workteam, on_delete=models.PROTECT, related_name="invitations")
    worker = models.ForeignKey(Worker, on_delete=models.PROTECT, related_name="invitations")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workteam", "worker"], condition=Q(status="pending"), name="one_pending_invitation"
            )
        ]


class EmailInvitation(models.Model):
    """An invitation to a private workteam sent to an email address (docs/portal.md).

    The link carries a token signed with ``django.core.signing`` (salt ``EMAIL_INVITATION_SALT``)
    over this row's id and ``email``; only its SHA-256 is stored, so the token exists only in
    the email. It is single-use: accepting moves ``pending`` → ``accepted`` by compare-and-set.
    ``expired`` is written when an expired link is presented; until then a ``pending`` row past
    ``expires_at`` is expired all the same (``is_expired``).
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        ACCEPTED = "accepted"
        REVOKED = "revoked"
        EXPIRED = "expired"

    workteam = models.ForeignKey(Workteam, on_delete=models.PROTECT, related_name="email_invitations")
    # Normalised lower-case: the address is what the link is bound to.
    email = models.EmailField(max_length=254)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_worker = models.ForeignKey(
        Worker, null=True, blank=True, on_delete=models.PROTECT, related_name="email_invitations"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # Re-inviting an address revokes its pending link first (services.email_invitations).
            models.UniqueConstraint(
                fields=["workteam", "email"], condition=Q(status="pending"), name="one_pending_email_invitation"
            ),
        ]

    @property
    def is_expired(self) -> bool:
        return self.status == self.Status.EXPIRED or (
            self.status == self.Status.PENDING and self.expires_at <= timezone.now()
        )

    @property
    def display_status(self) -> str:
        """``expired`` for a pending row past its time, else ``status``."""
        return self.Status.EXPIRED if self.is_expired else self.status
