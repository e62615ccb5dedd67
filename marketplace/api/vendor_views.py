"""Requester REST for vendor workforces: listing offerings and subscribing to them."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from .. import access
from ..errors import InvalidInput, NotFound
from ..models import VendorOffering, VendorSubscription
from ..services import vendors
from .base import RequesterAPIView
from .pagination import paginated_response, query_choice
from .serializers import MoneyField


class VendorOfferingSerializer(serializers.ModelSerializer):
    vendor_id = serializers.IntegerField()
    vendor_name = serializers.CharField(source="vendor.name")
    workteam_id = serializers.IntegerField(help_text="target it with batches and labeling jobs once subscribed")
    price = MoneyField(source="price_micros", help_text="per assignment, paid to the vendor; the fee is added")
    task_types = serializers.ListField(child=serializers.CharField())
    languages = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = VendorOffering
        fields = [
            "id",
            "vendor_id",
            "vendor_name",
            "workteam_id",
            "name",
            "description",
            "task_types",
            "languages",
            "price",
            "capacity",
            "created_at",
            "updated_at",
        ]


class VendorSubscriptionSerializer(serializers.ModelSerializer):
    offering = VendorOfferingSerializer()

    class Meta:
        model = VendorSubscription
        fields = ["id", "status", "offering", "created_at", "decided_at", "cancelled_at"]


class VendorOfferingsView(RequesterAPIView):
    @extend_schema(
        responses=VendorOfferingSerializer(many=True),
        description="Listed offerings of every vendor (filter with ?task_type= and ?language=).",
        parameters=[
            OpenApiParameter("task_type", str, description="offerings taking this task type"),
            OpenApiParameter("language", str, description="offerings working in this language"),
        ],
    )
    def get(self, request):
        queryset = VendorOffering.objects.select_related("vendor").filter(is_active=True, vendor__is_active=True)
        task_type = query_choice(request, "task_type", vendors.task_type_choices())
        language = request.query_params.get("language")
        if task_type or language:
            # Lists held in JSON: filtered here rather than with JSON operators SQLite lacks. A
            # few hundred offerings at most; the cursor pages over the ids that remain.
            listed = queryset.values_list("pk", "task_types", "languages")
            kept = [
                pk
                for pk, task_types, languages in listed
                if (not task_type or task_type in task_types) and (not language or language in languages)
            ]
            queryset = queryset.filter(pk__in=kept)
        return paginated_response(request, queryset, lambda o: VendorOfferingSerializer(o).data)


class VendorOfferingDetailView(RequesterAPIView):
    @extend_schema(responses=VendorOfferingSerializer)
    def get(self, request, offering_id):
        return Response(VendorOfferingSerializer(access.access_offering(offering_id)).data)


class VendorSubscriptionsView(RequesterAPIView):
    @extend_schema(
        responses=VendorSubscriptionSerializer(many=True),
        parameters=[OpenApiParameter("status", str, enum=VendorSubscription.Status.values)],
    )
    def get(self, request):
        queryset = VendorSubscription.objects.select_related("offering", "offering__vendor").filter(
            requester=self.requester
        )
        status = query_choice(request, "status", VendorSubscription.Status.values)
        if status:
            queryset = queryset.filter(status=status)
        return paginated_response(request, queryset, lambda s: VendorSubscriptionSerializer(s).data)

    @extend_schema(
        request=inline_serializer("VendorSubscriptionCreate", {"offering_id": serializers.IntegerField()}),
        responses={201: VendorSubscriptionSerializer, 200: VendorSubscriptionSerializer},
        description="Ask to subscribe (pending until the vendor accepts in its portal). "
        "Asking again while one is pending or active answers it with 200.",
    )
    def post(self, request):
        data = request.data if isinstance(request.data, dict) else {}
        offering_id = data.get("offering_id")
        if isinstance(offering_id, bool) or not isinstance(offering_id, int):
            raise InvalidInput.for_field("offering_id", "must be an integer")
        try:
            offering = access.access_offering(offering_id)
        except NotFound:
            raise InvalidInput.for_field("offering_id", "no such vendor offering") from None
        subscription, created = vendors.subscription_request(requester=self.requester, offering=offering)
        return Response(VendorSubscriptionSerializer(subscription).data, status=201 if created else 200)


class VendorSubscriptionDetailView(RequesterAPIView):
    @extend_schema(responses=VendorSubscriptionSerializer)
    def get(self, request, subscription_id):
        subscription = access.access_subscription_as_requester(self.requester, subscription_id)
        return Response(VendorSubscriptionSerializer(subscription).data)


class VendorSubscriptionCancelView(RequesterAPIView):
    @extend_schema(
        request=None,
        responses=VendorSubscriptionSerializer,
        description="End the subscription: no new work can target the team; posted work goes on.",
    )
    def post(self, request, subscription_id):
        subscription = access.access_subscription_as_requester(self.requester, subscription_id)
        return Response(VendorSubscriptionSerializer(vendors.subscription_cancel(subscription=subscription)).data)
