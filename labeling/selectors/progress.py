"""How far a job has come, as its pages show it: progress, progress over time, and each
worker's contribution and quality (its objects, labels and confidences are ``objects``).

Used by both job pages (``portal.job_views``): the vendor's (work its team did for a requester)
and the requester's own. Each takes a job the caller already fetched through an ``access_*``
function.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q
from django.utils import timezone

from marketplace.models import Assignment
from marketplace.models.reputation import WorkerBatchEstimate, WorkerBatchQuality
from marketplace.selectors.batches import BatchAnswers, batch_answers, percent_of

from ..models import DataObject, LabelingJob

ANSWERED_STATUSES = (Assignment.Status.SUBMITTED, Assignment.Status.APPROVED, Assignment.Status.REJECTED)
SERIES_POINTS = 48


@dataclass(frozen=True)
class JobProgress:
    """Where a job stands. Objects are the input manifest's lines (gold checks excluded):
    ``labeled`` have a final consolidated label, ``failed`` never will. Answers are the job's
    batch's figures (``marketplace.selectors.batches``, gold tasks included, the same
    selector as the vendor dashboard): ``answers`` submitted of ``slots`` wanted, and the parts
    ``slots`` is made of: ``tasks`` × ``workers_per_object`` posted, plus ``extra_slots``
    added since (dynamic redundancy asking an unsure object for another answer, or a slot
    replacing rejected work); ``unfillable`` of them will never be answered (their task closed
    early as confident, expired or was stopped)."""

    objects_total: int
    labeled: int
    failed: int
    gold_tasks: int
    workers_per_object: int
    batch: BatchAnswers

    @property
    def pending(self) -> int:
        return max(0, self.objects_total - self.labeled - self.failed)

    @property
    def percent_labeled(self) -> int:
        return percent_of(self.labeled, self.objects_total)

    @property
    def answers(self) -> int:
        return self.batch.answers

    @property
    def slots(self) -> int:
        return self.batch.slots

    @property
    def tasks(self) -> int:
        return self.batch.tasks

    @property
    def posted_slots(self) -> int:
        return self.batch.tasks * self.workers_per_object

    @property
    def extra_slots(self) -> int:
        return self.batch.slots - self.posted_slots

    @property
    def live(self) -> int:
        return self.batch.live

    @property
    def backlog(self) -> int:
        return self.batch.backlog

    @property
    def unfillable(self) -> int:
        return self.batch.unfillable

    @property
    def answers_last_hour(self) -> int:
        return self.batch.answers_last_hour

    @property
    def answers_last_day(self) -> int:
        return self.batch.answers_last_day

    @property
    def closes_at(self) -> datetime | None:
        return self.batch.next_expiry


def job_progress(job: LabelingJob, *, now: datetime | None = None) -> JobProgress:
    """The job's progress; a job without a batch yet (``initializing``) shows zero answers."""
    now = now or timezone.now()
    figures = (
        batch_answers([job.batch_id], now=now)[job.batch_id]
        if job.batch_id
        else BatchAnswers(
            batch_id=0,
            tasks=0,
            slots=0,
            answers=0,
            live=0,
            open_tasks=0,
            backlog=0,
            answers_last_hour=0,
            answers_last_day=0,
            next_expiry=None,
        )
    )
    gold_tasks = DataObject.objects.filter(job=job, is_gold=True).count() if job.batch_id else 0
    return JobProgress(
        objects_total=job.objects_total,
        labeled=job.human_labeled + job.machine_labeled,  # automated labeling's count too
        failed=job.failed_objects,
        gold_tasks=gold_tasks,
        workers_per_object=job.workers_per_object,
        batch=figures,
    )


def answers_over_time(
    job: LabelingJob, *, points: int = SERIES_POINTS, now: datetime | None = None
) -> list[tuple[datetime, int]]:
    """Cumulative answers submitted, sampled at ``points`` evenly spaced times from the job's
    creation to ``now`` (or to its end): [(time, answers so far)]. Reads one column of the
    batch's submitted assignments (an index walk; a job's answers fit in memory as datetimes)."""
    if job.batch_id is None:
        return []
    end = job.ended_at or now or timezone.now()
    start = job.created_at
    times = sorted(
        submitted_at
        for submitted_at in Assignment.objects.filter(task__batch_id=job.batch_id, submitted_at__isnull=False)
        .values_list("submitted_at", flat=True)
        .iterator(chunk_size=5000)
        if submitted_at is not None  # filtered in SQL too; narrows the type
    )
    if times and times[-1] > end:
        end = times[-1]
    step = (end - start) / max(points - 1, 1)
    series: list[tuple[datetime, int]] = []
    seen = 0
    for index in range(points):
        moment = start + step * index
        while seen < len(times) and times[seen] <= moment:
            seen += 1
        series.append((moment, seen))
    series[-1] = (end, len(times))
    return series


@dataclass(frozen=True)
class WorkerContribution:
    """One worker's part in a job: answers given (submitted or settled), approved, rejected and
    live; gold checks in this job; consolidation's accuracy estimate for this job (``None``
    before the first consolidation that saw its answers); whether quality rules stopped it."""

    worker_id: int
    username: str
    answers: int
    approved: int
    rejected: int
    live: int
    gold_answered: int
    gold_correct: int
    estimated_accuracy: float | None
    is_excluded: bool

    @property
    def gold_accuracy(self) -> float | None:
        return self.gold_correct / self.gold_answered if self.gold_answered else None


def worker_contributions(job: LabelingJob) -> list[WorkerContribution]:
    """Every worker who claimed work in the job, most answers first."""
    if job.batch_id is None:
        return []
    rows = (
        Assignment.objects.filter(task__batch_id=job.batch_id)
        .values("worker_id", "worker__username")
        .annotate(
            answers=Count("id", filter=Q(status__in=ANSWERED_STATUSES)),
            approved=Count("id", filter=Q(status=Assignment.Status.APPROVED)),
            rejected=Count("id", filter=Q(status=Assignment.Status.REJECTED)),
            live=Count("id", filter=Q(status=Assignment.Status.ACCEPTED)),
        )
        .order_by("-answers", "worker_id")
    )
    estimates = dict(
        WorkerBatchEstimate.objects.filter(batch_id=job.batch_id).values_list("worker_id", "estimated_accuracy")
    )
    quality = {
        row[0]: row[1:]
        for row in WorkerBatchQuality.objects.filter(batch_id=job.batch_id).values_list(
            "worker_id", "gold_answered", "gold_correct", "excluded_at"
        )
    }
    return [
        WorkerContribution(
            worker_id=row["worker_id"],
            username=row["worker__username"],
            answers=row["answers"],
            approved=row["approved"],
            rejected=row["rejected"],
            live=row["live"],
            gold_answered=quality.get(row["worker_id"], (0, 0, None))[0],
            gold_correct=quality.get(row["worker_id"], (0, 0, None))[1],
            estimated_accuracy=estimates.get(row["worker_id"]),
            is_excluded=quality.get(row["worker_id"], (0, 0, None))[2] is not None,
        )
        for row in rows
    ]
