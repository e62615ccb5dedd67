"""Reading a job's manifests and posting its batch: ``initializing`` → ``in_progress``.

The input manifest is streamed twice and never held in memory: the first pass validates every
line (a bad line fails the job naming it, before anything is created), the second creates the
tasks and data objects in chunks, with the gold objects at random places among them so that
nothing about a task's position tells it is gold. The second pass runs in one transaction: the
batch appears whole or not at all. The job's lease (``leases.job_lease``) keeps a second
ingestion of the same job (a repeated message, the reconciler sweep) away while one runs, and
the status compare-and-set makes one that comes after a no-op.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from marketplace.access import access_targetable_workteam
from marketplace.bulk import bulk_insert
from marketplace.errors import DomainError, NotFound
from marketplace.locking import locked_steering_job
from marketplace.models import Batch
from marketplace.money import format_micros
from marketplace.selectors.ledger import requester_balance
from marketplace.services.batches import batch_open, batch_stop, batch_tasks_create, tasks_close_early
from marketplace.services.escrow import batch_reserve, worst_case_micros
from marketplace.services.ledger import InsufficientBalance, current_fee_terms, fee_for

from ..models import DataObject, LabelingJob
from ..storage import ManifestLineNotUTF8, ManifestLineTooLong, access_storage, storage_checker
from ..task_types import TaskType, get_task_type, validate_label_categories
from ..task_types.categories import MAX_CONFIG_BYTES, parse_label_category_file
from .automation import automation_at_ingest, automation_release_sample
from .chaining import chain_input_write, chain_starting_model
from .hooks_objects import PreparedInput, pre_task_inputs
from .job_events import job_status_changed
from .leases import job_lease
from .manifest_lines import MAX_LINE_CHARS, IngestFailed, LineChecker, ManifestObject
from .object_tasks import object_task_spec, release_held, tasks_exclude_workers

MAX_GOLD_OBJECTS = 10_000
MAX_GOLD_CHARS = 50_000_000  # gold is held in memory to be spread through the work
CHUNK = 2000
MANIFESTS = {"input_manifest_uri": "input manifest", "gold_manifest_uri": "gold manifest"}


def _lines(job: LabelingJob, uri: str, field: str) -> Iterator[tuple[int, str]]:
    try:
        handle = access_storage(job.requester, uri, field=field)
        for line_number, line in enumerate(handle.iter_lines(max_line_chars=MAX_LINE_CHARS), start=1):
            if line.strip():
                yield line_number, line
    except ManifestLineTooLong as exc:
        raise IngestFailed(
            f"{MANIFESTS[field]} line {exc.line_number}: longer than {MAX_LINE_CHARS} characters"
        ) from None
    except ManifestLineNotUTF8 as exc:
        raise IngestFailed(f"{MANIFESTS[field]} line {exc.line_number}: not valid UTF-8") from None
    except DomainError as exc:
        # Unreachable storage, and also a registration removed since the job was posted or a
        # URI naming a folder: the job fails with the reason instead of staying initializing.
        raise IngestFailed(exc.message) from None


def _label_categories(job: LabelingJob, task_type: TaskType) -> tuple[list[str], dict[str, str]]:
    """The job's label categories and the ``shortDisplayName`` of those the file names."""
    if not job.label_category_config_uri:
        return job.label_categories, job.label_short_names
    try:
        handle = access_storage(job.requester, job.label_category_config_uri, field="label_category_config_uri")
        raw = handle.read_bytes(max_bytes=MAX_CONFIG_BYTES)
        names, short_names = parse_label_category_file(raw)
        return validate_label_categories(names, task_type), short_names
    except DomainError as exc:  # unreachable, no longer registered, or too large
        raise IngestFailed(exc.message) from None
    except ValueError as exc:
        raise IngestFailed(f"{job.label_category_config_uri}: {exc}") from None


def _read_gold(job: LabelingJob, checker: LineChecker) -> list[ManifestObject]:
    if not job.gold_manifest_uri:
        return []
    gold, size = [], 0
    for line_number, line in _lines(job, job.gold_manifest_uri, "gold_manifest_uri"):
        gold.append(checker.check(line_number, line, gold=True, what="gold manifest"))
        size += len(line)
        if len(gold) > MAX_GOLD_OBJECTS or size > MAX_GOLD_CHARS:
            raise IngestFailed(
                f"the gold manifest is larger than {MAX_GOLD_OBJECTS} objects or {MAX_GOLD_CHARS} characters"
            )
    return gold


def _interleaved(
    objects: Iterator[ManifestObject], gold: list[ManifestObject], total: int, rng: random.Random
) -> Iterator[ManifestObject]:
    """The input objects with the gold ones at random places among them."""
    positions = sorted(rng.randint(0, total) for _ in gold)  # gold i goes after positions[i] objects
    next_gold = 0
    for count, item in enumerate(objects):
        while next_gold < len(gold) and positions[next_gold] <= count:
            yield gold[next_gold]
            next_gold += 1
        yield item
    yield from gold[next_gold:]


