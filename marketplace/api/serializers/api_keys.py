"""Requester API keys (``/api/v1/api-keys``)."""

from __future__ import annotations

from rest_framework import serializers

from ...models import ApiKey
from .fields import SECRET_REPLAYED


class ApiKeySerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiKey
        fields = ["id", "name", "prefix", "created_at", "revoked_at", "last_used_at"]


class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = serializers.CharField(allow_null=True, help_text=f"the secret, shown only here ({SECRET_REPLAYED})")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]
