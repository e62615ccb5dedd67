"""Vendor offerings (``/api/v1/vendor-offerings``)."""

from __future__ import annotations

from rest_framework import serializers

from ...models import VendorOffering
from .fields import MoneyField


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
