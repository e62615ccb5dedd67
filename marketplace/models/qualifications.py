"""Qualification types, grants, test attempts, and requesters' blocks on workers."""

from django.db import models
from django.db.models import Q

from .organizations import Organization
from .workers import Worker


class QualificationType(models.Model):
    """Something a worker may hold, with a value, that batches can require.

    Requester-defined types (``owner`` set) are granted manually, automatically from a
    reputation metric (``auto_*``), or by a test (``test_*``). System types (``owner`` null,
    ``system_key`` set) exist for everyone and their values are computed live.
    """

    class GrantMethod(models.TextChoices):
        MANUAL = "manual"
        AUTO = "auto"
        TEST = "test"
        SYSTEM = "system"

    class ValueKind(models.TextChoices):
        INTEGER = "integer"
        LOCALE = "locale"

    owner = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="qualification_types"
    )
    system_key = models.CharField(max_length=32, null=True, blank=True, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    grant_method = models.CharField(max_length=16, choices=GrantMethod.choices, default=GrantMethod.MANUAL)
    value_kind = models.CharField(max_length=16, choices=ValueKind.choices, default=ValueKind.INTEGER)
    # auto: the worker holds the type, with the metric as its value, while the metric passes.
    auto_metric = models.CharField(max_length=32, blank=True)
    auto_comparator = models.CharField(max_length=8, blank=True)
    auto_threshold = models.IntegerField(null=True, blank=True)
    # test: [{"input": …, "answer": …}]; passing score in percent.
    test_questions = models.JSONField(default=list, blank=True)
    test_passing_score = models.PositiveSmallIntegerField(null=True, blank=True)
    test_retry_delay_seconds = models.PositiveIntegerField(default=86400)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "name"],
                condition=Q(is_active=True, owner__isnull=False),
                name="qualification_type_name_unique_per_owner",
            ),
            models.CheckConstraint(
                condition=Q(owner__isnull=True, system_key__isnull=False)
                | Q(owner__isnull=False, system_key__isnull=True),
                name="qualification_type_owner_or_system",
            ),
        ]
        indexes = [models.Index(fields=["owner", "id"], name="qualification_type_by_owner")]

    def __str__(self) -> str:
        return self.name


class QualificationGrant(models.Model):
    """A worker's value for a requester-defined type (system types have no rows: live values)."""

    class Source(models.TextChoices):
        MANUAL = "manual"
        AUTO = "auto"
        TEST = "test"

    qualification_type = models.ForeignKey(QualificationType, on_delete=models.PROTECT, related_name="grants")
    worker = models.ForeignKey(Worker, on_delete=models.PROTECT, related_name="qualification_grants")
    value = models.IntegerField()
    source = models.CharField(max_length=16, choices=Source.choices)
    granted_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["qualification_type", "worker"], name="one_grant_per_type_worker"),
        ]
        indexes = [models.Index(fields=["worker", "qualification_type"], name="grant_by_worker")]


class QualificationTestAttempt(models.Model):
    """One scored submission of a qualification test (kept: the retry delay counts from it)."""

    qualification_type = models.ForeignKey(QualificationType, on_delete=models.PROTECT, related_name="attempts")
    worker = models.ForeignKey(Worker, on_delete=models.PROTECT, related_name="qualification_attempts")
    answers = models.JSONField()
    score = models.PositiveSmallIntegerField()
    passed = models.BooleanField()
    submitted_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["worker", "qualification_type", "-submitted_at"], name="attempt_by_worker_type"),
        ]


class WorkerBlock(models.Model):
    """A requester's block on a worker: the worker is never offered that requester's tasks."""

    requester = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="worker_blocks")
    worker = models.ForeignKey(Worker, on_delete=models.PROTECT, related_name="blocks")
    reason = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["requester", "worker"], name="one_block_per_requester_worker")]
        indexes = [models.Index(fields=["worker", "requester"], name="block_by_worker")]
