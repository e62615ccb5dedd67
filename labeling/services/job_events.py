"""``labeling_job.status_changed``: recorded by every service that moves a labeling job to
another status, inside the transaction that moves it (docs/webhooks.md). ``data`` is the job
as ``GET /api/v1/labeling-jobs/{id}`` returns it, read back after the change; ordering key
``labeling_job:<id>``, so a receiver sees a job's statuses in the order they happened."""

from __future__ import annotations

from marketplace.events.outbox import record_event, wants_event

from ..api.serializers.labeling_jobs import LabelingJobSerializer
from ..models import LabelingJob

STATUS_CHANGED = "labeling_job.status_changed"


def job_status_changed(*, job_id: int, requester_id: int) -> None:
    """Record that job ``job_id`` (of ``requester_id``) changed status; call inside the
    transaction that changed it, after the change. Reads nothing unless someone listens."""
    if wants_event(requester_id, STATUS_CHANGED):
        job = LabelingJob.objects.get(pk=job_id)
        record_event(
            organization_id=requester_id,
            event_type=STATUS_CHANGED,
            data=dict(LabelingJobSerializer(job).data),
            ordering_key=f"labeling_job:{job_id}",
        )
