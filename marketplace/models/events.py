"""Events and their webhook deliveries (docs/webhooks.md).

An ``Event`` row is the outbox: written in the transaction that makes the change it reports,
its body (the bytes every delivery carries) fixed at that moment. A background job fans each
event out into one ``Delivery`` per subscribed endpoint and sends it, logging each try as a
``DeliveryAttempt``. ``WebhookSenderLease`` keeps one sender per endpoint at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models
from django.db.models import Q

from .organizations import Organization

ALL_EVENTS = "*"
# Called with an organization id whenever one of its endpoints is saved or deleted: the
# outbox's per-process subscription cache registers here (marketplace.events.outbox).
ENDPOINT_CHANGE_LISTENERS: list[Callable[[int], None]] = []


class WebhookEndpoint(models.Model):
    """A requester's receiver of events.

    ``events`` is a list of event types, or ``["*"]`` for all. The signing secret is stored
    encrypted (``marketplace.encryption``); during a rotation the previous one keeps signing
    too until ``previous_secret_expires_at`` (``marketplace.events.endpoints.endpoint_secrets``).

    The delivery machinery writes ``is_active``, ``disabled_reason``, ``disabled_at`` and
    ``failing_since`` with compare-and-set updates: other writers save with ``update_fields``
    naming only what they change, so they never write back a stale value of these.
    """

    class DisabledReason(models.TextChoices):
        REQUESTER = "requester", "disabled by the requester"
        GONE = "gone", "the receiver answered 410 Gone"
        FAILING = "failing", "every delivery failed for the whole retry period"

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="webhook_endpoints")
    url = models.CharField(max_length=2048)
    events = models.JSONField(default=list)
    description = models.CharField(max_length=500, blank=True, default="")
    is_active = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=16, choices=DisabledReason.choices, blank=True, default="")
    disabled_at = models.DateTimeField(null=True, blank=True)
    secret_encrypted = models.TextField()
    previous_secret_encrypted = models.TextField(blank=True, default="")
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    # The first failed attempt since the last success (shown to the requester); the endpoint is
    # disabled once a delivery has used up its retries with no success in its whole period.
    failing_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "is_active"], name="webhook_endpoint_org_active")]

    def __str__(self) -> str:
        return f"webhook endpoint {self.pk} {self.url}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        for listener in ENDPOINT_CHANGE_LISTENERS:
            listener(self.organization_id)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        result = super().delete(*args, **kwargs)
        for listener in ENDPOINT_CHANGE_LISTENERS:
            listener(self.organization_id)
        return result

    def is_subscribed_to(self, event_type: str) -> bool:
        return ALL_EVENTS in self.events or event_type in self.events


class Event(models.Model):
    """One event, as every delivery of it carries it: ``body`` is the JSON text
    ``{"id", "type", "created", "data"}`` fixed when the row was written."""

    public_id = models.CharField(max_length=40, unique=True)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="events")
    type = models.CharField(max_length=64)
    # The object whose events are delivered in order ("task:12", "labeling_job:7").
    ordering_key = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField()
    # Set once its deliveries exist (the fan-out); the partial index finds the others.
    is_fanned_out = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["id"], condition=Q(is_fanned_out=False), name="event_not_fanned_out"),
            models.Index(fields=["organization", "created_at"], name="event_org_created"),
            models.Index(fields=["created_at"], name="event_created"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.public_id}"


class Delivery(models.Model):
    """One event sent to one endpoint, until a 2xx, a give-up or a cancellation.

    ``pending`` deliveries are sent when ``next_attempt_at`` has come and no earlier pending
    delivery of the same endpoint has the same ``ordering_key`` (in order per object); each try
    is a ``DeliveryAttempt``. ``give_up_at`` ends the retries (``failed``); a redelivery opens
    the same row again.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        CANCELLED = "cancelled"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    ordering_key = models.CharField(max_length=200)  # the event's, here for the order check's index
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    give_up_at = models.DateTimeField()
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "endpoint"], name="delivery_event_endpoint_unique")]
        indexes = [
            models.Index(
                fields=["endpoint", "ordering_key", "event"],
                condition=Q(status="pending"),
                name="delivery_pending_order",
            ),
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="delivery_pending_due"),
        ]

    def __str__(self) -> str:
        return f"delivery {self.pk} of event {self.event_id} to endpoint {self.endpoint_id} ({self.status})"


class DeliveryAttempt(models.Model):
    """One try at sending a delivery: what the receiver answered (or why nothing came back)."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    started_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField()
    response_excerpt = models.TextField(blank=True, default="")  # the first KB of the body
    error = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["delivery", "started_at"], name="delivery_attempt_started")]


class WebhookSenderLease(models.Model):
    """Who sends to an endpoint now (one sender at a time, whatever the process), and how long
    the endpoint rests after a failure so a dead receiver costs one timeout per pause, not one
    per event. A holder that died leaves a lease that simply runs out."""

    endpoint = models.OneToOneField(WebhookEndpoint, on_delete=models.CASCADE, primary_key=True, related_name="+")
    holder = models.CharField(max_length=64, blank=True, default="")
    expires_at = models.DateTimeField(null=True, blank=True)
    paused_until = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
