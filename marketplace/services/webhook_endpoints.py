"""A requester's webhook endpoints: register, change, disable and enable, delete, rotate the
signing secret (docs/webhooks.md). What is sent to them, and when, is ``marketplace.events``'.

Each write is one transaction holding one row lock (``locking.locked_alone``): the endpoint's,
or the organization's when one is created (so the per-organization cap is a plain count). The
delivery machinery writes ``is_active``, ``disabled_reason``, ``disabled_at`` and
``failing_since`` too, by compare-and-set: these functions save only the columns they change
(``update_fields``), never a stale copy of the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from ..errors import Conflict, InvalidInput
from ..events.background_jobs import deliver_webhooks
from ..events.endpoints import endpoint_set_new_secret
from ..events.kick import kick_after_commit
from ..events.redelivery import event_redeliver, events_redeliver_since
from ..events.safe_url import WebhookUrlError, check_webhook_url
from ..locking import locked_alone
from ..models import Delivery, Event, Organization, WebhookEndpoint, WebhookSenderLease

# Stripe allows 16: enough for every receiver a team runs, few enough that a fan-out stays cheap.
MAX_ENDPOINTS_PER_ORGANIZATION = 20


@dataclass(frozen=True)
class EndpointWithSecret:
    """An endpoint and its new signing secret, which is never shown again."""

    endpoint: WebhookEndpoint
    secret: str


def _checked_url(url: str) -> str:
    """``url`` when webhooks may go there now, else the 400 naming ``url`` with the reason."""
    try:
        check_webhook_url(url)
    except WebhookUrlError as error:
        raise InvalidInput.for_field("url", str(error)) from None
    return url


def webhook_endpoint_create(
    *, organization: Organization, url: str, events: list[str], description: str = ""
) -> EndpointWithSecret:
    """Register ``url`` for ``events`` (event types, or ``["*"]``; already valid as
    ``inputs.webhooks.WebhookEndpointCreate`` declares), active, with a fresh signing secret.

    A URL webhooks may not go to (scheme, credentials, an address that is not public, a name that
    does not resolve: ``events.safe_url``) is a 400 naming ``url``; a 21st endpoint is a 409
    ``webhook_endpoint_limit``. Takes the organization's row lock. The endpoint receives the
    events of changes committed from about a second after it is created (``events.outbox``).
    """
    _checked_url(url)
    with transaction.atomic():
        locked_alone(Organization.objects.filter(pk=organization.pk)).get()
        if WebhookEndpoint.objects.filter(organization=organization).count() >= MAX_ENDPOINTS_PER_ORGANIZATION:
            raise Conflict(
                f"an organization has at most {MAX_ENDPOINTS_PER_ORGANIZATION} webhook endpoints: "
                "delete one, or subscribe one endpoint to more event types",
                code="webhook_endpoint_limit",
            )
        endpoint = WebhookEndpoint(organization=organization, url=url, events=events, description=description)
        secret = endpoint_set_new_secret(endpoint, overlap_until=None)
        endpoint.save()
    return EndpointWithSecret(endpoint, secret)


def webhook_endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    url: str | None = None,
    events: list[str] | None = None,
    description: str | None = None,
    is_active: bool | None = None,
) -> WebhookEndpoint:
    """Change what is given (``None``: unchanged). A new ``url`` is checked as at creation (a 400
    naming ``url``, nothing changed).

    ``is_active=False`` disables the endpoint (``disabled_reason`` ``requester``): nothing is
    sent to it, its pending deliveries wait, and events that happen meanwhile are not sent to it
    (no delivery is made for a disabled endpoint). ``is_active=True`` enables it, whoever
    disabled it (the requester, a 410, or failures for the whole retry period), and forgets its
    failing streak; deliveries cancelled or given up while it was off are not resent (redeliver
    them). Enabling it or giving it a new URL makes its waiting deliveries due at once, forgets
    its failing streak and ends the sender's rest after failures (the sender is nudged after
    commit). Enabling an active
    endpoint or disabling a disabled one changes nothing. Takes the endpoint's row lock.
    """
    if url is not None:
        _checked_url(url)
    with transaction.atomic():
        locked = locked_alone(WebhookEndpoint.objects.filter(pk=endpoint.pk)).get()
        changed: list[str] = []
        for name, value in (("url", url), ("events", events), ("description", description)):
            if value is not None and getattr(locked, name) != value:
                setattr(locked, name, value)
                changed.append(name)
        if "url" in changed and locked.failing_since is not None:
            locked.failing_since = None  # a new receiver: the old one's failures are not its own
            changed.append("failing_since")
        if is_active is False and locked.is_active:
            locked.is_active = False
            locked.disabled_reason = WebhookEndpoint.DisabledReason.REQUESTER
            locked.disabled_at = timezone.now()
            changed += ["is_active", "disabled_reason", "disabled_at"]
        elif is_active is True and not locked.is_active:
            locked.is_active = True
            locked.disabled_reason = ""
            locked.disabled_at = None
            locked.failing_since = None
            changed += ["is_active", "disabled_reason", "disabled_at"]
            if "failing_since" not in changed:
                changed.append("failing_since")
        if changed:
            locked.save(update_fields=[*changed, "updated_at"])
    if locked.is_active and ("url" in changed or "is_active" in changed):
        _resume_sending(locked)
    return locked


def _resume_sending(endpoint: WebhookEndpoint) -> None:
    """The receiver was fixed (enabled again, or moved to a new URL): its waiting deliveries
    are due now, the sender's rest after failures ends, and the sender is nudged after commit,
    rather than leaving them to backoffs of up to an hour that were earned elsewhere.

    Run after the endpoint's lock is released, each UPDATE on its own: a sender records an
    attempt by updating a delivery and then its endpoint, so taking these rows while holding the
    endpoint would be the opposite order (a deadlock)."""
    now = timezone.now()
    Delivery.objects.filter(endpoint=endpoint, status=Delivery.Status.PENDING, next_attempt_at__gt=now).update(
        next_attempt_at=now
    )
    WebhookSenderLease.objects.filter(endpoint=endpoint).update(paused_until=None, consecutive_failures=0)
    kick_after_commit(deliver_webhooks, endpoint.pk)


def webhook_endpoint_rotate_secret(*, endpoint: WebhookEndpoint, overlap_seconds: int) -> EndpointWithSecret:
    """Give the endpoint a new signing secret. For ``overlap_seconds`` (0 to 7 days, as declared)
    deliveries are signed with both (two ``v1`` values, the new one first), so the receiver can
    switch without refusing anything; with 0 the old secret stops at once. A secret still in
    an earlier rotation's overlap stops now: only the newest two sign. Takes the endpoint's row lock.
    """
    with transaction.atomic():
        locked = locked_alone(WebhookEndpoint.objects.filter(pk=endpoint.pk)).get()
        overlap_until = timezone.now() + timedelta(seconds=overlap_seconds) if overlap_seconds else None
        secret = endpoint_set_new_secret(locked, overlap_until=overlap_until)
        locked.save(
            update_fields=["secret_encrypted", "previous_secret_encrypted", "previous_secret_expires_at", "updated_at"]
        )
    return EndpointWithSecret(locked, secret)


def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """Delete the endpoint with its deliveries and their attempt log: nothing more is sent to it
    (a send already under way finishes; its result is not recorded). The events stay, for the
    organization's other endpoints and ``GET /api/v1/events``."""
    # The model's own delete (not a queryset's): it tells the outbox's subscription cache.
    with transaction.atomic():
        endpoint.delete()


