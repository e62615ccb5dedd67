"""Disabling an endpoint: by the sender (a 410, or no success for a whole retry period, both
emailing the organization's admins after commit), and what that cancels."""

from __future__ import annotations

import logging
from datetime import datetime

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from ..models import Delivery, Membership, WebhookEndpoint
from ..models.events import ENDPOINT_CHANGE_LISTENERS

logger = logging.getLogger(__name__)


def endpoint_disable(*, endpoint_id: int, reason: str) -> bool:
    """Disable an active endpoint (compare-and-set) and cancel its pending deliveries; for
    ``failing``, its organization's admins are emailed after commit. Returns whether this call
    disabled it. Call inside or outside a transaction."""
    with transaction.atomic():
        now = timezone.now()
        changed = WebhookEndpoint.objects.filter(pk=endpoint_id, is_active=True).update(
            is_active=False, disabled_reason=reason, disabled_at=now, updated_at=now
        )
        if not changed:
            return False
        Delivery.objects.filter(endpoint_id=endpoint_id, status=Delivery.Status.PENDING).update(
            status=Delivery.Status.CANCELLED, last_error=f"endpoint disabled ({reason})"
        )
        endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
        transaction.on_commit(lambda: _forget(endpoint.organization_id))
        if reason in (WebhookEndpoint.DisabledReason.FAILING, WebhookEndpoint.DisabledReason.GONE):
            transaction.on_commit(lambda: _email_admins(endpoint))
    logger.warning("webhook endpoint %s disabled: %s", endpoint_id, reason)
    return True


def _forget(organization_id: int) -> None:
    for listener in ENDPOINT_CHANGE_LISTENERS:
        listener(organization_id)


def endpoint_disable_if_failing_too_long(endpoint_id: int, window_start: datetime) -> bool:
    """Disable the endpoint when nothing sent to it has succeeded since ``window_start`` (the
    start of the retry period of a delivery that just ran out of retries)."""
    succeeded_since = Delivery.objects.filter(
        endpoint_id=endpoint_id, status=Delivery.Status.SUCCEEDED, delivered_at__gte=window_start
    )
    if succeeded_since.exists():
        return False
    return endpoint_disable(endpoint_id=endpoint_id, reason=WebhookEndpoint.DisabledReason.FAILING)


def _email_admins(endpoint: WebhookEndpoint) -> None:
    recipients = sorted(
        {
            email
            for email in Membership.objects.filter(
                organization_id=endpoint.organization_id, role=Membership.Role.ADMIN, user__is_active=True
            ).values_list("user__email", flat=True)
            if email
        }
    )
    if not recipients:
        return
    why = WebhookEndpoint.DisabledReason(endpoint.disabled_reason).label
    try:
        send_mail(
            subject=f"Groundwork: webhook endpoint {endpoint.pk} was disabled",
            message=(
                f"Your webhook endpoint {endpoint.pk} ({endpoint.url}) was disabled: {why}.\n\n"
                "Events are no longer sent to it. Once the receiver works again, enable the endpoint "
                'and redeliver what it missed (docs/webhooks.md, "Redelivery").\n'
            ),
            from_email=None,
            recipient_list=recipients,
        )
    except Exception:  # the endpoint is disabled either way; the log keeps the failure
        logger.exception("emailing the admins of organization %s failed", endpoint.organization_id)
