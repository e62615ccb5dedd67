from django.db import models
from django.db.models import Q

from .organizations import Organization
from .workteams import Workteam


class VendorOffering(models.Model):
    """A vendor's capacity for sale: its own vendor workteam, described and priced.

    ``price_micros`` is what a requester pays per assignment (plus the platform fee) and what the
    vendor earns; it is fixed on each batch when posted, so changing it touches only later work.
    ``capacity`` is the most live assignments the team holds at once, enforced by dispatch.
    Withdrawn (``is_active`` false), never deleted: batches and the ledger refer to it.
    """

    vendor = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="offerings")
    workteam = models.OneToOneField(Workteam, on_delete=models.PROTECT, related_name="offering")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    task_types = models.JSONField(default=list)
    languages = models.JSONField(default=list)
    price_micros = models.BigIntegerField()
    capacity = models.PositiveIntegerField()
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(price_micros__gt=0), name="offering_price_positive"),
            models.CheckConstraint(condition=Q(capacity__gt=0), name="offering_capacity_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class VendorSubscription(models.Model):
    """A requester's subscription to an offering: ``pending`` until the vendor accepts it in the
    portal (or declines it); while ``active`` the requester may target the offering's workteam.
    Either side may cancel it; work already posted goes on (it is paid for and in escrow)."""

    class Status(models.TextChoices):
        PENDING = "pending"
        ACTIVE = "active"
        DECLINED = "declined"
        CANCELLED = "cancelled"

    offering = models.ForeignKey(VendorOffering, on_delete=models.PROTECT, related_name="subscriptions")
    requester = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="vendor_subscriptions")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["offering", "requester"],
                condition=Q(status__in=["pending", "active"]),
                name="one_open_subscription",
            )
        ]
        indexes = [models.Index(fields=["requester", "status"], name="subscription_by_requester")]
