"""``/api/v1/vendor-offerings``: the vendor workforces a requester may subscribe to."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from ... import access
from ...selectors.offerings import listed_offerings
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
        task_type = query_choice(request, "task_type", vendors.task_type_choices())
        queryset = listed_offerings(task_type=task_type, language=request.query_params.get("language"))
        return paginated_response(request, queryset, lambda o: VendorOfferingSerializer(o).data)


class VendorOfferingDetailView(RequesterAPIView):
    @extend_schema(responses=VendorOfferingSerializer)
    def get(self, request, offering_id):
        """Read a vendor offering.

        A listed offering: its vendor, workteam, task types, languages, price per assignment and capacity.
        """
        return Response(VendorOfferingSerializer(access.access_offering(offering_id)).data)
