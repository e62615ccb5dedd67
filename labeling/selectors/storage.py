"""Reads of a requester's storage registrations (the writes are ``services.storage_registration``)."""

from __future__ import annotations

from marketplace.models import Organization

from ..models import StorageLocation


def storage_prefixes(requester: Organization) -> list[str]:
    """The URI prefixes the requester registered, in order (what the job form suggests)."""
    return list(
        StorageLocation.objects.filter(organization=requester)
        .order_by("uri_prefix")
        .values_list("uri_prefix", flat=True)
    )
