"""Reads of vendor offerings and requesters' subscriptions to them: the public listing
requesters browse, and the vendor's own lists (the writes are ``services.vendors``)."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from ..models import Organization, VendorOffering, VendorSubscription


def listed_offerings(*, task_type: str | None = None, language: str | None = None) -> QuerySet[VendorOffering]:
    """Every listed offering of an active vendor, with its vendor (unordered: a paginated list
    orders it); only those taking ``task_type`` and working in ``language`` when given."""
    queryset = VendorOffering.objects.select_related("vendor").filter(is_active=True, vendor__is_active=True)
    if task_type or language:
        # Lists held in JSON: filtered here rather than with JSON operators SQLite lacks. A
        # few hundred offerings at most; the cursor pages over the ids that remain.
        listed = queryset.values_list("pk", "task_types", "languages")
        kept = [
            pk
            for pk, task_types, languages in listed
            if (not task_type or task_type in task_types) and (not language or language in languages)
        ]
        queryset = queryset.filter(pk__in=kept)
    return queryset


def requester_subscriptions(requester: Organization, *, status: str | None = None) -> QuerySet[VendorSubscription]:
    """The requester's subscriptions (in ``status`` when given), with their offerings and
    vendors (unordered: a paginated list orders them)."""
    queryset = VendorSubscription.objects.select_related("offering", "offering__vendor").filter(requester=requester)
    if status:
        queryset = queryset.filter(status=status)
    return queryset


def vendor_offerings(vendor: Organization) -> QuerySet[VendorOffering]:
    """All the vendor's offerings, listed ones first, then by name, with their workteams and
    ``subscribers`` (active subscriptions)."""
    return (
        VendorOffering.objects.filter(vendor=vendor)
        .select_related("workteam")
        .annotate(subscribers=Count("subscriptions", filter=Q(subscriptions__status="active")))
        .order_by("-is_active", "name", "pk")
    )


def vendor_listed_offerings(vendor: Organization) -> QuerySet[VendorOffering]:
    """The vendor's listed offerings, by name."""
    return VendorOffering.objects.filter(vendor=vendor, is_active=True).order_by("name", "pk")


def vendor_subscriptions(vendor: Organization) -> list[VendorSubscription]:
    """Requesters' subscriptions to the vendor's offerings, with offering and requester: pending
    ones first, then by status, newest first."""
    rows = (
        VendorSubscription.objects.filter(offering__vendor=vendor)
        .select_related("offering", "requester")
        .order_by("status", "-created_at", "pk")
    )
    pending = [row for row in rows if row.status == VendorSubscription.Status.PENDING]
    others = [row for row in rows if row.status != VendorSubscription.Status.PENDING]
    return pending + others
