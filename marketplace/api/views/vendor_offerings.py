"""``/api/v1/vendor-offerings``: the vendor workforces a requester may subscribe to."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from ... import access
from ...models import VendorOffering
from ...services import vendors
from ..base import RequesterAPIView
from ..pagination import paginated_response, query_choice
from ..serializers.vendor_offerings import VendorOfferingSerializer


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
        """List vendor offerings."""
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
        """Read a vendor offering.

        A listed offering: its vendor, workteam, task types, languages, price per assignment and capacity.
        """
        return Response(VendorOfferingSerializer(access.access_offering(offering_id)).data)
