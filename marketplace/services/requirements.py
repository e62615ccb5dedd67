"""Qualification requirements on batches, and the part of the eligibility rule that enforces
them (called by ``dispatch.eligible_tasks``).

A requirement is ``{"qualification_type_id", "comparator", "values"}`` (declared in
``marketplace.inputs.requirements``); ``values`` is stored as a list: one value for ``>=``,
``<=``, ``==`` and ``!=`` (given as the value or a one-item list), one or more for ``in``, none
for ``exists``. Locale types compare ISO 3166-1 alpha-2
strings with ``==``, ``!=``, ``in`` and ``exists`` only.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet

from ..locales import parse_locale
from ..models import Batch, Organization, QualificationType, Task, Worker
from ..validation import FieldErrors
from .qualifications import (
    ORDERED_COMPARATORS,
    compare,
    system_qualification_types,
    worker_qualification_values,
)

FIELD = "qualification_requirements"


def _is_int(value: object) -> bool:
    return type(value) is int  # a JSON integer (``bool`` is an ``int`` in Python)


def requirements_resolve(*, requester: Organization, requirements: list[dict], prefix: str = "") -> list[dict]:
    """Check each requirement against its type: the requester's own active type or a system
    type (else 400 on ``qualification_type_id``), and values of the type's kind (integers, or
    ISO 3166-1 alpha-2 codes with ``==``, ``!=``, ``in``, ``exists`` for locale). Returns the
    requirements with locale codes upper-cased. Raises ``InvalidInput`` naming the fields."""
    if not requirements:
        return []
    system_qualification_types()
    ids = {r["qualification_type_id"] for r in requirements}
    types = {
        t.pk: t
        for t in QualificationType.objects.filter(
            Q(owner=requester, is_active=True) | Q(owner__isnull=True), pk__in=ids
        )
    }
    errors = FieldErrors(prefix)
    resolved = []
    for index, requirement in enumerate(requirements):
        path = f"{FIELD}.{index}"
        qualification_type = types.get(requirement["qualification_type_id"])
        if qualification_type is None:
            errors.add(
                f"{path}.qualification_type_id",
                "no such qualification type (your own active types and the system types may be required)",
            )
            continue
        comparator, values = requirement["comparator"], requirement["values"]
        if qualification_type.value_kind == QualificationType.ValueKind.LOCALE:
            if comparator in ORDERED_COMPARATORS:
                errors.add(f"{path}.comparator", "a locale compares with ==, !=, in or exists only")
                continue
            codes = [parse_locale(v) for v in values]
            if None in codes:
                errors.add(f"{path}.values", 'must be ISO 3166-1 alpha-2 country codes, such as "US"')
                continue
            values = codes
        elif not all(_is_int(v) for v in values):
            errors.add(f"{path}.values", "must be integers for this qualification type")
            continue
        resolved.append({**requirement, "values": values})
    errors.raise_if_any()
    return resolved


def requirements_met(requirements: list[dict], values: dict) -> bool:
    return all(compare(values.get(r["qualification_type_id"]), r["comparator"], r["values"]) for r in requirements)


def restricted_batches(*, workteam_ids: list[int], now: datetime) -> QuerySet[Batch]:
    """Active batches with requirements and open work in these workteams. Walks the partial
    index ``batch_with_requirements`` (empty when nobody uses requirements), then checks open
    work through ``task_open_by_batch``; the plan is pinned by a test on PostgreSQL."""
    open_work = Task.objects.filter(batch=OuterRef("pk"), status=Task.Status.OPEN, expires_at__gt=now)
    return Batch.objects.filter(has_requirements=True, is_active=True, workteam_id__in=workteam_ids).filter(
        Exists(open_work)
    )


def batches_failing_requirements(*, worker: Worker, workteam_ids: list[int], now: datetime) -> list[int]:
    """Ids of the active batches with requirements and open work in these workteams whose
    requirements the worker does not meet (the claim excludes them).

    One query through the partial index ``batch_with_requirements`` when no batch of these
    workteams has requirements; otherwise the worker's values are read and the requirements
    evaluated here, in Python (auto-granted types record their grants as a side effect).
    """
    rows = list(restricted_batches(workteam_ids=workteam_ids, now=now).values_list("pk", "qualification_requirements"))
    if not rows:
        return []
    type_ids = {r["qualification_type_id"] for _, requirements in rows for r in requirements}
    values = worker_qualification_values(worker=worker, type_ids=type_ids)
    return [pk for pk, requirements in rows if not requirements_met(requirements, values)]
