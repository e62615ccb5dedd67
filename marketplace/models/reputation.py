from django.db import models

from .tasks import Batch
from .workers import Worker


class WorkerBatchEstimate(models.Model):
    """A worker's accuracy in one batch as estimated by consolidation (the diagonal of the
    worker's confusion matrix weighted by class priors, or the task type's equivalent), over
    ``answers`` answers. The reputation record combines these with gold accuracy and approvals.
    """

    worker = models.ForeignKey(Worker, on_delete=models.PROTECT, related_name="batch_estimates")
    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="worker_estimates")
    estimated_accuracy = models.FloatField()
    answers = models.PositiveIntegerField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["worker", "batch"], name="one_estimate_per_worker_batch")]


class WorkerReputation(models.Model):
    """A worker's quality record (docs/quality.md), one row per worker, created on first use.

    The counters are only ever moved by ``F()`` increments from the services that change their
    inputs (claim, submit, return, expiry, approve, reject), so concurrent updates never lose a
    count. ``estimated_accuracy`` is the answers-weighted mean of the worker's
    ``WorkerBatchEstimate`` rows, over ``estimated_answers`` answers (``None`` before any).
    """

    worker = models.OneToOneField(Worker, primary_key=True, on_delete=models.PROTECT, related_name="reputation")
    submitted = models.PositiveIntegerField(default=0)
    approved = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    returned = models.PositiveIntegerField(default=0)
    expired = models.PositiveIntegerField(default=0)
    gold_answered = models.PositiveIntegerField(default=0)
    gold_correct = models.PositiveIntegerField(default=0)
    estimated_accuracy = models.FloatField(null=True, blank=True)
    estimated_answers = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(gold_correct__lte=models.F("gold_answered")),
                name="reputation_gold_correct_within_answered",
            ),
        ]


class WorkerBatchQuality(models.Model):
    """One worker's gold record in one batch, and whether the batch's quality rules stopped it.

    Created on the worker's first gold answer in the batch (workers who never met gold there have
    none): ``gold_answered``/``gold_correct`` count its gold checks. Once
    ``excluded_at`` is set the worker is offered none of the batch's tasks again (dispatch's
    eligibility rule) and, with ``exclude_answers``, its answers are left out of consolidation.
    """

    worker = models.ForeignKey(Worker, on_delete=models.PROTECT, related_name="batch_quality")
    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="worker_quality")
    gold_answered = models.PositiveIntegerField(default=0)
    gold_correct = models.PositiveIntegerField(default=0)
    excluded_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["worker", "batch"], name="one_quality_row_per_worker_batch"),
        ]
        indexes = [
            # The claim reads "the batches this worker is stopped from" through this small index.
            models.Index(
                fields=["worker", "batch"],
                condition=models.Q(excluded_at__isnull=False),
                name="quality_excluded_by_worker",
            ),
        ]
