from django.db import models

from .organizations import Organization
from .workers import Worker


class WorkerMessage(models.Model):
    """A requester's message to one worker who has worked for it (``POST /api/v1/worker-messages``,
    MTurk's NotifyWorkers). One row per recipient; ``sent_together`` groups the rows of one call."""

    requester = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="worker_messages")
    worker = models.ForeignKey(Worker, on_delete=models.PROTECT, related_name="messages")
    subject = models.CharField(max_length=200)
    message = models.TextField()
    sent_together = models.UUIDField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["worker", "id"], name="worker_message_by_worker")]
