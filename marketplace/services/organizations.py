"""Organizations, their admin users and requester API keys."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from ..credentials import REQUESTER_KEY_PREFIX, display_prefix, hash_secret, new_secret
from ..errors import InvalidInput
from ..models import ApiKey, Membership, Organization, RequesterDispatchState


@dataclass(frozen=True)
class CreatedOrganization:
    organization: Organization
    admin_username: str
    admin_password: str
    api_key: str | None  # requesters only; shown once


def _validate_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise InvalidInput.for_field("name", "must be 1 to 200 characters")
    return name


def _create_admin_user(organization: Organization) -> tuple[str, str]:
    base = slugify(organization.name)[:40] or "org"
    username = f"{base}-admin-{organization.pk}"
    password = secrets.token_urlsafe(18)
    user = get_user_model().objects.create_user(username=username, password=password)
    Membership.objects.create(
        user=user, organization=organization, role=Membership.Role.ADMIN, password_change_required=True
    )
    return username, password


def requester_create(*, name: str) -> CreatedOrganization:
    """Create a requester organization with an admin user and a first API key."""
    name = _validate_name(name)
    with transaction.atomic():
        organization = Organization.objects.create(name=name, kind=Organization.Kind.REQUESTER)
        RequesterDispatchState.objects.create(requester=organization)
        username, password = _create_admin_user(organization)
        _, key = api_key_create(organization=organization, name="default")
    return CreatedOrganization(organization, username, password, key)


def vendor_create(*, name: str) -> CreatedOrganization:
    """Create a vendor organization with an admin user (portal login)."""
    name = _validate_name(name)
    with transaction.atomic():
        organization = Organization.objects.create(name=name, kind=Organization.Kind.VENDOR)
        username, password = _create_admin_user(organization)
    return CreatedOrganization(organization, username, password, None)


def api_key_create(*, organization: Organization, name: str = "") -> tuple[ApiKey, str]:
    """Create an API key; returns the row and the secret, which is never stored or shown again."""
    if len(name) > 100:
        raise InvalidInput.for_field("name", "must be at most 100 characters")
    secret = new_secret(REQUESTER_KEY_PREFIX)
    api_key = ApiKey.objects.create(
        organization=organization, name=name, prefix=display_prefix(secret), key_hash=hash_secret(secret)
    )
    return api_key, secret


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    """Revoke a key (idempotent): it stops authenticating at once."""
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    api_key.refresh_from_db()
    return api_key
