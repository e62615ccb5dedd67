"""Reads of organizations' own records: a requester's API keys."""

from __future__ import annotations

from django.db.models import QuerySet

from ..models import ApiKey, Organization


def organization_api_keys(organization: Organization) -> QuerySet[ApiKey]:
    """The organization's API keys (revoked ones too), unordered: a paginated list orders them."""
    return ApiKey.objects.filter(organization=organization)
