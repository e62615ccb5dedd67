"""``/api/v1/webhook-endpoints``: a requester's webhook endpoints, their deliveries and
redelivery (docs/webhooks.md). The signing secret is shown at creation and rotation only."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from ... import access
from ...inputs import validate
from ...inputs.webhooks import (
    WebhookEndpointCreate,
    WebhookEndpointUpdate,
    WebhookRedeliverSince,
    WebhookSecretRotate,
)
from ...models import Delivery
from ...selectors.webhooks import endpoint_deliveries, organization_webhook_endpoints
from ...services import webhook_endpoints
from ..base import RequesterAPIView
from ..examples import WEBHOOK_ENDPOINT_CREATE
from ..pagination import paginated_response, query_choice
from ..request_body import body_object
from ..serializers.webhooks import (
    DeliverySerializer,
    RedeliveredSerializer,
    WebhookEndpointSerializer,
    WebhookEndpointWithSecretSerializer,
)


def _with_secret(created: webhook_endpoints.EndpointWithSecret) -> dict:
    return {**WebhookEndpointSerializer(created.endpoint).data, "secret": created.secret}


class WebhookEndpointsView(RequesterAPIView):
    secret_response_fields = ("secret",)

    @extend_schema(responses=WebhookEndpointSerializer(many=True))
    def get(self, request):
        """List your webhook endpoints.

        Every endpoint of your organization, active and disabled, oldest first. Secrets are never shown again.
        """
        endpoints = organization_webhook_endpoints(self.requester)
        return paginated_response(request, endpoints, lambda endpoint: WebhookEndpointSerializer(endpoint).data)

    @extend_schema(
        request=WebhookEndpointCreate,
        responses={201: WebhookEndpointWithSecretSerializer},
        examples=WEBHOOK_ENDPOINT_CREATE,
    )
    def post(self, request):
        """Register a webhook endpoint.

        Your organization's events of the types in `events` (or every type, `["*"]`) are sent to `url` as signed
        POSTs (docs/webhooks.md). The signing `secret` is shown only in this response. A URL webhooks may not go
        to (not `https://`, carrying credentials, a host that does not resolve or resolves to a private,
        loopback, link-local or metadata address) is a 400 naming `url`; an unknown event type a 400 naming
        `events`; more than 20 endpoints a 409 `webhook_endpoint_limit`.
        """
        spec = validate(WebhookEndpointCreate, body_object(request))
        created = webhook_endpoints.webhook_endpoint_create(
            organization=self.requester, url=spec.url, events=spec.events, description=spec.description
        )
        return Response(_with_secret(created), status=201)


class WebhookEndpointDetailView(RequesterAPIView):
    @extend_schema(responses=WebhookEndpointSerializer)
    def get(self, request, endpoint_id):
        """Read a webhook endpoint.

        Its URL, event types, whether it is active (and if not, why), and when a rotated secret's overlap ends.
        """
        return Response(WebhookEndpointSerializer(access.access_webhook_endpoint(self.requester, endpoint_id)).data)

    @extend_schema(request=WebhookEndpointUpdate, responses=WebhookEndpointSerializer)
    def patch(self, request, endpoint_id):
        """Change a webhook endpoint.

        Only the fields sent change. `"is_active": false` disables the endpoint (nothing is sent; its pending
        deliveries wait; events meanwhile are not sent to it); `true` enables it again, also after the receiver
        answered 410 or failed for the whole retry period. Enabling it or a new `url` sends its waiting deliveries
        at once; what it missed while disabled is not resent by itself (redeliver it). A new `url` is checked as at
        registration (a 400 naming `url`, nothing changed).
        """
        endpoint = access.access_webhook_endpoint(self.requester, endpoint_id)
        change = validate(WebhookEndpointUpdate, body_object(request))
        endpoint = webhook_endpoints.webhook_endpoint_update(
            endpoint=endpoint,
            url=change.url,
            events=change.events,
            description=change.description,
            is_active=change.is_active,
        )
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(responses={204: None})
    def delete(self, request, endpoint_id):
        """Delete a webhook endpoint.

        Nothing more is sent to it, and its delivery log goes with it; your events stay (`GET /api/v1/events`).
        To stop deliveries for a while instead, disable it (`PATCH` with `"is_active": false`).
        """
        webhook_endpoints.webhook_endpoint_delete(endpoint=access.access_webhook_endpoint(self.requester, endpoint_id))
        return Response(status=204)


class WebhookEndpointSecretView(RequesterAPIView):
    secret_response_fields = ("secret",)

    @extend_schema(request=WebhookSecretRotate, responses=WebhookEndpointWithSecretSerializer)
    def post(self, request, endpoint_id):
        """Rotate a webhook endpoint's secret.

        A new signing `secret`, shown only in this response. For `overlap_seconds` (default 24 hours, at most
        7 days; 0 ends the old secret at once) every delivery carries two `v1` signatures, the new secret's
        first, so your receiver can switch to the new secret without refusing a delivery.
        """
        endpoint = access.access_webhook_endpoint(self.requester, endpoint_id)
        spec = validate(WebhookSecretRotate, body_object(request) if request.data else {})
        rotated = webhook_endpoints.webhook_endpoint_rotate_secret(
            endpoint=endpoint, overlap_seconds=spec.overlap_seconds
        )
        return Response(_with_secret(rotated))


class WebhookEndpointDeliveriesView(RequesterAPIView):
    @extend_schema(
        responses=DeliverySerializer(many=True),
        parameters=[
            OpenApiParameter("status", str, enum=Delivery.Status.values, description="Only deliveries in this status."),
            OpenApiParameter("event_id", str, description="Only the delivery of this event (`evt_…`)."),
        ],
    )
    def get(self, request, endpoint_id):
        """List a webhook endpoint's deliveries.

        Each event sent (or to be sent) to the endpoint, oldest first: its status, the number of attempts, and
        the latest attempts with the receiver's status code, the duration and the first KB of its answer.
        """
        endpoint = access.access_webhook_endpoint(self.requester, endpoint_id)
        status = query_choice(request, "status", Delivery.Status.values)
        event_id = request.query_params.get("event_id") or None
        deliveries = endpoint_deliveries(endpoint, status=status, event_id=event_id)
        return paginated_response(request, deliveries, lambda delivery: DeliverySerializer(delivery).data)


class WebhookEndpointRedeliverView(RequesterAPIView):
    @extend_schema(request=WebhookRedeliverSince, responses={202: RedeliveredSerializer})
    def post(self, request, endpoint_id):
        """Redeliver events since a time.

        Every event of the types the endpoint subscribes to that was written at or after `since` is sent to it
        again (those it received too: receivers deduplicate on the event's `id`), in order per object, with a
        fresh retry period. Events are kept 30 days. A disabled endpoint is a 409 `webhook_endpoint_disabled`.
        """
        endpoint = access.access_webhook_endpoint(self.requester, endpoint_id)
        spec = validate(WebhookRedeliverSince, body_object(request))
        count = webhook_endpoints.webhook_endpoint_redeliver_since(endpoint=endpoint, since=spec.since)
        return Response({"redelivered": count}, status=202)
