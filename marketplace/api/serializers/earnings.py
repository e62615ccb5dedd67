"""A worker's earnings (``/api/v1/worker/statement``, ``/worker/payouts``)."""

from __future__ import annotations

from rest_framework import serializers

from ...models import Payout
from .money import MoneyString


class EarningsEntrySerializer(serializers.Serializer):
    """One entry of a worker's earnings statement (``statements.PAYEE_COLUMNS``)."""

    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    kind = serializers.CharField()
    amount = MoneyString(help_text="signed: money in is positive")
    task_id = serializers.IntegerField(allow_null=True)
    assignment_id = serializers.IntegerField(allow_null=True)
    payout_id = serializers.IntegerField(allow_null=True)
    memo = serializers.CharField(allow_blank=True)


class PayoutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    amount = MoneyString()
    status = serializers.ChoiceField(choices=Payout.Status.choices)
    requested_at = serializers.DateTimeField()
    approved_at = serializers.DateTimeField(allow_null=True)
    paid_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)
    external_reference = serializers.CharField()
