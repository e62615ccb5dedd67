"""A requester's vendor subscriptions (``/api/v1/vendor-subscriptions``)."""

from __future__ import annotations

from rest_framework import serializers

from ...models import VendorSubscription
from .vendor_offerings import VendorOfferingSerializer


class VendorSubscriptionSerializer(serializers.ModelSerializer):
    offering = VendorOfferingSerializer()

    class Meta:
        model = VendorSubscription
        fields = ["id", "status", "offering", "created_at", "decided_at", "cancelled_at"]
