"""Organizations, their admin users and requester API keys."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from ..credentials import REQUESTER_KEY_PREFIX, display_prefix, hash_secret, new_aws_key_pair, new_secret
from ..encryption import encrypt_secret
from ..errors import InvalidInput
from ..models import ApiKey, Membership, Organization, RequesterDispatchState


@dataclass(frozen=True)
class CreatedOrganization:
    organization: Organization
    admin_username: str
    admin_password: str
    api_key: str | None  # requesters only; shown once
    aws_access_key_id: str | None = None  # the AWS-style pair of that key (requesters only)
    aws_secret_access_key: str | None = None  # shown once


@dataclass(frozen=True)
class CreatedApiKey:
    """A new API key and its secrets, which are never shown again: the bearer ``key`` and the
    AWS-style pair for the AWS-compatible endpoint."""

    api_key: ApiKey
    key: str
    aws_access_key_id: str
    aws_secret_access_key: str


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
        created = api_key_create(organization=organization, name="default")
    return CreatedOrganization(
        organization,
        username,
        password,
        created.key,
        aws_access_key_id=created.aws_access_key_id,
        aws_secret_access_key=created.aws_secret_access_key,
    )


def vendor_create(*, name: str) -> CreatedOrganization:
    """Create a vendor organization with an admin user (portal login)."""
    name = _validate_name(name)
    with transaction.atomic():
        organization = Organization.objects.create(name=name, kind=Organization.Kind.VENDOR)
        username, password = _create_admin_user(organization)
    return CreatedOrganization(organization, username, password, None)


def api_key_create(*, organization: Organization, name: str = "") -> CreatedApiKey:
    """Create an API key with its AWS-style pair. The bearer secret is stored hashed and the AWS
    secret access key encrypted; the caller shows both once."""
    if len(name) > 100:
        raise InvalidInput.for_field("name", "must be at most 100 characters")
    secret = new_secret(REQUESTER_KEY_PREFIX)
    access_key_id, secret_access_key = new_aws_key_pair()
    api_key = ApiKey.objects.create(
        organization=organization,
        name=name,
        prefix=display_prefix(secret),
        key_hash=hash_secret(secret),
        aws_access_key_id=access_key_id,
        aws_secret_access_key_encrypted=encrypt_secret(secret_access_key),
    )
    return CreatedApiKey(api_key, secret, access_key_id, secret_access_key)


# last_used_at is written at most once a minute per key: a busy key must not write on every call.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def api_key_mark_used(*, api_key: ApiKey) -> None:
    """Record that ``api_key`` authenticated a request now (to the minute)."""
    now = timezone.now()
    if api_key.last_used_at is None or api_key.last_used_at < now - LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    """Revoke a key (idempotent): it stops authenticating at once."""
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    api_key.refresh_from_db()
    return api_key