def _create_work(
    job: LabelingJob,
    task_type: TaskType,
    checker: LineChecker,
    gold: list[ManifestObject],
    expected: int,
    *,
    held: bool = False,
    prepared: dict[int, PreparedInput] | None = None,
) -> tuple[Batch, int, list[int]]:
    """The job's sealed batch, one task and data object per manifest line; call in a
    transaction. Returns the batch and its worst case, which the caller reserves in escrow
    (once, at the end: the requester's balance row stays unlocked while the manifest is read).
    ``held``: the tasks are created held (automated labeling releases them round by round).
    ``prepared``: the pre-task hook's input per input line number (docs/templates.md); an object
    the hook failed on is created failed, and its task's id returned for the caller to close.
    """
    schema = task_type.answer_schema(job.label_categories)
    batch = batch_open(
        requester=job.requester,
        workteam=job.workteam,
        auto_approval_delay_seconds=job.auto_approval_delay_seconds,
        is_sealed=True,
        quality_rules=job.quality_rules,
        auto_approval_policy=job.auto_approval_policy,
        qualification_requirements=job.qualification_requirements,
        vendor_price_micros=job.reward_micros,
    )
    objects = _input_objects(job, checker)
    created = 0
    reserve_micros = 0
    chunk: list[tuple[ManifestObject, int | None]] = []  # with its 0-based index among the input objects

    failed_tasks: list[int] = []

    def hooked(item: ManifestObject) -> PreparedInput | None:
        return None if prepared is None or item.gold_answer is not None else prepared.get(item.line_number)

    def task_input(item: ManifestObject) -> dict:
        outcome = hooked(item)
        return item.task_input if outcome is None or outcome.task_input is None else outcome.task_input

    def flush() -> None:
        nonlocal reserve_micros
        tasks = batch_tasks_create(
            batch=batch,
            specs=[object_task_spec(job, task_type, schema, task_input(o), o.gold_answer) for o, _ in chunk],
            reserve=False,
            # Streaming: released up to max_concurrent_task_count; automation: round by round.
            held=held or job.is_streaming,
        )
        reserve_micros += worst_case_micros(tasks)
        tasks_exclude_workers(tasks, [o.excluded_worker_ids for o, _ in chunk])
        bulk_insert(
            [
                DataObject(
                    job=job,
                    line_number=o.line_number,
                    is_gold=o.gold_answer is not None,
                    source_line=o.line,
                    gold_answer=o.gold_answer,
                    task=task,
                    object_index=index,
                    dataset_object_id=o.dataset_object_id if o.gold_answer is None else None,
                    **_failed_by_hook(hooked(o)),
                )
                for (o, index), task in zip(chunk, tasks, strict=True)
            ]
        )
        failed_tasks.extend(task.pk for (o, _), task in zip(chunk, tasks, strict=True) if _failed_by_hook(hooked(o)))
        chunk.clear()

    # Seeded by the server's secret and the job's name: a re-run after a crash places the gold
    # where the first run did, and nobody without the secret can tell where that is.
    for item in _interleaved(objects, gold, expected, random.Random(f"{settings.SECRET_KEY}:{job.name}")):
        chunk.append((item, None if item.gold_answer is not None else created))
        created += item.gold_answer is None
        if len(chunk) >= CHUNK:
            flush()
    if chunk:
        flush()
    if created != expected:
        raise IngestFailed(f"the input manifest changed while it was read ({expected} objects, then {created})")
    return batch, reserve_micros, failed_tasks


def _failed_by_hook(outcome: PreparedInput | None) -> dict:
    """A ``DataObject``'s fields when the pre-task hook failed on it (none otherwise)."""
    if outcome is None or outcome.task_input is not None:
        return {}
    return {"status": DataObject.Status.FAILED, "failure_reason": outcome.failure_reason}


def _input_objects(job: LabelingJob, checker: LineChecker) -> Iterator[ManifestObject]:
    """The input manifest's objects, checked; none for a streaming job started without one. A
    streaming object repeating an earlier line's ``dataset_object_id`` is left out, as a
    repeat given over the API would be."""
    if not job.input_manifest_uri:
        return
    seen: set[str] = set()
    for n, line in _lines(job, job.input_manifest_uri, "input_manifest_uri"):
        item = checker.check(n, line, gold=False, what="input manifest")
        if item.dataset_object_id is not None:
            if item.dataset_object_id in seen:
                continue
            seen.add(item.dataset_object_id)
        yield item


def _check_still_targetable(job: LabelingJob) -> None:
    """The job's workteam was checked when the job was created; a vendor subscription may have
    ended (or the offering been withdrawn, or the team deactivated) since."""
    try:
        access_targetable_workteam(job.requester, job.workteam_id)
    except NotFound:
        raise IngestFailed(
            "workteam_not_targetable: the job's workteam can no longer be given work (a vendor subscription "
            "ended, an offering was withdrawn or the team was deactivated before the job started)"
        ) from None


