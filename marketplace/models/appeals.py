from django.db import models

from .organizations import Organization
from .tasks import Assignment
from .workers import Worker


class Appeal(models.Model):
    """A worker's appeal of one rejection, decided once by the requester (docs/api.md, "Appeals").

    One per assignment, ever (the unique ``assignment``): a worker appeals a rejection once.
    ``requester`` and ``worker`` repeat the assignment's so that lists and figures read one
    table. Written only under its assignment's row lock (``services.appeals``).
    """

    class Status(models.TextChoices):
        OPEN = "open"
        ACCEPTED = "accepted"
        DECLINED = "declined"

    assignment = models.OneToOneField(Assignment, on_delete=models.PROTECT, related_name="appeal")
    requester = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="appeals")
    worker = models.ForeignKey(Worker, on_delete=models.PROTECT, related_name="appeals")
    message = models.TextField()
    # The rejection's feedback as the worker appealed it (an accepted appeal replaces the
    # assignment's feedback with the requester's reply).
    rejection_feedback = models.TextField(blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    reply = models.TextField(blank=True, default="")
    created_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["requester", "status", "id"], name="appeal_by_requester_status"),
            models.Index(fields=["worker", "id"], name="appeal_by_worker"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="open", decided_at__isnull=True)
                | (~models.Q(status="open") & models.Q(decided_at__isnull=False)),
                name="appeal_decided_at_iff_decided",
            )
        ]
