"""Batch-level services another app builds on (a labeling job posts and steers one batch).

Everything here is bulk and compare-and-set: a job of 100,000 tasks is posted in a few bulk
inserts, and closing or re-opening tasks repeats the status predicate it selected on, so it
composes with concurrent claims, submits and sweeps.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from ..bulk import bulk_insert
from ..events import emit
from ..locking import lock_tasks
from ..models import Batch, Organization, RequesterDispatchState, Task, Workteam
from ..models.tasks import MAX_SLOTS_PER_TASK
from ..realtime.hints import hint_work_available
from ..task_spec import TaskSpec
from .escrow import batch_reserve, escrow_sync, worst_case_micros
from .ledger import InsufficientBalance, current_fee_terms, escrow_account, fee_for

# What closing, stopping and finishing act on: the tasks that may still take work, held ones too
# (closing a held task releases its whole reserve: it never had an assignment).
CLOSABLE = (Task.Status.OPEN, Task.Status.FULL, Task.Status.HELD)


def batch_open(
    *,
    requester: Organization,
    workteam: Workteam,
    auto_approval_delay_seconds: int,
    is_sealed: bool = False,
    quality_rules: dict | None = None,
    auto_approval_policy: str = Batch.AutoApprovalPolicy.APPROVE_ALL,
    qualification_requirements: list[dict] | None = None,
    vendor_price_micros: int | None = None,
) -> Batch:
    """A new, empty batch. The caller has checked that ``workteam`` is one the requester may
    target (``access_targetable_workteam``) and resolved the ``qualification_requirements``
    (``requirements.requirements_resolve``). A sealed batch takes no tasks from the tasks API:
    the service that opened it (a labeling job) adds them all. On a vendor workteam the batch
    fixes the price: ``vendor_price_micros`` (what the caller already agreed, a labeling job's)
    or else the offering's price now."""
    RequesterDispatchState.objects.get_or_create(requester=requester)
    fee_rate_ppm, fee_minimum_micros = current_fee_terms()
    if workteam.kind != Workteam.Kind.VENDOR:
        vendor_price_micros = None
    elif vendor_price_micros is None:
        vendor_price_micros = workteam.offering.price_micros
    batch = Batch.objects.create(
        requester=requester,
        workteam=workteam,
        auto_approval_delay_seconds=auto_approval_delay_seconds,
        is_sealed=is_sealed,
        quality_rules=quality_rules or {},
        auto_approval_policy=auto_approval_policy,
        fee_rate_ppm=fee_rate_ppm,
        fee_minimum_micros=fee_minimum_micros,
        qualification_requirements=qualification_requirements or [],
        has_requirements=bool(qualification_requirements),
        vendor_price_micros=vendor_price_micros,
    )
    escrow_account(batch)
    return batch


def batch_tasks_create(
    *, batch: Batch, specs: Iterable[TaskSpec], reserve: bool = True, held: bool = False
) -> list[Task]:
    """Insert tasks for validated specs into ``batch`` in order (their ids ascend in that
    order, so they are offered in it) and hint the batch's workteam after commit.

    ``held=True`` creates them ``held``: reserved in escrow like open tasks, but offered to no
    worker (no hint, no expiry) until ``tasks_release`` opens them.

    The specs' ``workteam_id`` and ``auto_approval_delay_seconds`` are ignored: they are the
    batch's. Each task's fee is fixed from the batch's terms, and its worst case (``reserve_slots``
    slots at price plus fee) is reserved in the batch's escrow, or ``InsufficientBalance`` (402)
    is raised. Call inside the transaction that makes the batch visible, for all or nothing.
    ``reserve=False`` leaves the reserve to the caller (``escrow.batch_reserve`` with the sum of
    ``escrow.worst_case_micros``), who must take it before that transaction commits: a caller
    inserting many chunks reserves once, at the end, so the requester's balance row is locked
    only for the last moment of a long transaction.
    """
    now = timezone.now()
    fees: dict[int, int] = {}

    def price(spec: TaskSpec) -> int:
        if spec.reward_micros is None:  # callers resolve a vendor offering's price first
            raise ValueError("a task spec without a price reached batch_tasks_create")
        return spec.reward_micros

    def fee(price_micros: int) -> int:
        if price_micros not in fees:
            fees[price_micros] = fee_for(
                price_micros, rate_ppm=batch.fee_rate_ppm, minimum_micros=batch.fee_minimum_micros
            )
        return fees[price_micros]

    tasks = [
        Task(
            batch=batch,
            requester_id=batch.requester_id,
            workteam_id=batch.workteam_id,
            title=spec.title,
            description=spec.description,
            task_type=spec.task_type,
            input=spec.input,
            answer_schema=spec.answer_schema,
            labels=spec.labels,
            gold_answer=spec.gold_answer,
            instructions=spec.instructions,
            slots=spec.slots,
            reward_micros=price(spec),
            fee_micros=fee(price(spec)),
            reserve_slots=max(spec.slots, spec.reserve_slots or 0),
            escrow_slots=max(spec.slots, spec.reserve_slots or 0),
            assignment_duration_seconds=spec.assignment_duration_seconds,
            lifetime_seconds=spec.lifetime_seconds,
            # A held task's lifetime starts when it is released (``tasks_release`` sets it again).
            expires_at=now + timedelta(seconds=spec.lifetime_seconds),
            priority=spec.priority,
            status=Task.Status.HELD if held else Task.Status.OPEN,
        )
        for spec in specs
    ]
    created = bulk_insert(tasks)
    if reserve:
        batch_reserve(batch=batch, amount_micros=worst_case_micros(created))
    if not held:
        hint_work_available(workteam_ids=[batch.workteam_id], slots=sum(task.slots for task in created))
    return created


def tasks_release(*, batch: Batch, task_ids: Iterable[int]) -> list[int]:
    """Offer held tasks of ``batch`` to workers: ``held`` → ``open``, each task's lifetime
    starting now, and the workteam hinted after commit (as posting does). Ids of tasks that are
    not held (already released, closed, another batch's) are ignored, so a repeat is harmless.
    Returns the ids this call released, ascending. No money moves: a held task's reserve is
    already what an open task needs.

    Locks the held rows (rank 4, id order; a caller steering the batch holds its job first),
    then a compare-and-set on the status: a task closed meanwhile stays closed."""
    ids = sorted(set(task_ids))
    if not ids:
        return []
    now = timezone.now()
    with transaction.atomic():
        held = Q(batch=batch, pk__in=ids, status=Task.Status.HELD)
        released = lock_tasks(Task.objects.filter(held))
        rows = list(Task.objects.filter(pk__in=released).values_list("lifetime_seconds", "slots"))
        # One UPDATE per lifetime (a job's tasks share one): the expiry is plain Python
        # arithmetic, the same on PostgreSQL and SQLite.
        for lifetime in {lifetime for lifetime, _ in rows}:
            Task.objects.filter(held, pk__in=released, lifetime_seconds=lifetime).update(
                status=Task.Status.OPEN, expires_at=now + timedelta(seconds=lifetime)
            )
        if released:
            hint_work_available(workteam_ids=[batch.workteam_id], slots=sum(slots for _, slots in rows))
    return released


def tasks_close_early(*, batch: Batch, task_ids: Iterable[int]) -> int:
    """Close open or full tasks of ``batch`` as complete (enough answers already); live
    assignments on them may still be submitted. Their unfillable slots' reserves, and any
    growth headroom, go back. Returns how many this call closed."""
    closed, _ = tasks_steer(batch=batch, close_ids=task_ids, grow_ids=(), up_to=0)
    return closed


def tasks_add_slot(*, batch: Batch, task_ids: Iterable[int], up_to: int) -> list[int]:
    """Give each listed task of ``batch`` one more slot, if it has fewer than ``up_to``
    (at most 50) and is not expired or stopped; a complete task opens again. Returns the ids
    that got a slot. Slots within a task's reserved worst case need no new money; for the
    others the reserve is taken now, or ``InsufficientBalance`` (402) is raised and no task
    grows."""
    ids = list(task_ids)
    with transaction.atomic():
        _lock_tasks(batch, ids)
        return _grow(batch, ids, up_to)


def tasks_steer(
    *, batch: Batch, close_ids: Iterable[int], grow_ids: Iterable[int], up_to: int
) -> tuple[int, list[int]]:
    """Dynamic redundancy in one step: close ``close_ids`` early as complete (their unfillable
    reserves go back) and give ``grow_ids`` one more slot each, up to ``up_to``. When the
    balance cannot cover every growth beyond the reserved worst case, only the tasks whose
    reserved headroom covers them grow (the others keep the answers they have). Returns how
    many tasks closed and the ids that grew.

    Every task involved is locked first, in id order, before any ledger account: a concurrent
    reject or approval (task, then accounts) can never wait on this in a cycle.
    """
    close, grow = list(close_ids), list(grow_ids)
    with transaction.atomic():
        _lock_tasks(batch, close + grow)
        closable = Q(batch=batch, pk__in=close, status__in=CLOSABLE)
        closing = list(Task.objects.filter(closable).values_list("pk", flat=True))
        closed = Task.objects.filter(closable).update(
            status=Task.Status.COMPLETE, closed_at=timezone.now(), reserve_slots=0
        )
        escrow_sync(task_ids=closing)
        emit.tasks_changed("task.completed", task_ids=closing, requester_ids=[batch.requester_id])
        if not grow:
            return closed, []
        try:
            with transaction.atomic():
                return closed, _grow(batch, grow, up_to)
        except InsufficientBalance:
            covered = list(
                Task.objects.filter(batch=batch, pk__in=grow, reserve_slots__gt=F("slots")).values_list("pk", flat=True)
            )
            return closed, _grow(batch, covered, up_to)  # within reserved headroom: no new money


def _lock_tasks(batch: Batch, task_ids: list[int]) -> None:
    lock_tasks(Task.objects.filter(batch=batch, pk__in=task_ids))


def _grow(batch: Batch, task_ids: list[int], up_to: int) -> list[int]:
    """One more slot for each of these (locked) tasks below ``up_to``; reserves beyond the
    headroom or raises ``InsufficientBalance``."""
    if not task_ids:
        return []
    limit = min(up_to, MAX_SLOTS_PER_TASK)
    eligible = Q(
        batch=batch,
        pk__in=task_ids,
        slots__lt=limit,
        status__in=[Task.Status.OPEN, Task.Status.FULL, Task.Status.COMPLETE],
    )
    grown = list(Task.objects.filter(eligible).order_by("id").values_list("pk", flat=True))
    Task.objects.filter(eligible, pk__in=grown).update(slots=F("slots") + 1, status=Task.Status.OPEN, closed_at=None)
    escrow_sync(task_ids=grown)
    hint_work_available(workteam_ids=[batch.workteam_id], slots=len(grown))
    return grown


def batch_finish(*, batch: Batch) -> int:
    """The service steering ``batch`` is done with it (its labeling job ended): stop whatever
    is still open and release the growth headroom its tasks kept reserved, leaving only what
    live and unsettled submitted work needs. The tasks are locked first (id order), then one
    escrow sync takes the accounts. Safe to repeat; returns the amount released."""
    with transaction.atomic():
        involved = Q(batch=batch) & (Q(status__in=CLOSABLE) | Q(reserve_slots__gt=0))
        ids = lock_tasks(Task.objects.filter(involved))
        Task.objects.filter(pk__in=ids, status__in=CLOSABLE).update(
            status=Task.Status.STOPPED, closed_at=timezone.now()
        )
        Task.objects.filter(pk__in=ids).update(reserve_slots=0)
        return -escrow_sync(task_ids=ids)


def batch_stop(*, batch: Batch) -> int:
    """Stop every open or full task of the batch: no new assignments; live ones may still be
    submitted until their deadlines; reserves for slots that can no longer be filled go back.
    Safe to repeat. Returns how many tasks this call stopped."""
    with transaction.atomic():
        live = Q(batch=batch, status__in=CLOSABLE)
        locked = lock_tasks(Task.objects.filter(live))
        stopped = Task.objects.filter(live, pk__in=locked).update(status=Task.Status.STOPPED, closed_at=timezone.now())
        escrow_sync(task_ids=locked)
    return stopped