def _check_balance(job: LabelingJob, *, objects: int) -> None:
    """Fail early, before writing anything, when the requester's available balance cannot
    cover the job's worst case (every object, gold included, at the most workers dynamic
    redundancy may ask for, at price plus fee). The reserve itself is taken, atomically, as
    the tasks are inserted."""
    fee_rate_ppm, fee_minimum_micros = current_fee_terms()
    slot_cost = job.reward_micros + fee_for(job.reward_micros, rate_ppm=fee_rate_ppm, minimum_micros=fee_minimum_micros)
    worst_case = objects * job.max_workers_per_object * slot_cost
    available = requester_balance(job.requester).available_micros
    if worst_case > available:
        raise IngestFailed(
            f"insufficient_balance: the job's worst case is {format_micros(worst_case)} ({objects} objects × "
            f"{job.max_workers_per_object} workers × {format_micros(slot_cost)} with the fee); "
            f"the available balance is {format_micros(available)}"
        )


def job_ingest(*, job_id: int) -> str | None:
    """Read and validate the job's manifests and post its batch; returns the job's status
    afterwards, or ``None`` when another pass holds the job or it is not initializing.

    A bad line, an unreadable manifest or bad label categories end the job ``failed`` with a
    reason naming the problem, having created nothing. The first pass runs outside any
    transaction; the second creates everything in one, then flips the status by
    compare-and-set (to ``stopping`` if a stop came meanwhile).
    """
    with job_lease(job_id, statuses=[LabelingJob.Status.INITIALIZING]) as held:
        if not held:
            return None
        job = LabelingJob.objects.select_related("requester", "workteam").get(pk=job_id)
        task_type = get_task_type(job.task_type)
        try:
            if job.chained_from_id is not None:  # its input manifest is written from the chained job's output
                chain_input_write(job)
                chain_starting_model(job)
            job.label_categories, job.label_short_names = _label_categories(job, task_type)
            checker = LineChecker(job, task_type, storage_checker(job.requester))
            gold = _read_gold(job, checker)
            total = sum(1 for _ in _input_objects(job, checker))
            if total == 0 and not job.is_streaming:  # a streaming job may start empty
                raise IngestFailed("the input manifest holds no data objects")
            _check_still_targetable(job)
            _check_balance(job, objects=total + len(gold))
            # The pre-task hook, off any transaction: a third read of the manifest (docs/templates.md).
            prepared = (
                pre_task_inputs(job, _input_objects(job, checker), checker.covers) if job.pre_task_hook_url else None
            )
            with transaction.atomic():
                held = automation_at_ingest(job, objects_total=total)
                batch, reserve_micros, failed_tasks = _create_work(
                    job, task_type, checker, gold, total, held=held, prepared=prepared
                )
                if held:  # automated labeling: humans start on a random sample (docs/automation.md)
                    automation_release_sample(job, batch)
                # The job row before the requester's account (``marketplace.locking``: a steering
                # job first); the batch's new rows are this transaction's own, invisible to others.
                stop_requested = (
                    locked_steering_job(LabelingJob.objects).values_list("stop_requested", flat=True).get(pk=job_id)
                )
                try:
                    batch_reserve(batch=batch, amount_micros=reserve_micros)
                except InsufficientBalance as short:  # the balance fell since the check above
                    raise IngestFailed(f"insufficient_balance: {short.message}") from None
                if failed_tasks:  # objects the pre-task hook failed on: never offered, reserve back
                    tasks_close_early(batch=batch, task_ids=failed_tasks)
                status = LabelingJob.Status.STOPPING if stop_requested else LabelingJob.Status.IN_PROGRESS
                if stop_requested:
                    batch_stop(batch=batch)
                now = timezone.now()
                flipped = LabelingJob.objects.filter(pk=job_id, status=LabelingJob.Status.INITIALIZING).update(
                    status=status,
                    batch=batch,
                    objects_total=total,
                    label_categories=job.label_categories,
                    label_short_names=job.label_short_names,
                    last_object_at=now if job.is_streaming else None,
                    updated_at=now,
                )
                if not flipped:
                    # Another pass got there first (this one outlived its lease): take nothing back.
                    transaction.set_rollback(True)
                    return None
                if job.is_streaming and not stop_requested:
                    job.batch = batch
                    release_held(job)  # the first objects go out at once, up to the limit
                job_status_changed(job_id=job_id, requester_id=job.requester_id)
            return status
        except IngestFailed as failure:
            now = timezone.now()
            with transaction.atomic():
                failed = LabelingJob.objects.filter(pk=job_id, status=LabelingJob.Status.INITIALIZING).update(
                    status=LabelingJob.Status.FAILED, failure_reason=failure.reason, ended_at=now, updated_at=now
                )
                if failed:
                    job_status_changed(job_id=job_id, requester_id=job.requester_id)
            return LabelingJob.Status.FAILED
