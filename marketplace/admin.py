"""Django admin for operators. Assignments are history: shown read-only."""

from django.contrib import admin

from .models import (
    ApiKey,
    Assignment,
    Batch,
    Invitation,
    Membership,
    Organization,
    QualificationGrant,
    QualificationTestAttempt,
    QualificationType,
    Task,
    Worker,
    WorkerBlock,
    Workteam,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "kind", "is_active", "created_at"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name"]

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "organization", "role"]


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdmin):
    list_display = ["id", "organization", "name", "prefix", "created_at", "revoked_at", "last_used_at"]
    exclude = ["key_hash"]


@admin.register(Worker)
class WorkerAdmin(admin.ModelAdmin):
    list_display = ["id", "username", "locale", "is_active", "created_at"]
    search_fields = ["username"]
    exclude = ["token_hash"]
    readonly_fields = ["token_prefix", "token_rotated_at"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Workteam)
class WorkteamAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "kind", "owner", "is_active"]
    list_filter = ["kind", "is_active"]


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ["id", "workteam", "worker", "status", "created_at"]


@admin.register(Batch)
class BatchAdmin(ReadOnlyAdmin):
    list_display = ["id", "requester", "workteam", "auto_approval_delay_seconds", "created_at"]


@admin.register(Task)
class TaskAdmin(ReadOnlyAdmin):
    list_display = ["id", "requester", "batch", "title", "status", "slots", "slots_used", "slots_submitted"]
    list_filter = ["status"]


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = ["id", "task", "worker", "status", "accepted_at", "deadline", "submitted_at"]
    list_filter = ["status"]


@admin.register(QualificationType)
class QualificationTypeAdmin(ReadOnlyAdmin):
    list_display = ["id", "name", "owner", "system_key", "grant_method", "is_active", "created_at"]
    list_filter = ["grant_method", "is_active"]


@admin.register(QualificationGrant)
class QualificationGrantAdmin(ReadOnlyAdmin):
    list_display = ["id", "qualification_type", "worker", "value", "source", "updated_at"]


@admin.register(QualificationTestAttempt)
class QualificationTestAttemptAdmin(ReadOnlyAdmin):
    list_display = ["id", "qualification_type", "worker", "score", "passed", "submitted_at"]


@admin.register(WorkerBlock)
class WorkerBlockAdmin(ReadOnlyAdmin):
    list_display = ["id", "requester", "worker", "reason", "created_at"]
