"""``/api/v1/qualification-types``: a requester's qualification types and their grants
(docs/qualifications.md)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from ... import access
from ...errors import NotFound
from ...inputs import validate
from ...inputs.qualifications import QualificationGrantCreate, QualificationTypeCreate
from ...selectors.qualifications import qualification_grants, visible_qualification_types
from ...services import qualifications
from ..base import RequesterAPIView
from ..pagination import paginated_response
from ..request_body import named_worker
from ..serializers.qualification_types import QualificationGrantSerializer, QualificationTypeSerializer


class QualificationTypesView(RequesterAPIView):
    @extend_schema(
        responses=QualificationTypeSerializer(many=True),
        description="The system types and the requester's own active types.",
    )
    def get(self, request):
        """List qualification types."""
        qualifications.system_qualification_types()
        queryset = visible_qualification_types(self.requester)
        return paginated_response(request, queryset, lambda t: QualificationTypeSerializer(t).data)

    @extend_schema(request=QualificationTypeCreate, responses={201: QualificationTypeSerializer})
    def post(self, request):
        """Create a qualification type.

        A type of your own, granted by hand, by a test or automatically; name it in the
        `qualification_requirements` of batches and labeling jobs (docs/qualifications.md).
        """
        spec = validate(QualificationTypeCreate, request.data)
        created = qualifications.qualification_type_create(
            requester=self.requester, name=spec.name, description=spec.description, grant_fields=spec.grant_fields()
        )
        return Response(QualificationTypeSerializer(created).data, status=201)


class QualificationTypeDetailView(RequesterAPIView):
    @extend_schema(responses=QualificationTypeSerializer)
    def get(self, request, qualification_type_id):
        """Read a qualification type.

        A system type or one of your own.
        """
        qualification_type = access.access_qualification_type(self.requester, qualification_type_id)
        return Response(QualificationTypeSerializer(qualification_type).data)


class QualificationTypeDeactivateView(RequesterAPIView):
    @extend_schema(
        request=None,
        responses=QualificationTypeSerializer,
        description="Deactivate (types are never deleted): no more grants, tests or new requirements; "
        "requirements already posted stay enforced. Idempotent.",
    )
    def post(self, request, qualification_type_id):
        """Deactivate a qualification type."""
        qualification_type = qualifications.qualification_type_deactivate(
            requester=self.requester,
            qualification_type=access.access_qualification_type(self.requester, qualification_type_id),
        )
        return Response(QualificationTypeSerializer(qualification_type).data)


class QualificationTypeWorkersView(RequesterAPIView):
    @extend_schema(
        responses=QualificationGrantSerializer(many=True),
        description="The type's grants. System types have none: their values are computed live.",
    )
    def get(self, request, qualification_type_id):
        """List a qualification type's grants."""
        qualification_type = access.access_qualification_type(self.requester, qualification_type_id)
        queryset = qualification_grants(qualification_type)
        return paginated_response(request, queryset, lambda g: QualificationGrantSerializer(g).data)

    @extend_schema(
        request=QualificationGrantCreate,
        responses={201: QualificationGrantSerializer, 200: QualificationGrantSerializer},
        description="Grant the type to a worker (201), or update the value of its grant (200).",
    )
    def post(self, request, qualification_type_id):
        """Grant a qualification to a worker."""
        qualification_type = access.access_qualification_type(self.requester, qualification_type_id)
        grant_input = validate(QualificationGrantCreate, request.data)
        grant, created = qualifications.qualification_grant(
            requester=self.requester,
            qualification_type=qualification_type,
            worker=named_worker(grant_input.worker_id),
            value=grant_input.value,
        )
        return Response(QualificationGrantSerializer(grant).data, status=201 if created else 200)


class QualificationTypeWorkerView(RequesterAPIView):
    @extend_schema(responses={204: None})
    def delete(self, request, qualification_type_id, worker_id):
        """Revoke a worker's qualification.

        The worker no longer holds the type (404 when it did not); requirements naming the type see it at the
        worker's next claim.
        """
        qualification_type = access.access_qualification_type(self.requester, qualification_type_id)
        if not qualifications.qualification_revoke(
            requester=self.requester, qualification_type=qualification_type, worker_id=worker_id
        ):
            raise NotFound(f"worker {worker_id} does not hold this qualification")
        return Response(status=204)
