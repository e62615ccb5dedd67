"""Moving a job along as answers arrive: consolidation, dynamic redundancy, stopping
conditions, label counters, and the end of the job (output written, then ``completed`` or
``stopped``), and the output folder refreshed while the job runs (``output.job_refresh_output``).

``job_advance`` is what the background runs for a job, from a message or from the sweep; it
holds the job's lease (a job another pass holds is skipped), so it is safe to run twice and
concurrently. It consolidates the whole job each time there are new answers, off the request
path.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from django.db import connection, transaction
from django.utils import timezone

from marketplace.locking import locked_steering_job
from marketplace.models import Assignment, Task
from marketplace.selectors.batches import batch_progress
from marketplace.selectors.workers import worker_batch_records
from marketplace.services.batches import batch_finish, batch_stop, tasks_steer
from marketplace.services.quality import batch_excluded_worker_ids
from marketplace.services.reputation import reputation_record_estimates

from ..models import DataObject, LabelingJob
from ..selectors.records import earlier_similar_jobs, worker_gold_records
from ..task_types import ObjectAnswers, get_task_type
from . import streaming, streaming_output
from .automation import automation_pass
from .gold_tallies import job_gold_tallies_save
from .hooks_objects import hook_consolidate
from .job_events import job_status_changed
from .leases import job_lease
from .output import OutputFailed, job_refresh_output, job_write_output

logger = logging.getLogger(__name__)

CONSOLIDATED_STATUSES = (Assignment.Status.SUBMITTED, Assignment.Status.APPROVED)
CLOSED_TASK_STATUSES = (Task.Status.COMPLETE, Task.Status.EXPIRED, Task.Status.STOPPED)
UPDATE_CHUNK = 2000


@dataclass
class _Object:
    pk: int
    task_id: int
    is_gold: bool
    gold_answer: dict | None
    status: str
    result: dict | None
    confidence: float | None
    answers: int
    task_status: str
    slots: int
    slots_used: int
    slots_submitted: int
    task_input: dict
    labeled_at: datetime | None
    is_machine_labeled: bool

    @property
    def is_finished(self) -> bool:
        """No more answers can come: the task is closed and holds no live assignment."""
        return self.task_status in CLOSED_TASK_STATUSES and self.slots_used == self.slots_submitted


def _load_objects(job: LabelingJob) -> list[_Object]:
    rows = (
        DataObject.objects.filter(job=job)
        .order_by("pk")
        .values_list(
            "pk",
            "task_id",
            "is_gold",
            "gold_answer",
            "status",
            "result",
            "confidence",
            "answers",
            "task__status",
            "task__slots",
            "task__slots_used",
            "task__slots_submitted",
            "task__input",
            "labeled_at",
            "is_machine_labeled",
        )
    )
    return [_Object(*row) for row in rows.iterator(chunk_size=UPDATE_CHUNK)]


def _consolidate(job: LabelingJob, objects: list[_Object]) -> dict[int, tuple[dict | None, float | None]]:
    """Consolidate every answered object; returns ``{data object pk: (result, confidence)}``
    and records each worker's estimated accuracy."""
    by_task = {item.task_id: item for item in objects}
    answers: dict[int, list[tuple[int, dict]]] = {}
    batch = job.posted_batch
    rows = Assignment.objects.filter(task__batch=batch, status__in=CONSOLIDATED_STATUSES).exclude(
        worker_id__in=batch_excluded_worker_ids(batch)
    )  # quality rules' exclude_answers
    for task_id, worker_id, answer in (
        rows.order_by("pk").values_list("task_id", "worker_id", "answer").iterator(chunk_size=UPDATE_CHUNK)
    ):
        if task_id in by_task:  # the batch is sealed, so every task is an object's; never trust it blindly
            # a consolidated (submitted or reviewed) assignment always holds its answer
            answers.setdefault(task_id, []).append((worker_id, cast(dict, answer)))
    worker_ids = sorted({worker_id for given in answers.values() for worker_id, _ in given})
    worker_index = {worker_id: index for index, worker_id in enumerate(worker_ids)}
    answered = [by_task[task_id] for task_id in sorted(answers)]
    inputs = [
        ObjectAnswers(
            index=index,
            workers=tuple(worker_index[worker_id] for worker_id, _ in answers[item.task_id]),
            answers=tuple(answer for _, answer in answers[item.task_id]),
            task_input=item.task_input,
        )
        for index, item in enumerate(answered)
    ]
    if not inputs:
        return {}
    gold = {
        index: item.gold_answer
        for index, item in enumerate(answered)
        if item.is_gold and item.gold_answer is not None  # ingestion stores every gold object's answer
    }
    # Each worker's record from earlier jobs of the same task type and label set (issue 23),
    # whatever this job's redundancy: what makes one answer from a proven worker worth more than
    # one from a newcomer, and (their gold there, counted) the errors they tend to make.
    records = worker_batch_records(worker_ids=worker_ids, batch_ids=earlier_similar_jobs(job).values("batch_id"))
    gold_records = worker_gold_records(job=job, worker_ids=worker_ids)
    consolidation = get_task_type(job.task_type).consolidate(
        inputs,
        n_workers=len(worker_ids),
        labels=job.label_categories,
        gold=gold,
        worker_records={worker_index[worker_id]: record for worker_id, record in records.items()},
        worker_gold_records={worker_index[worker_id]: tally for worker_id, tally in gold_records.items()},
    )
    reputation_record_estimates(
        batch=job.posted_batch,
        estimates={worker_ids[index]: estimate for index, estimate in consolidation.worker_accuracy.items()},
    )
    job_gold_tallies_save(
        job=job, tallies={worker_ids[index]: tally for index, tally in consolidation.worker_gold.items()}
    )
    results = {answered[result.index].pk: (result.result, result.confidence) for result in consolidation.objects}
    for item in answered:
        item.answers = len(answers[item.task_id])
    return results


