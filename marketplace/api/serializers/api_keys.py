"""Requester API keys (``/api/v1/api-keys``)."""

from __future__ import annotations

from rest_framework import serializers

from ...models import ApiKey
from .fields import SECRET_REPLAYED


class ApiKeySerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiKey
        fields = ["id", "name", "prefix", "aws_access_key_id", "created_at", "revoked_at", "last_used_at"]
        extra_kwargs = {
            "aws_access_key_id": {
                "help_text": "the AWS-style access key id for the AWS-compatible endpoint (docs/aws.md); "
                "null for keys made before key pairs existed"
            }
        }


class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = serializers.CharField(allow_null=True, help_text=f"the secret, shown only here ({SECRET_REPLAYED})")
    aws_secret_access_key = serializers.CharField(
        allow_null=True,
        help_text="the AWS-style secret access key paired with aws_access_key_id, for Signature Version 4 "
        f"at /aws/ (docs/aws.md); shown only here ({SECRET_REPLAYED})",
    )

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key", "aws_secret_access_key"]
