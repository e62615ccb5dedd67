"""Qualification types and grants: requester-defined (manual, auto from reputation, by test)
and system types (approval rate, accuracy, approved count, locale) whose values are live.

A worker's value for a type is one of: a grant row's integer (manual and test types), the
reputation metric while it passes the type's rule (auto types; the grant row is kept in step
so it shows in the workers list), or a live system value. No value means the worker fails
every requirement on that type, ``exists`` included.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..errors import Conflict, Forbidden, InvalidInput
from ..locking import locked_alone
from ..models import Organization, QualificationGrant, QualificationType, Worker
from ..selectors.reputation import worker_reputation_values

Value = int | str | None

INTEGER_RANGE = (-(2**31), 2**31 - 1)
ORDERED_COMPARATORS = (">=", "<=")
COMPARATORS = (">=", "<=", "==", "!=", "exists", "in")
RULE_COMPARATORS = (">=", "<=", "==", "!=")
REPUTATION_METRICS = ("approval_rate", "accuracy", "approved_count")
MAX_TEST_QUESTIONS = 50
RETRY_DELAY_RANGE = (0, 365 * 86400)
DEFAULT_RETRY_DELAY_SECONDS = 86400


@dataclass(frozen=True)
class SystemType:
    name: str
    description: str
    value_kind: str


SYSTEM_TYPES = {
    "approval_rate": SystemType(
        "Approval rate",
        "Percent (0-100, rounded down) of the worker's settled assignments that were approved; "
        "no value before the first settled assignment.",
        QualificationType.ValueKind.INTEGER,
    ),
    "accuracy": SystemType(
        "Accuracy",
        "The lower bound of the 95% interval of the worker's combined reputation score (gold "
        "answers, consolidation's estimate, reviews, returns), in percent (0-100, rounded down): a high bar "
        "needs much evidence, not luck; no value without any evidence.",
        QualificationType.ValueKind.INTEGER,
    ),
    "approved_count": SystemType(
        "Approved assignments",
        "How many of the worker's assignments were approved.",
        QualificationType.ValueKind.INTEGER,
    ),
    "locale": SystemType(
        "Locale",
        'The worker\'s country, an ISO 3166-1 alpha-2 code such as "US" (declared at sign-up); '
        "no value when not declared.",
        QualificationType.ValueKind.LOCALE,
    ),
}


def system_qualification_types() -> dict[str, QualificationType]:
    """The system types by key, created on first use (one query once they exist)."""
    found: dict[str, QualificationType] = {
        t.system_key: t for t in QualificationType.objects.filter(system_key__in=SYSTEM_TYPES) if t.system_key
    }
    for key, spec in SYSTEM_TYPES.items():
        if key not in found:
            found[key], _ = QualificationType.objects.get_or_create(
                system_key=key,
                defaults={
                    "name": spec.name,
                    "description": spec.description,
                    "value_kind": spec.value_kind,
                    "grant_method": QualificationType.GrantMethod.SYSTEM,
                },
            )
    return found


def worker_system_qualification_values(worker: Worker) -> dict[str, Value]:
    """The worker's live system values: ``approval_rate``, ``accuracy``, ``approved_count``,
    ``locale`` (``None`` where the worker has no value yet).

    The numbers come from the reputation record (``services.reputation``): ``accuracy`` is its
    combined score. Percentages are rounded down, so a threshold is never passed by rounding.
    """
    values = worker_reputation_values(worker.pk)

    def floor_percent(value: float | None) -> int | None:
        return None if value is None else math.floor(value + 1e-9)

    return {
        "approval_rate": floor_percent(values["approval_rate"]),
        "accuracy": floor_percent(values["accuracy"]),
        "approved_count": values["approved_count"],
        "locale": worker.locale or None,
    }


def compare(value: Value, comparator: str, values: list) -> bool:
    """Whether a worker's ``value`` meets ``comparator`` against ``values`` (no value fails all)."""
    if value is None:
        return False
    if comparator == "exists":
        return True
    if comparator == "in":
        return value in values
    expected = values[0]
    if comparator == "==":
        return value == expected
    if comparator == "!=":
        return value != expected
    if isinstance(value, str) or isinstance(expected, str):
        return False  # ordered comparators are for integers only (refused at posting)
    if comparator == ">=":
        return value >= expected
    if comparator == "<=":
        return value <= expected
    return False


def _sync_auto_grant(qualification_type: QualificationType, worker: Worker, value: Value, recorded: Value) -> None:
    """Keep an auto type's grant row in step with the live metric (written only on change)."""
    if value == recorded:
        return
    grants = QualificationGrant.objects.filter(qualification_type=qualification_type, worker=worker)
    if value is None:
        grants.delete()
    elif recorded is None:
        try:
            with transaction.atomic():
                QualificationGrant.objects.create(
                    qualification_type=qualification_type,
                    worker=worker,
                    value=value,
                    source=QualificationGrant.Source.AUTO,
                )
        except IntegrityError:  # recorded meanwhile by another evaluation
            grants.update(value=value, updated_at=timezone.now())
    else:
        grants.update(value=value, updated_at=timezone.now())


