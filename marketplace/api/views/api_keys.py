"""``/api/v1/api-keys``: a requester's API keys (the secret is shown once, at creation)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from ... import access
from ...inputs import validate
from ...inputs.workteams import ApiKeyCreate
from ...selectors.organizations import organization_api_keys
from ...services import organizations
from ..base import RequesterAPIView
from ..pagination import paginated_response
from ..request_body import body_object
from ..serializers.api_keys import ApiKeyCreatedSerializer, ApiKeySerializer


class ApiKeysView(RequesterAPIView):
    secret_response_fields = ("key", "aws_secret_access_key")

    @extend_schema(responses=ApiKeySerializer(many=True))
    def get(self, request):
        """List your API keys.

        Every key of your organization, revoked ones included. Secrets are never shown again.
        """
        return paginated_response(request, organization_api_keys(self.requester), lambda k: ApiKeySerializer(k).data)

    @extend_schema(
        request=ApiKeyCreate,
        responses={201: ApiKeyCreatedSerializer},
    )
    def post(self, request):
        """Create an API key.

        A new key and its AWS-style key pair for `/aws/`: `key` and `aws_secret_access_key` are shown only in
        this response.
        """
        spec = validate(ApiKeyCreate, body_object(request) if request.data else {})
        created = organizations.api_key_create(organization=self.requester, name=spec.name)
        body = {
            **ApiKeySerializer(created.api_key).data,
            "key": created.key,
            "aws_secret_access_key": created.aws_secret_access_key,
        }
        return Response(body, status=201)


class ApiKeyRevokeView(RequesterAPIView):
    @extend_schema(request=None, responses=ApiKeySerializer)
    def post(self, request, api_key_id):
        """Revoke an API key.

        The key and its AWS-style key pair stop working at once. Revoking a revoked key is a 200 that changes
        nothing.
        """
        api_key = organizations.api_key_revoke(api_key=access.access_api_key(self.requester, api_key_id))
        return Response(ApiKeySerializer(api_key).data)
