"""Workteams, their members and invitations (``/api/v1/workteams``, ``/api/v1/worker/invitations``)."""

from __future__ import annotations

from rest_framework import serializers

from ...models import Invitation, Workteam


class WorkteamSerializer(serializers.ModelSerializer):
    owner_id = serializers.IntegerField(allow_null=True)
    member_count = serializers.IntegerField()

    class Meta:
        model = Workteam
        fields = ["id", "name", "kind", "owner_id", "member_count", "created_at"]


class MemberSerializer(serializers.Serializer):
    worker_id = serializers.IntegerField(source="worker.id")
    username = serializers.CharField(source="worker.username")
    joined_at = serializers.DateTimeField()


class InvitationSerializer(serializers.ModelSerializer):
    workteam_id = serializers.IntegerField()
    workteam_name = serializers.CharField(source="workteam.name")
    worker_id = serializers.IntegerField()

    class Meta:
        model = Invitation
        fields = [
            "id",
            "workteam_id",
            "workteam_name",
            "worker_id",
            "status",
            "created_at",
            "accepted_at",
            "revoked_at",
        ]
