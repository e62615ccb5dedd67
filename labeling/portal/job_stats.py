"""What a job page shows, read from the database: progress, progress over time, each worker's
contribution and quality, and the spread of consolidated confidences.

Used by both job pages (``job_views``): the vendor's (work its team did for a requester) and the
requester's own. These are selectors: they read, never write, and take a job the caller already
fetched through an ``access_*`` function. Nothing a vendor sees tells gold objects apart
(``job_objects(as_vendor=True)``; aggregates count input objects only): knowing which objects
are gold would let a team game its quality checks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q
from django.utils import timezone

from marketplace.models import Assignment
from marketplace.models.reputation import WorkerBatchEstimate, WorkerBatchQuality
from marketplace.services.batch_figures import BatchAnswers, batch_answers, percent_of

from ..models import DataObject, LabelingJob

ANSWERED_STATUSES = (Assignment.Status.SUBMITTED, Assignment.Status.APPROVED, Assignment.Status.REJECTED)
SERIES_POINTS = 48
CONFIDENCE_BINS = 10
OBJECTS_PER_PAGE = 50
MAX_PAGE = 1_000_000  # 50 million objects: past any job, and far from an offset overflow


@dataclass(frozen=True)
class JobProgress:
    """Where a job stands. Objects are the input manifest's lines (gold checks excluded):
    ``labeled`` have a final consolidated label, ``failed`` never will. Answers are the job's
    batch's figures (``marketplace.services.batch_figures``, gold tasks included, the same
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
        labeled=job.human_labeled,
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


def confidence_histogram(job: LabelingJob, *, bins: int = CONFIDENCE_BINS) -> tuple[list[int], list[float]]:
    """Counts of the consolidated confidences of the job's labeled input objects (gold and
    objects still pending excluded, so the counts add up to the objects labeled) in ``bins``
    equal bins over [0, 1] (1.0 falls in the last); returns (counts, edges)."""
    counts = [0] * bins
    confidences = DataObject.objects.filter(
        job=job,
        is_gold=False,
        status=DataObject.Status.LABELED,
        confidence__isnull=False,
    ).values_list("confidence", flat=True)
    for confidence in confidences.iterator(chunk_size=5000):
        assert confidence is not None  # filtered on confidence__isnull=False
        counts[min(bins - 1, max(0, int(confidence * bins)))] += 1
    return counts, [round(index / bins, 4) for index in range(bins + 1)]


def job_objects(job: LabelingJob, *, page: int = 1, as_vendor: bool = False) -> tuple[list[DataObject], bool]:
    """One page of the job's data objects with their task (its ``input`` is what workers see),
    and whether there is a next page. The requester's view: input objects in input order, then
    the gold ones. A vendor's (``as_vendor``): every object, gold included, in task order (the
    order workers are offered them), so that no object's absence from the list marks it as
    gold; the caller shows a vendor nothing that tells them apart."""
    objects = DataObject.objects.filter(job=job).select_related("task")
    objects = objects.order_by("task_id") if as_vendor else objects.order_by("is_gold", "line_number")
    page = min(max(1, page), MAX_PAGE)
    chunk = list(objects[(page - 1) * OBJECTS_PER_PAGE : page * OBJECTS_PER_PAGE + 1])
    return chunk[:OBJECTS_PER_PAGE], len(chunk) > OBJECTS_PER_PAGE


def _class_ids(result: dict | None) -> list[int]:
    """The class ids a classification result chose (single-label ``label``, multi-label
    ``present``); other task types' results name no class here."""
    if not isinstance(result, dict):
        return []
    if isinstance(result.get("label"), int):
        return [result["label"]]
    present = result.get("present")
    return [item for item in present if isinstance(item, int)] if isinstance(present, list) else []


def result_summary(job: LabelingJob, result: dict | None) -> str:
    """A consolidated result as people read it: the label names for classification, else the
    result's JSON (the page escapes either)."""
    if result is None:
        return ""
    ids = _class_ids(result)
    if ids and all(0 <= class_id < len(job.label_categories) for class_id in ids):
        return ", ".join(job.label_categories[class_id] for class_id in ids)
    return json.dumps(result, ensure_ascii=False, sort_keys=True)


def label_counts(job: LabelingJob) -> list[tuple[str, int]]:
    """Labeled input objects per label category, in category order (classification jobs; an
    empty list for other task types or before anything is labeled). Only objects whose label
    is final count (a pending object's provisional result does not), so for single-label jobs
    the counts add up to the objects labeled; a multi-label object counts once per label."""
    counts = [0] * len(job.label_categories)
    results = DataObject.objects.filter(
        job=job,
        is_gold=False,
        status=DataObject.Status.LABELED,
        result__isnull=False,
    ).values_list("result", flat=True)
    for result in results.iterator(chunk_size=5000):
        for class_id in _class_ids(result):
            if 0 <= class_id < len(counts):
                counts[class_id] += 1
    if not any(counts):
        return []
    return list(zip(job.label_categories, counts, strict=True))
