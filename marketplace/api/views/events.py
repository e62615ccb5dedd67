"""``/api/v1/events``: the organization's events, as their webhook deliveries carry them, and
redelivering one (docs/webhooks.md)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from ... import access
from ...errors import InvalidInput, NotFound
from ...events.outbox import EVENT_TYPES
from ...inputs import validate
from ...inputs.webhooks import TIME_MESSAGE, EventRedeliver, parse_time
from ...selectors.webhooks import organization_events
from ...services.webhook_endpoints import webhook_event_redeliver
from ..base import RequesterAPIView
from ..pagination import paginated_response, query_choice
from ..request_body import body_object
from ..serializers.webhooks import EventSerializer, RedeliveredSerializer


class EventsView(RequesterAPIView):
    @extend_schema(
        responses=EventSerializer(many=True),
        parameters=[
            OpenApiParameter("type", str, enum=list(EVENT_TYPES), description="Only events of this type."),
            OpenApiParameter(
                "since",
                str,
                description="Only events created at or after this time (ISO-8601 with its offset, "
                "e.g. `2026-12-05T16:00:00Z`).",
            ),
        ],
    )
    def get(self, request):
        """List your events.

        Your organization's events, oldest first, each exactly as its deliveries carry it. An event is written
        only while some endpoint of yours subscribes to its type, and kept 30 days.
        """
        event_type = query_choice(request, "type", list(EVENT_TYPES))
        raw_since = request.query_params.get("since")
        try:
            since = parse_time(raw_since) if raw_since else None
        except ValueError:
            raise InvalidInput.for_field("since", TIME_MESSAGE) from None
        events = organization_events(self.requester, event_type=event_type, since=since)
        return paginated_response(request, events, lambda event: EventSerializer(event).data)


class EventDetailView(RequesterAPIView):
    @extend_schema(responses=EventSerializer)
    def get(self, request, event_id):
        """Read an event.

        The event whose `id` (`evt_…`) is given, exactly as its deliveries carry it.
        """
        return Response(EventSerializer(access.access_event(self.requester, event_id)).data)


class EventRedeliverView(RequesterAPIView):
    @extend_schema(request=EventRedeliver, responses={202: RedeliveredSerializer})
    def post(self, request, event_id):
        """Redeliver an event.

        The event is sent again, with a fresh retry period, to each active endpoint of yours subscribed to its
        type, or to `endpoint_id` only (a 400 naming `endpoint_id` when that endpoint is not yours). Receivers
        deduplicate on the event's `id`. A disabled `endpoint_id` is a 409 `webhook_endpoint_disabled`.
        """
        event = access.access_event(self.requester, event_id)
        spec = validate(EventRedeliver, body_object(request) if request.data else {})
        endpoint = None
        if spec.endpoint_id is not None:
            try:
                endpoint = access.access_webhook_endpoint(self.requester, spec.endpoint_id)
            except NotFound:
                raise InvalidInput.for_field("endpoint_id", "no such webhook endpoint") from None
        count = webhook_event_redeliver(event=event, endpoint=endpoint)
        return Response({"redelivered": count}, status=202)
