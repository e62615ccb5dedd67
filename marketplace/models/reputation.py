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
