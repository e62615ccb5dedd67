"""Reads of qualification types, grants and blocks as the requester API lists them, and the
tests a worker may take (the writes, and the values a worker has for a type, are
``services.qualifications`` and ``services.qualification_tests``)."""

from __future__ import annotations

from django.db.models import OuterRef, Q, QuerySet, Subquery

from ..models import (
    Organization,
    QualificationGrant,
    QualificationTestAttempt,
    QualificationType,
    Worker,
    WorkerBlock,
)


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


def available_tests(worker: Worker) -> QuerySet[QualificationType]:
    """Active test types of active requesters not blocking this worker, annotated with the
    worker's ``held_value`` (or ``None``) and ``last_attempt_at``."""
    grants = QualificationGrant.objects.filter(qualification_type=OuterRef("pk"), worker=worker)
    attempts = QualificationTestAttempt.objects.filter(qualification_type=OuterRef("pk"), worker=worker)
    return (
        QualificationType.objects.filter(
            grant_method=QualificationType.GrantMethod.TEST,
            is_active=True,
            owner__is_active=True,
        )
        .exclude(owner__in=WorkerBlock.objects.filter(worker=worker).values("requester"))
        .annotate(
            held_value=Subquery(grants.values("value")[:1]),
            last_attempt_at=Subquery(attempts.order_by("-submitted_at").values("submitted_at")[:1]),
        )
    )
