"""Vendor offerings and requesters' subscriptions to them.

A vendor publishes an offering (which creates its vendor workteam); a requester subscribes over
the API; the vendor accepts in the portal; while the subscription is active the requester may
target the offering's workteam with batches and labeling jobs exactly as a private workteam
(``access.access_targetable_workteam``), at the offering's price (``assignment_price``), and
dispatch holds the team to the offering's capacity (``services.dispatch``).
"""

from __future__ import annotations

import re
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..errors import Conflict, InvalidInput
from ..jsonbody import is_json_int
from ..locking import locked_alone
from ..models import Organization, VendorOffering, VendorSubscription, Workteam
from ..money import format_micros, parse_amount_micros
from ..task_types import registered_task_types

Status = VendorSubscription.Status
MAX_CAPACITY = 100_000
MAX_PRICE_MICROS = 1_000 * 1_000_000  # $1,000 an assignment: anything above is a typo
LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(-[A-Z]{2})?$")


def task_type_choices() -> list[str]:
    """The task types an offering may list: ``custom`` and every registered type."""
    return sorted({"custom", *registered_task_types()})


def _clean_name(value: object) -> str:
    name = value.strip() if isinstance(value, str) else ""
    if not name or len(name) > 200:
        raise ValueError("must be 1 to 200 characters")
    return name


def _clean_description(value: object) -> str:
    if not isinstance(value, str) or len(value) > 10_000:
        raise ValueError("must be text of at most 10,000 characters")
    return value.strip()


def _clean_task_types(value: object) -> list[str]:
    known = task_type_choices()
    if not isinstance(value, list) or not value or not all(isinstance(item, str) for item in value):
        raise ValueError(f"must be a non-empty list of task types ({', '.join(known)})")
    unknown = sorted(set(value) - set(known))
    if unknown:
        raise ValueError(f"unknown task type {unknown[0]!r}; known: {', '.join(known)}")
    return sorted(set(value))


def _clean_languages(value: object) -> list[str]:
    """BCP 47 language tags of the form ``en`` or ``pt-BR`` (normalised to that case)."""
    if not isinstance(value, list) or not value or not all(isinstance(item, str) for item in value):
        raise ValueError('must be a non-empty list of language tags such as "en" or "pt-BR"')
    tags = []
    for item in value:
        language, _, region = item.strip().partition("-")
        tag = language.lower() + (f"-{region.upper()}" if region else "")
        if not LANGUAGE_TAG.match(tag):
            raise ValueError(f'{item!r} is not a language tag such as "en" or "pt-BR"')
        tags.append(tag)
    return sorted(set(tags))


def _clean_price(value: object) -> int:
    micros = parse_amount_micros(value)
    if micros <= 0 or micros > MAX_PRICE_MICROS:
        raise ValueError(f"must be more than 0 and at most {format_micros(MAX_PRICE_MICROS)}")
    return micros


def _clean_capacity(value: object) -> int:
    if not is_json_int(value) or not 1 <= value <= MAX_CAPACITY:
        raise ValueError(f"must be a whole number from 1 to {MAX_CAPACITY:,}")
    return value


_CLEANERS = {
    "name": ("name", _clean_name),
    "description": ("description", _clean_description),
    "task_types": ("task_types", _clean_task_types),
    "languages": ("languages", _clean_languages),
    "price": ("price_micros", _clean_price),
    "capacity": ("capacity", _clean_capacity),
}


def _cleaned(fields: dict[str, object]) -> dict[str, Any]:
    """Model values for the given offering fields (each of its model field's type); every bad
    one is named in one InvalidInput."""
    values, errors = {}, {}
    for field, value in fields.items():
        attribute, clean = _CLEANERS[field]
        try:
            values[attribute] = clean(value)
        except ValueError as error:
            errors[field] = [str(error)]
    if errors:
        raise InvalidInput("; ".join(f"{field}: {messages[0]}" for field, messages in errors.items()), fields=errors)
    return values


def offering_publish(
    *,
    vendor: Organization,
    name: object,
    task_types: object,
    languages: object,
    price: object,
    capacity: object,
    description: object = "",
) -> VendorOffering:
    """Publish an offering, creating the vendor workteam its workers will join."""
    if vendor.kind != Organization.Kind.VENDOR:
        raise InvalidInput.for_field("vendor", "only vendors publish offerings")
    values = _cleaned(
        {
            "name": name,
            "description": description,
            "task_types": task_types,
            "languages": languages,
            "price": price,
            "capacity": capacity,
        }
    )
    with transaction.atomic():
        workteam = Workteam.objects.create(name=values["name"], kind=Workteam.Kind.VENDOR, owner=vendor)
        return VendorOffering.objects.create(vendor=vendor, workteam=workteam, **values)


