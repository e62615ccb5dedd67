"""Webhook endpoints, their deliveries and the organization's events (``/api/v1/webhook-endpoints``,
``/api/v1/events``)."""

from __future__ import annotations

import json

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ...events.outbox import EVENT_TYPES
from ...models import Delivery, DeliveryAttempt, Event, WebhookEndpoint
from ...models.events import ALL_EVENTS
from .fields import SECRET_REPLAYED


class WebhookEndpointSerializer(serializers.ModelSerializer):
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=[ALL_EVENTS, *EVENT_TYPES]),
        help_text='the event types sent to the endpoint, or ["*"] for all',
    )
    disabled_reason = serializers.SerializerMethodField(
        help_text="why the endpoint is disabled (null while active): `requester` (you disabled it), "
        "`gone` (the receiver answered 410) or `failing` (every delivery failed for the whole retry period)"
    )
    previous_secret_expires_at = serializers.SerializerMethodField(
        help_text="while a secret rotation's overlap lasts, when the previous secret stops signing; null otherwise"
    )

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "events",
            "description",
            "is_active",
            "disabled_reason",
            "disabled_at",
            "failing_since",
            "previous_secret_expires_at",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "failing_since": {"help_text": "the first failed attempt since the last success (null when none)"}
        }

    @extend_schema_field(serializers.ChoiceField(choices=WebhookEndpoint.DisabledReason.values, allow_null=True))
    def get_disabled_reason(self, endpoint: WebhookEndpoint) -> str | None:
        return endpoint.disabled_reason or None

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_previous_secret_expires_at(self, endpoint: WebhookEndpoint) -> str | None:
        expires = endpoint.previous_secret_expires_at
        if not endpoint.previous_secret_encrypted or expires is None or expires <= timezone.now():
            return None
        return serializers.DateTimeField().to_representation(expires)


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        allow_null=True,
        help_text="the signing secret (`whsec_…`): verify each delivery's `Groundwork-Signature` with it "
        f"(docs/webhooks.md); shown only here ({SECRET_REPLAYED})",
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


class DeliveryAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeliveryAttempt
        fields = ["started_at", "status_code", "duration_ms", "response_excerpt", "error"]
        extra_kwargs = {
            "status_code": {"help_text": "the receiver's HTTP status; null when none came (see `error`)"},
            "duration_ms": {"help_text": "from connecting to the end of the response (or the failure)"},
            "response_excerpt": {"help_text": "the first KB of the response body"},
            "error": {"help_text": "why the attempt failed without a status (timeout, connection, refused address)"},
        }


class DeliverySerializer(serializers.ModelSerializer):
    event_id = serializers.CharField(source="event.public_id", help_text="the event's `id` (`evt_…`)")
    event_type = serializers.ChoiceField(source="event.type", choices=list(EVENT_TYPES))
    attempt_log = DeliveryAttemptSerializer(
        many=True,
        source="shown_attempts",
        help_text="the latest 20 attempts, oldest first (`attempts` counts them all)",
    )

    class Meta:
        model = Delivery
        fields = [
            "id",
            "event_id",
            "event_type",
            "endpoint_id",
            "status",
            "attempts",
            "next_attempt_at",
            "give_up_at",
            "last_status_code",
            "last_error",
            "created_at",
            "delivered_at",
            "attempt_log",
        ]
        extra_kwargs = {
            "status": {
                "help_text": "`pending` (to be sent or retried at `next_attempt_at`), `succeeded` (a 2xx came), "
                "`failed` (retries ended at `give_up_at`, or the receiver answered 410) or `cancelled` (the "
                "sender disabled the endpoint, after a 410 or three days of failures)"
            },
            "attempts": {"help_text": "attempts made so far"},
            "give_up_at": {"help_text": "when retries end; a redelivery starts a new period"},
        }


class EventSerializer(serializers.Serializer):
    """An event exactly as its deliveries carry it (the body fixed when it was written)."""

    def get_fields(self) -> dict[str, serializers.Field]:
        # Declared here, not as class attributes: a field named ``data`` would hide ``Serializer.data``.
        return {
            "id": serializers.CharField(help_text="unique, `evt_…`: receivers deduplicate on it"),
            "type": serializers.ChoiceField(choices=list(EVENT_TYPES)),
            "created": serializers.DateTimeField(help_text="when the change happened (ISO-8601, UTC)"),
            "data": serializers.DictField(help_text="the object as its GET returns it (docs/webhooks.md)"),
        }

    def to_representation(self, instance: Event) -> dict:
        return json.loads(instance.body)


class RedeliveredSerializer(serializers.Serializer):
    redelivered = serializers.IntegerField(help_text="deliveries scheduled to be sent again")
