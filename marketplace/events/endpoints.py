"""Endpoints' signing secrets, and what changing an endpoint means for senders.

``WebhookEndpoint`` keeps its secret encrypted (``marketplace.encryption``). A rotation keeps
the previous secret signing beside the new one until ``previous_secret_expires_at``.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from ..encryption import decrypt_secret, encrypt_secret
from ..models import WebhookEndpoint
from .signing import new_secret


def endpoint_secrets(endpoint: WebhookEndpoint, *, now: datetime | None = None) -> list[str]:
    """The secrets that sign a delivery to ``endpoint`` now: its current one, then the previous
    one while a rotation's overlap lasts."""
    now = now or timezone.now()
    secrets = [decrypt_secret(endpoint.secret_encrypted)]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret_encrypted and expires is not None and expires > now:
        secrets.append(decrypt_secret(endpoint.previous_secret_encrypted))
    return secrets


def endpoint_set_new_secret(endpoint: WebhookEndpoint, *, overlap_until: datetime | None) -> str:
    """Give ``endpoint`` a fresh secret (not saved): the previous one keeps signing until
    ``overlap_until`` (``None``: stops now). Returns the new secret, to show once."""
    secret = new_secret()
    if endpoint.secret_encrypted and overlap_until is not None:
        endpoint.previous_secret_encrypted = endpoint.secret_encrypted
        endpoint.previous_secret_expires_at = overlap_until
    else:
        endpoint.previous_secret_encrypted = ""
        endpoint.previous_secret_expires_at = None
    endpoint.secret_encrypted = encrypt_secret(secret)
    return secret