def _steer_redundancy(job: LabelingJob, objects: list[_Object]) -> int:
    """Close confident objects early and give unsure ones another answer; returns how many
    tasks got a slot (and so are open again). Gold objects close like a confident object (their
    truth is known) and never grow, so how long a task stays open tells nothing of gold."""
    if job.target_confidence is None or job.stop_requested or job.stopping_condition_met:
        return 0
    close, grow = [], []
    for item in objects:
        if item.confidence is None:
            continue
        confident = item.is_gold or item.confidence >= job.target_confidence
        if confident and item.answers >= job.min_workers_per_object and item.task_status in ("open", "full"):
            close.append(item.task_id)
        elif (
            not confident
            and item.task_status == Task.Status.COMPLETE
            and item.slots_submitted == item.slots
            and item.slots < job.max_workers_per_object
        ):
            grow.append(item.task_id)
    # Growth beyond the reserved worst case needs a new reserve; without the money only the
    # objects whose headroom is still reserved grow, the others keep the answers they have.
    _, grown_ids = tasks_steer(batch=job.posted_batch, close_ids=close, grow_ids=grow, up_to=job.max_workers_per_object)
    grown = set(grown_ids)
    if len(grown) < len(grow):
        logger.info("labeling job %s: %d of %d unsure objects got another slot", job.pk, len(grown), len(grow))
    closed = set(close)
    for item in objects:
        if item.task_id in grown:
            item.task_status, item.slots = Task.Status.OPEN, item.slots + 1
        elif item.task_id in closed and item.task_status in ("open", "full"):
            item.task_status = Task.Status.COMPLETE
    return len(grown)


def _settle_statuses(job: LabelingJob, objects: list[_Object], *, final: bool) -> None:
    """An object is labeled once it is finished with a result (``labeled_at``, its output's
    ``creation-date``, is then); at the end, one whose task expired without any answer failed,
    and one without answers otherwise stays unlabeled."""
    now = timezone.now()
    for item in objects:
        if item.status != DataObject.Status.PENDING:
            continue
        if item.result is not None and (item.is_finished or final):
            item.status = DataObject.Status.LABELED
            item.labeled_at = now
        elif item.answers == 0 and item.task_status == Task.Status.EXPIRED and (item.is_finished or final):
            item.status = DataObject.Status.FAILED