def worker_qualification_values(*, worker: Worker, type_ids: Iterable[int]) -> dict[int, Value]:
    """The worker's value for each of these types (deactivated ones too: requirements already
    posted stay enforced), evaluating auto rules and recording their grants."""
    types = list(QualificationType.objects.filter(pk__in=set(type_ids)))
    grants = dict(
        QualificationGrant.objects.filter(worker=worker, qualification_type__in=types).values_list(
            "qualification_type_id", "value"
        )
    )
    live = {QualificationType.GrantMethod.SYSTEM, QualificationType.GrantMethod.AUTO}
    system = worker_system_qualification_values(worker) if any(t.grant_method in live for t in types) else {}
    values: dict[int, Value] = {}
    for qualification_type in types:
        if qualification_type.system_key:
            values[qualification_type.pk] = system.get(qualification_type.system_key)
        elif qualification_type.grant_method == QualificationType.GrantMethod.AUTO:
            metric = system.get(qualification_type.auto_metric)
            held = compare(metric, qualification_type.auto_comparator, [qualification_type.auto_threshold])
            values[qualification_type.pk] = metric if held else None
            _sync_auto_grant(
                qualification_type, worker, values[qualification_type.pk], grants.get(qualification_type.pk)
            )
        else:
            values[qualification_type.pk] = grants.get(qualification_type.pk)
    return values


# --- requester-defined types ----------------------------------------------------------------


def qualification_type_create(
    *, requester: Organization, name: str, description: str = "", grant_fields: dict | None = None
) -> QualificationType:
    """Create a requester-defined type (validated by ``inputs.qualifications.QualificationTypeCreate``:
    ``grant_fields`` is its ``grant_fields()``, the grant method and its rule or test; granted by
    hand when left out). A name already taken by another active type of the requester's is a 400."""
    fields = grant_fields or {"grant_method": QualificationType.GrantMethod.MANUAL}
    name_taken = InvalidInput.for_field("name", "is already the name of another of your active qualification types")
    if QualificationType.objects.filter(owner=requester, name=name, is_active=True).exists():
        raise name_taken
    try:
        with transaction.atomic():
            return QualificationType.objects.create(owner=requester, name=name, description=description, **fields)
    except IntegrityError:  # created meanwhile under the same name
        raise name_taken from None


def _check_owned(qualification_type: QualificationType, requester: Organization) -> None:
    if qualification_type.owner_id != requester.pk:
        raise Forbidden("a system qualification type cannot be changed or granted")


def qualification_type_deactivate(
    *, requester: Organization, qualification_type: QualificationType
) -> QualificationType:
    """Deactivate a type (idempotent): it can no longer be granted, taken as a test or named by
    new requirements; requirements already posted keep being enforced with existing grants."""
    _check_owned(qualification_type, requester)
    if qualification_type.is_active:
        qualification_type.is_active = False
        qualification_type.deactivated_at = timezone.now()
        qualification_type.save(update_fields=["is_active", "deactivated_at"])
    return qualification_type


def qualification_type_describe(
    *, requester: Organization, qualification_type: QualificationType, description: str
) -> QualificationType:
    """Replace the description of one of the requester's own types (validated by
    ``inputs.qualifications.QualificationTypeDescribe``)."""
    _check_owned(qualification_type, requester)
    text = description
    if qualification_type.description != text:
        qualification_type.description = text
        qualification_type.save(update_fields=["description"])
    return qualification_type


def _check_grantable(qualification_type: QualificationType, requester: Organization, *, granting: bool) -> None:
    _check_owned(qualification_type, requester)
    if granting and not qualification_type.is_active:
        raise Conflict("the qualification type is deactivated", code="qualification_type_inactive")
    if qualification_type.grant_method == QualificationType.GrantMethod.AUTO:
        raise Conflict(
            "this type is granted automatically from reputation; it cannot be granted or revoked by hand",
            code="qualification_not_grantable",
        )


def qualification_grant(
    *, requester: Organization, qualification_type: QualificationType, worker: Worker, value: int = 1
) -> tuple[QualificationGrant, bool]:
    """Grant the type to ``worker`` with a 32-bit ``value`` (validated by
    ``inputs.qualifications.QualificationGrantCreate``), or update the value of its grant.
    Returns the grant and whether it was created."""
    _check_grantable(qualification_type, requester, granting=True)
    with transaction.atomic():
        grant, created = locked_alone(QualificationGrant.objects).get_or_create(
            qualification_type=qualification_type,
            worker=worker,
            defaults={"value": value, "source": QualificationGrant.Source.MANUAL},
        )
        if not created:
            grant.value = value
            grant.source = QualificationGrant.Source.MANUAL
            grant.save(update_fields=["value", "source", "updated_at"])
    return grant, created


def qualification_revoke(*, requester: Organization, qualification_type: QualificationType, worker_id: int) -> bool:
    """Take the type away from the worker; returns whether it held it. A test type may then be
    taken again (the retry delay still counts from the last attempt). Allowed on a deactivated
    type too, to narrow who meets requirements already posted."""
    _check_grantable(qualification_type, requester, granting=False)
    deleted, _ = QualificationGrant.objects.filter(qualification_type=qualification_type, worker_id=worker_id).delete()
    return bool(deleted)