def offering_update(*, offering: VendorOffering, **changes: object) -> VendorOffering:
    """Change some of an offering's fields (``name``, ``description``, ``task_types``,
    ``languages``, ``price``, ``capacity``; ``None`` leaves one as it is). A new price applies to
    batches posted afterwards; a lower capacity lets live work finish and stops new claims."""
    unknown = sorted(set(changes) - set(_CLEANERS))
    if unknown:
        raise InvalidInput.for_field(unknown[0], "is not a field of an offering")
    values = _cleaned({field: value for field, value in changes.items() if value is not None})
    with transaction.atomic():
        # Locked and saved field by field: a withdrawal or another edit at the same moment keeps
        # what it changed.
        locked = locked_alone(VendorOffering.objects.select_related("workteam")).get(pk=offering.pk)
        for attribute, value in values.items():
            setattr(locked, attribute, value)
        locked.save(update_fields=[*values, "updated_at"])
        if "name" in values:
            locked.workteam.name = values["name"]
            locked.workteam.save(update_fields=["name"])
    return locked


def offering_withdraw(*, offering: VendorOffering) -> VendorOffering:
    """Take an offering off the list (idempotent). Subscribers can post no new work to it; work
    already posted goes on, and pending subscriptions are declined."""
    with transaction.atomic():
        VendorOffering.objects.filter(pk=offering.pk).update(is_active=False, updated_at=timezone.now())
        VendorSubscription.objects.filter(offering=offering, status=Status.PENDING).update(
            status=Status.DECLINED, decided_at=timezone.now()
        )
    offering.refresh_from_db()
    return offering


def subscription_request(*, requester: Organization, offering: VendorOffering) -> tuple[VendorSubscription, bool]:
    """Ask to subscribe; returns ``(subscription, created)``. A pending or active subscription to
    the same offering is returned as it is (asking twice is not an error)."""
    if requester.kind != Organization.Kind.REQUESTER:
        raise InvalidInput.for_field("requester", "only requesters subscribe to offerings")
    if not offering.is_active:
        raise Conflict("the offering has been withdrawn", code="offering_withdrawn")
    open_statuses = [Status.PENDING, Status.ACTIVE]
    existing = VendorSubscription.objects.filter(offering=offering, requester=requester, status__in=open_statuses)
    try:
        with transaction.atomic():
            return VendorSubscription.objects.create(offering=offering, requester=requester), True
    except IntegrityError:  # an open one exists (maybe created concurrently)
        return existing.get(), False


def _decide(subscription: VendorSubscription, *, allowed_from: list[str], to: str, stamp: str) -> VendorSubscription:
    """Move ``subscription`` to ``to`` by compare-and-set; repeating the same move is a no-op;
    any other state is ``Conflict(subscription_not_pending)``."""
    updated = VendorSubscription.objects.filter(pk=subscription.pk, status__in=allowed_from).update(
        status=to, **{stamp: timezone.now()}
    )
    subscription.refresh_from_db()
    if not updated and subscription.status != to:
        raise Conflict(f"the subscription is {subscription.status}", code="subscription_not_pending")
    return subscription


def subscription_accept(*, subscription: VendorSubscription) -> VendorSubscription:
    """The vendor accepts: the requester may now target the offering's workteam."""
    if not VendorOffering.objects.filter(pk=subscription.offering_id, is_active=True).exists():
        raise Conflict("the offering has been withdrawn", code="offering_withdrawn")
    return _decide(subscription, allowed_from=[Status.PENDING], to=Status.ACTIVE, stamp="decided_at")


def subscription_decline(*, subscription: VendorSubscription) -> VendorSubscription:
    return _decide(subscription, allowed_from=[Status.PENDING], to=Status.DECLINED, stamp="decided_at")


def subscription_cancel(*, subscription: VendorSubscription) -> VendorSubscription:
    """Either side ends a pending or active subscription. Batches already posted go on."""
    return _decide(
        subscription, allowed_from=[Status.PENDING, Status.ACTIVE], to=Status.CANCELLED, stamp="cancelled_at"
    )


def assignment_price(reward_micros: int | None, vendor_price_micros: int | None, *, field: str = "reward") -> int:
    """The price of an assignment (DESIGN.md "Money"): the given reward, which is required,
    except on a vendor workteam, where it is the offering's price and a reward is left out or
    must equal it."""
    if vendor_price_micros is None:
        if reward_micros is None:
            raise InvalidInput.for_field(field, "is required")
        return reward_micros
    if reward_micros is not None and reward_micros != vendor_price_micros:
        raise InvalidInput.for_field(
            field, f"must be left out or equal the vendor offering's price ({format_micros(vendor_price_micros)})"
        )
    return vendor_price_micros