def _save_objects(objects: list[_Object], before: dict[int, tuple]) -> None:
    """Write the objects that changed. One prepared UPDATE run for many rows (psycopg
    pipelines it): Django's ``bulk_update`` builds a CASE per row and takes seconds per
    thousand rows."""
    result_field = DataObject._meta.get_field("result")
    rows = [
        (
            item.status,
            result_field.get_db_prep_save(item.result, connection),
            item.confidence,
            item.answers,
            item.labeled_at,
            item.pk,
        )
        for item in objects
        if before[item.pk] != (item.status, item.result, item.confidence, item.answers)
    ]
    if not rows:
        return
    table = connection.ops.quote_name(DataObject._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f'UPDATE {table} SET "status" = %s, "result" = %s, "confidence" = %s, "answers" = %s, "labeled_at" = %s '
            'WHERE "id" = %s',
            rows,
        )


def _update_counters(job: LabelingJob, objects: list[_Object]) -> None:
    regular = [item for item in objects if not item.is_gold and not item.is_machine_labeled]  # machines: automation's
    labeled = [item for item in regular if item.status == DataObject.Status.LABELED]
    job.human_labeled = len(labeled)
    job.failed_objects = sum(item.status == DataObject.Status.FAILED for item in regular)
    # Only objects that ended because they had their answers (or closed early on confidence):
    # one cut short by expiry or a stop saved nothing, it merely lost answers.
    job.answers_saved = sum(
        job.workers_per_object - item.answers for item in labeled if item.task_status == Task.Status.COMPLETE
    )


def _check_stopping_conditions(job: LabelingJob) -> None:
    if job.stopping_condition_met or job.stop_requested:
        return
    if job.max_human_labeled_objects is not None and job.human_labeled >= job.max_human_labeled_objects:
        job.stopping_condition_met = "max_human_labeled_objects"
    elif (
        job.max_percentage_labeled is not None
        and job.human_labeled * 100 >= job.max_percentage_labeled * job.objects_total
    ):
        job.stopping_condition_met = "max_percentage_labeled"


