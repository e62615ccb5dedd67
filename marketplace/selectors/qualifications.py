"""Reads of qualification types, grants and blocks as the requester API lists them (the writes,
and the values a worker has for a type, are ``services.qualifications``)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from ..models import Organization, QualificationGrant, QualificationType, WorkerBlock


def visible_qualification_types(requester: Organization) -> QuerySet[QualificationType]:
    """The system types and the requester's own active types, unordered: a paginated list
    orders them. The system types must exist (``services.qualifications.system_qualification_types``)."""
    return QualificationType.objects.filter(Q(owner__isnull=True) | Q(owner=requester, is_active=True))


def qualification_grants(qualification_type: QualificationType) -> QuerySet[QualificationGrant]:
    """The grants of a type the caller fetched through ``access_qualification_type``."""
    return QualificationGrant.objects.filter(qualification_type=qualification_type)


def requester_blocks(requester: Organization) -> QuerySet[WorkerBlock]:
    """The workers the requester blocked, unordered: a paginated list orders them."""
    return WorkerBlock.objects.filter(requester=requester)
