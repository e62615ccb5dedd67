"""Streaming labeling jobs (docs/labeling.md, "Streaming jobs"): objects keep coming while the
job runs, over ``POST /api/v1/labeling-jobs/{id}/objects`` (``job_objects_add``) and as manifest
files dropped under the job's ``input_watch_uri`` (``job_read_watched_files``, from the job's
background pass).

Every added object becomes a ``held`` task, reserved in escrow in the transaction that adds
it; ``object_tasks.release_held`` lets ``max_concurrent_task_count`` of them out with workers
at a time, in object order, right after an addition and on every pass as objects finish. The
job never ends on its own while objects may come: only when stopped, or once it has been idle
(no object added for ``streaming_idle_seconds``) with every object done
(``job_input_closes``, which the pass calls holding the job row, so no addition slips past it).
Labels going out as they become final is ``streaming_output``'s.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import cast

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from marketplace.bulk import bulk_insert
from marketplace.errors import Conflict, DomainError, InvalidInput
from marketplace.locking import locked_steering_job
from marketplace.models import Task
from marketplace.services.batches import batch_tasks_create
from marketplace.services.ledger import InsufficientBalance

from ..models import DataObject, LabelingJob, WatchedInputFile
from ..storage import (
    ManifestLineNotUTF8,
    ManifestLineTooLong,
    StorageLocationHandle,
    access_storage,
    storage_checker,
)
from ..task_types import get_task_type
from .manifest_lines import MAX_LINE_CHARS, IngestFailed, LineChecker, LineProblem, ManifestObject
from .object_tasks import object_task_spec, release_held, tasks_exclude_workers

logger = logging.getLogger(__name__)

MAX_OBJECTS_PER_CALL = 1000
DEFAULT_MAX_CONCURRENT_TASK_COUNT = 1000  # Ground Truth's default for streaming jobs
MAX_CONCURRENT_TASK_COUNT_RANGE = (1, 5000)  # and its bounds
DEFAULT_IDLE_SECONDS = 10 * 86400  # Ground Truth ends a streaming job idle for 10 days
IDLE_SECONDS_RANGE = (60, 365 * 86400)
# A watched file is read whole, in one transaction: a larger one is refused (split it).
MAX_WATCHED_FILE_OBJECTS = 10_000
WATCHED_FILES_LISTED = 10_000  # the listing each pass reads (a prefix holding more: move read files away)
WATCHED_FILES_PER_PASS = 20
IDLE_CONDITION = "streaming_idle"


@dataclass(frozen=True)
class ObjectOutcome:
    """What became of one object given: ``object_index`` is the job's 0-based index of the
    object (Ground Truth's ``datasetObjectId``), its own for a repeat; ``added`` is false for a
    repeat of an earlier ``dataset_object_id``, which added nothing."""

    object_index: int
    dataset_object_id: str | None
    added: bool


@dataclass(frozen=True)
class ObjectsAdded:
    job_id: int
    added: int
    repeated: int
    objects: list[ObjectOutcome]


def job_objects_add(*, job: LabelingJob, objects: Sequence[object]) -> ObjectsAdded:
    """Add objects (manifest lines as JSON objects, at most ``MAX_OBJECTS_PER_CALL``) to a
    streaming job in progress, all or nothing.

    Each is checked as an input manifest line is (``InvalidInput`` naming ``objects.<i>`` or
    ``objects.<i>.<attribute>``, every bad one at once); a ``dataset_object_id`` already in the
    job (or earlier in the call) adds nothing and is reported. The added objects' tasks are
    created ``held`` and their worst case reserved in escrow in the same transaction, or
    ``InsufficientBalance`` (402) and nothing is added; then as many go out as
    ``max_concurrent_task_count`` leaves room for. A job not created streaming is
    ``Conflict(not_streaming)``, one still initializing ``Conflict(job_not_started)``, one
    stopping, idle or ended ``Conflict(job_ended)``.
    """
    if not job.is_streaming:
        raise Conflict("the labeling job was not created with input_mode streaming", code="not_streaming")
    if job.status == LabelingJob.Status.INITIALIZING:
        raise Conflict(
            "the labeling job is still initializing; add objects once it is in_progress", code="job_not_started"
        )
    checker = LineChecker(job, get_task_type(job.task_type), storage_checker(job.requester))
    checked, errors = [], {}
    for index, data in enumerate(objects):
        try:
            checked.append(checker.check_data(data, line_number=0, gold=False))
        except LineProblem as problem:
            field = f"objects.{index}.{problem.key}" if problem.key else f"objects.{index}"
            errors[field] = [problem.message]
    if errors:
        first = next(iter(errors))
        raise InvalidInput(f"{first}: {errors[first][0]}", fields=errors)
    with transaction.atomic():
        return _add(job.pk, checked)


def _add(job_id: int, checked: list[ManifestObject], *, watched_key: str | None = None) -> ObjectsAdded:
    """Add checked objects inside the caller's transaction: the job row first (rank 1), then
    its new tasks and the requester's account (the reserve). ``watched_key`` records the
    watched file they came from in the same transaction."""
    job = locked_steering_job(LabelingJob.objects.filter(pk=job_id)).get()
    if job.status != LabelingJob.Status.IN_PROGRESS or job.stop_requested or job.stopping_condition_met:
        state = "idle" if job.stopping_condition_met == IDLE_CONDITION else job.status
        raise Conflict(f"the labeling job takes no more objects (it is {state})", code="job_ended")
    wanted = [item.dataset_object_id for item in checked if item.dataset_object_id is not None]
    rows = DataObject.objects.filter(job=job, is_gold=False, dataset_object_id__in=wanted)
    known: dict[str, int] = {
        cast(str, key): cast(int, index)  # filtered on the id; a regular object always has its index
        for key, index in rows.values_list("dataset_object_id", "object_index")
    }
    next_index = job.objects_total
    new: list[ManifestObject] = []
    outcomes: list[ObjectOutcome] = []
    for item in checked:
        key = item.dataset_object_id
        if key is not None and key in known:
            outcomes.append(ObjectOutcome(known[key], key, False))
            continue
        if key is not None:
            known[key] = next_index
        outcomes.append(ObjectOutcome(next_index, key, True))
        new.append(item)
        next_index += 1
    if new:
        _create_objects(job, new)
    if watched_key is not None:
        WatchedInputFile.objects.create(
            job=job, key=watched_key, objects_added=len(new), objects_repeated=len(checked) - len(new)
        )
    release_held(job)
    return ObjectsAdded(job_id=job.pk, added=len(new), repeated=len(checked) - len(new), objects=outcomes)


def _create_objects(job: LabelingJob, new: list[ManifestObject]) -> None:
    task_type = get_task_type(job.task_type)
    schema = task_type.answer_schema(job.label_categories)
    # Reserves the worst case, or raises InsufficientBalance and the caller's transaction rolls back.
    tasks = batch_tasks_create(
        batch=job.posted_batch,
        specs=[object_task_spec(job, task_type, schema, item.task_input) for item in new],
        held=True,
    )
    tasks_exclude_workers(tasks, [item.excluded_worker_ids for item in new])
    last_line = DataObject.objects.filter(job=job, is_gold=False).aggregate(last=Max("line_number"))["last"] or 0
    bulk_insert(
        [
            DataObject(
                job=job,
                line_number=last_line + offset,
                source_line=item.line,
                task=task,
                object_index=job.objects_total + offset - 1,
                dataset_object_id=item.dataset_object_id,
            )
            for offset, (item, task) in enumerate(zip(new, tasks, strict=True), start=1)
        ]
    )
    job.objects_total += len(new)
    job.last_object_at = timezone.now()
    job.save(update_fields=["objects_total", "last_object_at", "updated_at"])


def job_read_watched_files(job: LabelingJob) -> int:
    """Read the manifest files that appeared under the job's ``input_watch_uri`` since the last
    pass (at most ``WATCHED_FILES_PER_PASS``, in key order), each once: its objects are added
    and the file recorded in one transaction (``WatchedInputFile``). A file with a bad line, or
    more than ``MAX_WATCHED_FILE_OBJECTS`` objects, is recorded with the reason and adds
    nothing; one the balance cannot cover is left for a later pass. Returns how many objects
    were added. Storage failures are logged; the next pass tries again."""
    if not job.input_watch_uri or job.status != LabelingJob.Status.IN_PROGRESS or job.stop_requested:
        return 0
    try:
        folder = access_storage(job.requester, job.input_watch_uri, field="input_watch_uri")
        keys = folder.list_folder(limit=WATCHED_FILES_LISTED)
    except DomainError as exc:
        logger.warning("labeling job %s: the watched prefix cannot be listed: %s", job.pk, exc.message)
        return 0
    read = set(WatchedInputFile.objects.filter(job=job, key__in=keys).values_list("key", flat=True))
    added = 0
    checker = LineChecker(job, get_task_type(job.task_type), storage_checker(job.requester))
    for key in [key for key in keys if key not in read][:WATCHED_FILES_PER_PASS]:
        added += _read_watched_file(job, folder.child(key), key, checker)
    return added


def _read_watched_file(job: LabelingJob, handle: StorageLocationHandle, key: str, checker: LineChecker) -> int:
    what = f"watched file {key}"
    try:
        checked: list[ManifestObject] = []
        for line_number, line in enumerate(handle.iter_lines(max_line_chars=MAX_LINE_CHARS), start=1):
            if line.strip():
                checked.append(checker.check(line_number, line, gold=False, what=what))
            if len(checked) > MAX_WATCHED_FILE_OBJECTS:
                raise IngestFailed(
                    f"{what}: more than {MAX_WATCHED_FILE_OBJECTS} objects (split it into smaller files)"
                )
    except IngestFailed as failure:
        return _refuse_file(job, key, failure.reason)
    except ManifestLineTooLong as exc:
        return _refuse_file(job, key, f"{what} line {exc.line_number}: longer than {MAX_LINE_CHARS} characters")
    except ManifestLineNotUTF8 as exc:
        return _refuse_file(job, key, f"{what} line {exc.line_number}: not valid UTF-8")
    except DomainError as exc:  # the storage failed: try again on a later pass
        logger.warning("labeling job %s: %s not read: %s", job.pk, what, exc.message)
        return 0
    try:
        with transaction.atomic():
            return _add(job.pk, checked, watched_key=key).added
    except InsufficientBalance as short:
        logger.warning("labeling job %s: %s waits for money: %s", job.pk, what, short.message)
    except (Conflict, IntegrityError):  # the job stopped meanwhile, or another pass read the file
        pass
    return 0


def _refuse_file(job: LabelingJob, key: str, reason: str) -> int:
    logger.warning("labeling job %s: %s", job.pk, reason)
    try:
        with transaction.atomic():
            WatchedInputFile.objects.create(job=job, key=key, error=reason)
    except IntegrityError:
        pass
    return 0


def job_release_pass(job: LabelingJob) -> list[int]:
    """The pass's release: objects that finished leave room for held ones (in a short
    transaction holding the job row)."""
    if job.max_concurrent_task_count is None:
        return []
    with transaction.atomic():
        locked = locked_steering_job(LabelingJob.objects.filter(pk=job.pk)).get()
        if locked.status != LabelingJob.Status.IN_PROGRESS or locked.stop_requested:
            return []
        return release_held(locked)


def job_is_idle(job: LabelingJob) -> bool:
    """No object was added for ``streaming_idle_seconds`` (counted from the job's start when
    none was ever added), as ``job`` was read."""
    since = job.last_object_at or job.created_at
    return timezone.now() - since >= timedelta(seconds=job.streaming_idle_seconds or DEFAULT_IDLE_SECONDS)


def job_input_closes(job: LabelingJob) -> bool:
    """Whether a streaming job with no work out may end now: it was stopped, or it is idle (then
    ``stopping_condition_met`` becomes ``streaming_idle`` and further additions are refused).
    Call holding the job row (``locked_steering_job``), which every addition takes first: an
    object added since the caller looked shows as held or open work here, and keeps it going."""
    if job.stop_requested or job.stopping_condition_met:
        return True
    job.last_object_at = LabelingJob.objects.values_list("last_object_at", flat=True).get(pk=job.pk)
    if not job_is_idle(job):
        return False
    pending = [Task.Status.OPEN, Task.Status.FULL, Task.Status.HELD]
    if Task.objects.filter(batch=job.posted_batch, status__in=pending).exists():
        return False
    job.stopping_condition_met = IDLE_CONDITION
    return True
