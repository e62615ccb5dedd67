"""Field types the API's serializers share."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ...money import format_micros


@extend_schema_field(serializers.CharField(help_text='USD decimal string, e.g. "0.05"'))
class MoneyField(serializers.Field):
    def to_representation(self, value: int) -> str:
        return format_micros(value)


SECRET_REPLAYED = "null when an Idempotency-Key replays the response: a secret is shown once"
