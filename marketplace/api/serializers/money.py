"""A requester's money (``/api/v1/balance``, ``/statement``, ``/bonuses``)."""

from __future__ import annotations

from rest_framework import serializers

MoneyString = serializers.CharField  # decimal strings in USD (DESIGN.md "Money")


class StatementEntrySerializer(serializers.Serializer):
    """One entry of a requester's statement (``statements.REQUESTER_COLUMNS``)."""

    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    kind = serializers.CharField()
    account = serializers.CharField(help_text="available or escrow")
    amount = MoneyString(help_text="signed: money in is positive")
    batch_id = serializers.IntegerField(allow_null=True)
    task_id = serializers.IntegerField(allow_null=True)
    assignment_id = serializers.IntegerField(allow_null=True)
    worker_id = serializers.IntegerField(allow_null=True)
    memo = serializers.CharField(allow_blank=True)
