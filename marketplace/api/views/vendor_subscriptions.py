"""``/api/v1/vendor-subscriptions``: a requester's subscriptions to vendor offerings."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from ... import access
from ...errors import InvalidInput, NotFound
from ...inputs import validate
from ...inputs.workteams import VendorSubscriptionCreate
from ...models import VendorSubscription
from ...selectors.offerings import requester_subscriptions
from ...services import vendors
from ..base import RequesterAPIView
from ..pagination import paginated_response, query_choice
from ..serializers.vendor_subscriptions import VendorSubscriptionSerializer


class VendorSubscriptionsView(RequesterAPIView):
    @extend_schema(
        responses=VendorSubscriptionSerializer(many=True),
        parameters=[
            OpenApiParameter(
                "status", str, enum=VendorSubscription.Status.values, description="only subscriptions in this status"
            )
        ],
    )
    def get(self, request):
        """List your vendor subscriptions.

        Your subscriptions, oldest first; `status` keeps one status.
        """
        status = query_choice(request, "status", VendorSubscription.Status.values)
        queryset = requester_subscriptions(self.requester, status=status)
        return paginated_response(request, queryset, lambda s: VendorSubscriptionSerializer(s).data)

    @extend_schema(
        request=VendorSubscriptionCreate,
        responses={201: VendorSubscriptionSerializer, 200: VendorSubscriptionSerializer},
        description="Ask to subscribe (pending until the vendor accepts in its portal). "
        "Asking again while one is pending or active answers it with 200.",
    )
    def post(self, request):
        """Subscribe to a vendor offering."""
        # a body that is not an object names offering_id, as it always has
        offering_id = validate(
            VendorSubscriptionCreate, request.data if isinstance(request.data, dict) else {}
        ).offering_id
        try:
            offering = access.access_offering(offering_id)
        except NotFound:
            raise InvalidInput.for_field("offering_id", "no such vendor offering") from None
        subscription, created = vendors.subscription_request(requester=self.requester, offering=offering)
        return Response(VendorSubscriptionSerializer(subscription).data, status=201 if created else 200)


class VendorSubscriptionDetailView(RequesterAPIView):
    @extend_schema(responses=VendorSubscriptionSerializer)
    def get(self, request, subscription_id):
        """Read a vendor subscription.

        Where it stands: `pending` until the vendor decides, then `active` or `declined`; `cancelled` once
        ended.
        """
        subscription = access.access_subscription_as_requester(self.requester, subscription_id)
        return Response(VendorSubscriptionSerializer(subscription).data)


class VendorSubscriptionCancelView(RequesterAPIView):
    @extend_schema(
        request=None,
        responses=VendorSubscriptionSerializer,
        description="End the subscription: no new work can target the team; posted work goes on.",
    )
    def post(self, request, subscription_id):
        """Cancel a vendor subscription."""
        subscription = access.access_subscription_as_requester(self.requester, subscription_id)
        return Response(VendorSubscriptionSerializer(vendors.subscription_cancel(subscription=subscription)).data)