def _require_active(endpoint: WebhookEndpoint) -> None:
    # A redelivery to a disabled endpoint would schedule nothing: say so rather than answer 0.
    if not endpoint.is_active:
        raise Conflict(
            f"webhook endpoint {endpoint.pk} is disabled: enable it before redelivering to it",
            code="webhook_endpoint_disabled",
        )


def webhook_event_redeliver(*, event: Event, endpoint: WebhookEndpoint | None = None) -> int:
    """Send ``event`` again (same id, same bytes, a fresh retry period) to ``endpoint``, or to
    every active endpoint of its organization subscribed to its type (``events.redelivery``).
    A disabled ``endpoint`` is a 409 ``webhook_endpoint_disabled``. Returns the deliveries
    scheduled; the sender is nudged after commit."""
    if endpoint is not None:
        _require_active(endpoint)
    return event_redeliver(event=event, endpoint=endpoint)


def webhook_endpoint_redeliver_since(*, endpoint: WebhookEndpoint, since: datetime) -> int:
    """Send the endpoint again every event of its organization written at or after ``since``
    (as far back as events are kept), oldest first, each with a fresh retry period. A disabled
    endpoint is a 409 ``webhook_endpoint_disabled``. Returns the deliveries scheduled."""
    _require_active(endpoint)
    return events_redeliver_since(organization=endpoint.organization, since=since, endpoint=endpoint)