def job_advance(*, job_id: int) -> str | None:
    """Consolidate new answers, steer redundancy, apply stopping conditions, and end the job
    once no task can take or hold work. Returns the job's status, or ``None`` when another
    pass holds the job or it is not in progress or stopping.

    Consolidation and the output are computed without any row lock; the results are written in
    one short transaction that locks the job row first (then tasks: the order of
    ``marketplace.locking``, which ``job_stop`` follows too), so a stop is never undone by a
    slot added in the same instant. Claims and submits go on meanwhile: every task update is a
    compare-and-set.
    """
    active = [LabelingJob.Status.IN_PROGRESS, LabelingJob.Status.STOPPING]
    with job_lease(job_id, statuses=active) as held:
        if not held:
            return None
        job = LabelingJob.objects.select_related("batch", "requester").get(pk=job_id)
        if job.is_streaming:
            streaming.job_read_watched_files(job)
            streaming.job_release_pass(job)
        progress = batch_progress(job.posted_batch)
        # Held tasks (not offered yet) keep the job going as open ones do (CONTRACTS.md §2).
        ending = progress.open_tasks == 0 and progress.held_tasks == 0 and progress.live == 0
        if ending and job.is_streaming:
            ending = bool(job.stop_requested or job.stopping_condition_met or streaming.job_is_idle(job))
        if job.stopping_condition_met and (progress.open_tasks or progress.held_tasks):
            batch_stop(batch=job.posted_batch)  # a stop the pass that met the condition did not finish
        if progress.answers == job.answers_consolidated and not ending:
            if job.is_streaming:
                streaming_output.job_parts_pass(job, final=False)  # one a failed write left to do
            automation_pass(job)  # a switch-off or a retry needs no new answers
            job_refresh_output(job)  # one deferred by the refresh interval
            return job.status
        objects = _load_objects(job)
        before = {item.pk: (item.status, item.result, item.confidence, item.answers) for item in objects}
        # A consolidation hook labels each object as it finishes (docs/templates.md), instead.
        left_for_next_pass = False  # the hook's objects a pass left (its deadline, its cap)
        if job.consolidation_hook_url:
            results, left_for_next_pass = hook_consolidate(job, objects)
        else:
            results = _consolidate(job, objects)
        # A streaming job's labeled objects are final: their label went out (streaming_output).
        steerable = [item for item in objects if not (job.is_streaming and item.status != DataObject.Status.PENDING)]
        for item in steerable:
            if item.pk in results:
                item.result, item.confidence = results[item.pk]
        with transaction.atomic():
            job.stop_requested = (
                locked_steering_job(LabelingJob.objects).values_list("stop_requested", flat=True).get(pk=job_id)
            )
            if ending and job.is_streaming:
                ending = streaming.job_input_closes(job)  # holding the job row: no addition slips past
            if _steer_redundancy(job, steerable) or left_for_next_pass:
                ending = False
            _settle_statuses(job, objects, final=ending)
            _save_objects(objects, before)
            if job.is_streaming:
                labeled = DataObject.Status.LABELED
                streaming_output.objects_labeled(
                    job, [item.pk for item in objects if item.status == labeled and before[item.pk][0] != labeled]
                )
            _update_counters(job, objects)
            _check_stopping_conditions(job)
            if not left_for_next_pass:  # else the next pass runs even with no new answer
                job.answers_consolidated = progress.answers
            job.consolidated_at = timezone.now()
            job.save(
                update_fields=[
                    "human_labeled",
                    "failed_objects",
                    "answers_saved",
                    "answers_consolidated",
                    "consolidated_at",
                    "stopping_condition_met",
                    "updated_at",
                ]
            )
        if job.stopping_condition_met:
            # After the commit, in its own transaction: it locks every open task of the batch,
            # which must not come after the ledger accounts steering took. Repeated each pass
            # until nothing is open, so a crash in between delays the stop, never loses it.
            batch_stop(batch=job.posted_batch)
        if automation_pass(job):  # automated labeling's round and audit: it may give humans work
            ending = False
        if job.is_streaming:
            streaming_output.job_parts_pass(job, final=ending)  # every part written before the manifest
        if not ending:
            job_refresh_output(job)
            return job.status
        return _end(job)


def _end(job: LabelingJob) -> str:
    """Write the output, then end the job by compare-and-set: ``stopped`` after a stop
    request, else ``completed``. A location no longer allowed fails the job at once; when the
    storage fails, ``OutputFailed`` propagates: the sweep counts the failed pass and the next
    ones try again, failing the job with the reason after too many in a row."""
    fields: dict = {"ended_at": timezone.now()}
    try:
        fields["output_manifest_uri"] = job_write_output(job)
        stop_requested = LabelingJob.objects.values_list("stop_requested", flat=True).get(pk=job.pk)
        fields["status"] = LabelingJob.Status.STOPPED if stop_requested else LabelingJob.Status.COMPLETED
    except OutputFailed as failure:
        if failure.is_transient:
            raise
        fields.update(status=LabelingJob.Status.FAILED, failure_reason=failure.reason)
    with transaction.atomic():
        ended = LabelingJob.objects.filter(
            pk=job.pk, status__in=[LabelingJob.Status.IN_PROGRESS, LabelingJob.Status.STOPPING]
        ).update(updated_at=fields["ended_at"], **fields)
        if ended:
            job_release_batch(job)
            job_status_changed(job_id=job.pk, requester_id=job.requester_id)
    return fields["status"]


def job_release_batch(job: LabelingJob) -> None:
    """An ended job takes no more answers: stop whatever of its batch is still open and give
    back every reserve but what live and unreviewed work still needs (it is settled as usual)."""
    if job.batch_id:
        batch_finish(batch=job.posted_batch)
