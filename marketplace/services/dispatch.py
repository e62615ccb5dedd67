"""Dispatch: the one eligibility rule and the one claim service (REST and websockets alike).

Concurrency design (PostgreSQL):
- a worker's own claims are serialized by a ``FOR NO KEY UPDATE`` on its row, so the
  live-assignment cap is a plain count under that lock (no check-then-act across workers); a
  claim for several workers locks their rows in id order, so claims never deadlock on them;
- candidate tasks are taken with ``FOR NO KEY UPDATE SKIP LOCKED`` through the partial index
  ``task_open_queue`` (requester, priority desc, id) where status is open: claimers never wait
  on each other's task rows, they take the next one;
- rule 1 is the unique constraint (task, worker); rule 2 the check constraint
  ``slots_used <= slots``, raised only by the guarded counter UPDATE.
On SQLite, transactions are IMMEDIATE, so claims serialize and stay correct.

Locks are taken through ``marketplace.locking``, in its one order (docs/concurrency.md).
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Exists, F, OuterRef, QuerySet, Subquery
from django.utils import timezone

from ..errors import Conflict
from ..locking import claim_candidates, lock_workers, unlocked_dispatch_states
from ..models import (
    Assignment,
    RequesterDispatchState,
    Task,
    TaskWorkerExclusion,
    Worker,
    WorkerBatchQuality,
    WorkerBlock,
    Workteam,
    WorkteamMembership,
)
from ..selectors.eligibility import Eligibility
from ..task_status import status_after_claim
from .blocks import requesters_blocking
from .claim_statements import claim_statements, claimants_state
from .expiry import assignments_expire
from .quality import batches_excluding
from .requirements import batches_failing_requirements, restricted_batches
from .vendor_capacity import VendorPlaces

CANDIDATE_REQUESTERS_PER_CLAIM = 50

logger = logging.getLogger(__name__)


def eligible_workteam_ids(worker: Worker) -> list[int]:
    """The active workteams whose work this worker may take."""
    return workteam_ids_of([worker.pk])[worker.pk]


def workteam_ids_of(worker_ids: Sequence[int]) -> dict[int, list[int]]:
    """The active workteams whose work each of these workers may take (one query)."""
    return _memberships_of(worker_ids)[0]


def _memberships_of(worker_ids: Sequence[int]) -> tuple[dict[int, list[int]], set[int]]:
    """``workteam_ids_of``, and which of those workteams are vendor teams (the same query)."""
    teams: dict[int, list[int]] = {worker_id: [] for worker_id in worker_ids}
    vendor_teams: set[int] = set()
    rows = WorkteamMembership.objects.filter(worker_id__in=worker_ids, workteam__is_active=True)
    for worker_id, workteam_id, kind in rows.order_by("workteam_id").values_list(
        "worker_id", "workteam_id", "workteam__kind"
    ):
        teams[worker_id].append(workteam_id)
        if kind == Workteam.Kind.VENDOR:
            vendor_teams.add(workteam_id)
    return teams, vendor_teams


def eligibilities(
    *, workers: Sequence[Worker], workteam_ids: dict[int, list[int]], now: datetime
) -> dict[int, Eligibility]:
    """Each worker's ``Eligibility`` (``workteam_ids``: from ``workteam_ids_of``). One query asks
    whether any block, quality stop or restricted batch concerns these workers at all (each
    through a small partial index); only the workers concerned are then read one by one."""
    every_workteam = sorted({w for ids in workteam_ids.values() for w in ids})
    probes = (
        Worker.objects.filter(pk__in=[worker.pk for worker in workers])
        .annotate(
            is_blocked=Exists(WorkerBlock.objects.filter(worker=OuterRef("pk"))),
            is_stopped=Exists(WorkerBatchQuality.objects.filter(worker=OuterRef("pk"), excluded_at__isnull=False)),
            meets_restricted_work=Exists(restricted_batches(workteam_ids=every_workteam, now=now)),
        )
        .values_list("pk", "is_blocked", "is_stopped", "meets_restricted_work")
    )
    flags = {pk: rest for pk, *rest in probes}
    return {worker.pk: _eligibility(worker, workteam_ids[worker.pk], *flags[worker.pk], now=now) for worker in workers}


def _eligibility(
    worker: Worker,
    teams: Sequence[int],
    is_blocked: bool,
    is_stopped: bool,
    meets_restricted_work: bool,
    *,
    now: datetime,
) -> Eligibility:
    """The worker's ``Eligibility`` from its probes: the blocks, quality stops and requirements
    are read only when a probe says they concern it."""
    excluded: set[int] = set()
    if is_stopped:
        excluded.update(batches_excluding(worker))  # quality rules (services.quality)
    if meets_restricted_work:
        excluded.update(batches_failing_requirements(worker=worker, workteam_ids=list(teams), now=now))
    return Eligibility(
        workteam_ids=tuple(sorted(teams)),
        blocking_requester_ids=tuple(sorted(requesters_blocking(worker))) if is_blocked else (),
        excluded_batch_ids=tuple(sorted(excluded)),
    )


def worker_eligibility(worker: Worker, *, now: datetime) -> Eligibility:
    """One worker's ``Eligibility`` now, over every active workteam it is a member of (what the
    worker's list of available work is read with)."""
    return eligibilities(workers=[worker], workteam_ids=workteam_ids_of([worker.pk]), now=now)[worker.pk]


def eligible_tasks(*, worker: Worker, workteam_ids: list[int], now: datetime) -> QuerySet[Task]:
    """The one eligibility rule: open, unexpired tasks of the worker's workteams that it has
    never held and that do not exclude it (``TaskWorkerExclusion``), of requesters not blocking
    it, in batches whose qualification requirements it meets and whose quality rules have not
    stopped it (``Eligibility``, read by ``eligibilities``; the claim for several workers
    applies the same rule, with "never held" and the exclusions checked per worker on the
    candidates). A vendor team's capacity is the claim's own check
    (``services.vendor_capacity``), made on the task it is about to hand out."""
    eligibility = eligibilities(workers=[worker], workteam_ids={worker.pk: workteam_ids}, now=now)[worker.pk]
    return eligibility.open_tasks_for(worker, now)


def _requesters_in_fair_order(eligible: QuerySet[Task]) -> list[int]:
    """Requesters with work this worker may take, the least recently served first.

    The test is a scalar subquery taking the first eligible task, not an ``EXISTS``: PostgreSQL
    evaluates it per requester through ``task_open_queue`` and stops at the first row, where an
    ``EXISTS`` would be flattened into a join over every open task.
    """
    first_open_task = eligible.filter(requester=OuterRef("requester")).values("pk")[:1]
    return list(
        RequesterDispatchState.objects.annotate(first_open_task=Subquery(first_open_task))
        .filter(first_open_task__isnull=False)
        .order_by(F("last_served_at").asc(nulls_first=True), "requester_id")
        .values_list("requester_id", flat=True)[:CANDIDATE_REQUESTERS_PER_CLAIM]
    )


def next_task_queryset(eligible: QuerySet[Task], requester_id: int) -> QuerySet[Task]:
    """The claim's candidate query for one requester: best first, locked rows skipped.

    Its plan (an ordered scan of the partial index ``task_open_queue`` with the held-before
    check on the unique index) is pinned by a test on PostgreSQL.
    """
    return claim_candidates(eligible.filter(requester_id=requester_id).order_by("-priority", "id"))


def _mark_requesters_served(requester_ids: Sequence[int], now: datetime) -> None:
    # Skip-locked: when another claim holds the row it is stamping "now" too, so waiting would
    # only serialize every claim of one requester on this row.
    unlocked = unlocked_dispatch_states(requester_ids)
    RequesterDispatchState.objects.filter(pk__in=unlocked.values("pk")).update(last_served_at=now)


class _ClaimRound:
    """One pass of the claim for workers of equal ``Eligibility``, in their order, as if each
    claimed after the one before: each takes the best task it may from the requester served
    least recently that has one, and that requester then goes last.

    Candidates are read per requester when first needed (locked, skip-locked, as many as there
    are workers); "never held" is checked per worker on them. A worker that finds nothing here
    is ``unresolved`` unless the round saw every open task it might take (every requester with
    any, and all their unlocked candidates): the caller then claims again for it alone, where
    the query itself leaves out what it held. A worker refused a task because its vendor team
    is full is unresolved too: the next round leaves the teams found full out of its search.
    """

    def __init__(
        self, workers: Sequence[Worker], eligibility: Eligibility, places: VendorPlaces, now: datetime
    ) -> None:
        self.workers = workers
        self.places = places
        self.refused_for_capacity = False
        full = places.found_full()
        if full.intersection(eligibility.workteam_ids):
            eligibility = replace(eligibility, workteam_ids=tuple(t for t in eligibility.workteam_ids if t not in full))
        is_alone = len(workers) == 1
        # Alone, the held-before check is in the query (the plan pinned by a test); together,
        # the query is the workers' common part and each is checked below.
        self.eligible = eligibility.open_tasks_for(workers[0], now) if is_alone else eligibility.open_tasks(now)
        self.requesters = _requesters_in_fair_order(self.eligible)
        self.is_every_requester = len(self.requesters) < CANDIDATE_REQUESTERS_PER_CLAIM
        self.candidates: dict[int, list[Task]] = {}
        self.has_every_candidate: dict[int, bool] = {}
        self.held: set[tuple[int, int]] = set()
        self.taken: Counter[int] = Counter()  # task id → slots taken in this round

    def _candidates(self, requester_id: int) -> list[Task]:
        if requester_id not in self.candidates:
            limit = len(self.workers)
            tasks = list(next_task_queryset(self.eligible, requester_id)[:limit])
            self.candidates[requester_id] = tasks
            self.has_every_candidate[requester_id] = len(tasks) < limit
            if len(self.workers) > 1 and tasks:
                for barred in (Assignment, TaskWorkerExclusion):  # held before, or excluded
                    self.held.update(
                        barred.objects.filter(
                            task_id__in=[task.pk for task in tasks],
                            worker_id__in=[worker.pk for worker in self.workers],
                        ).values_list("task_id", "worker_id")
                    )
        return self.candidates[requester_id]

    def _offers(self, task: Task, worker: Worker) -> bool:
        """Whether this candidate may go to this worker: a slot still free after this round's
        claims, never held by the worker, and a place on its team if a vendor's."""
        if task.slots - task.slots_used - self.taken[task.pk] <= 0 or (task.pk, worker.pk) in self.held:
            return False
        if not self.places.has_place(task.workteam_id):
            self.refused_for_capacity = True
            return False
        return True

    def run(self) -> tuple[dict[int, Task], list[Worker]]:
        """Returns the task chosen for each worker that got one, and the unresolved workers."""
        chosen: dict[int, Task] = {}
        unresolved: list[Worker] = []
        for worker in self.workers:
            task, is_decided = self._take(worker)
            if task is not None:
                chosen[worker.pk] = task
            elif not is_decided:
                unresolved.append(worker)
        return chosen, unresolved

    def _take(self, worker: Worker) -> tuple[Task | None, bool]:
        """The task for ``worker`` and whether this round could decide (always, alone)."""
        is_alone = len(self.workers) == 1
        for position, requester_id in enumerate(self.requesters):
            task = next((t for t in self._candidates(requester_id) if self._offers(t, worker)), None)
            if task is not None:
                self.taken[task.pk] += 1
                self.places.take(task.workteam_id)
                self.requesters.append(self.requesters.pop(position))  # served: it goes last
                return task, True
            if not is_alone and not self.has_every_candidate[requester_id]:
                return None, False  # this requester may have more for it, past the candidates
        if self.refused_for_capacity:
            return None, False
        return None, is_alone or self.is_every_requester


def _create_assignments(chosen: dict[int, Task], workers: dict[int, Worker], now: datetime) -> list[Assignment]:
    """Insert the chosen assignments, count their slots on their tasks (one UPDATE per number of
    slots taken from a task) and stamp their requesters as served."""
    created = Assignment.objects.bulk_create(
        Assignment(
            task=task,
            worker=workers[worker_id],
            status=Assignment.Status.ACCEPTED,
            accepted_at=now,
            deadline=now + timedelta(seconds=task.assignment_duration_seconds),
        )
        for worker_id, task in sorted(chosen.items())
    )
    by_slots: defaultdict[int, list[int]] = defaultdict(list)
    for task_id, slots in Counter(task.pk for task in chosen.values()).items():
        by_slots[slots].append(task_id)
    for slots, task_ids in sorted(by_slots.items()):
        Task.objects.filter(pk__in=sorted(task_ids)).update(
            slots_used=F("slots_used") + slots, status=status_after_claim(slots)
        )
    _mark_requesters_served(sorted({task.requester_id for task in chosen.values()}), now)
    return created


def assignments_claim(*, workers: Sequence[Worker]) -> dict[int, Assignment | None | Exception]:
    """Claim one assignment for each of these distinct workers, in one transaction: by worker
    id, the assignment, ``None`` if nothing is open for it, or ``Conflict(too_many_live_assignments)``
    at the live-assignment cap. The same rule as one worker claiming after another, in order.

    Members are isolated: when the shared transaction fails (the database refusing one
    worker's row fails every statement it shares), nothing of it is kept and each worker claims
    again on its own, so only the one at fault gets the error (any exception but the
    ``Conflict`` is a bug, reported to that worker alone).

    Best means: the requester served least recently, then within it the highest priority, then
    the oldest task. The workers' own overdue assignments are expired first, each in its own
    transaction (they no longer count as live). Locks: the workers' rows (in id order), then
    the candidate tasks (skip-locked), then a vendor team's offering (``VendorPlaces``), then the
    requesters' dispatch states (skip-locked).

    On PostgreSQL the claims are made in turn (``_claim_in_turn``: a statement for the workers,
    then one per worker); the workers it leaves, those with overdue assignments to expire first
    or with a vendor team (whose capacity is checked under its offering's lock), and every
    claim on SQLite, take the long way (``_claim_the_long_way``).
    """
    by_id = {worker.pk: worker for worker in workers}
    if len(by_id) != len(workers):
        raise ValueError("a worker may claim only once per call")
    if connection.vendor != "postgresql":
        return _claim_the_long_way(workers)
    results, left = _isolated(_claim_in_turn, workers)
    if left:
        results.update(_claim_the_long_way(left))
    return results


Claimed = tuple[dict[int, Assignment | None | Exception], list[Worker]]  # by worker id, and the workers left


def _isolated(claim: Callable[[Sequence[Worker]], Claimed], workers: Sequence[Worker]) -> Claimed:
    """``claim(workers)``; when it fails as a whole (rolled back: nothing of it was kept), each
    worker claims again alone, and only one whose own claim fails gets its error."""
    try:
        return claim(workers)
    except Exception as error:
        if len(workers) == 1:
            raise
        logger.warning(
            "a batched claim for %d workers failed (%s: %s); each claims alone",
            len(workers),
            type(error).__name__,
            str(error).partition("\n")[0],
        )
    results: dict[int, Assignment | None | Exception] = {}
    left: list[Worker] = []
    for worker in workers:
        try:
            alone, alone_left = claim([worker])
        except Exception as error:
            logger.exception("a claim for worker %s failed", worker.pk)
            alone, alone_left = {worker.pk: error}, []
        results.update(alone)
        left.extend(alone_left)
    return results, left


def _claim_in_turn(workers: Sequence[Worker]) -> Claimed:
    """The claim for each worker in turn, in one transaction, on PostgreSQL: the workers' rows
    locked and their states read (``claimants_state``), then one statement per worker
    (``claim_statements``, sent together), each seeing the claims before it. Returns the results and the
    workers it leaves to the long way: those with overdue assignments to expire first (in
    their own transactions) or with a vendor team."""
    cap = settings.GROUNDWORK["MAX_LIVE_ASSIGNMENTS_PER_WORKER"]
    results: dict[int, Assignment | None | Exception] = {}
    left: list[Worker] = []
    with transaction.atomic():
        states = claimants_state([worker.pk for worker in workers], timezone.now())
        now = timezone.now()  # after the workers' locks, as the claim together takes it
        claims: list[tuple[int, Eligibility]] = []
        for worker in workers:
            state = states[worker.pk]
            if state.has_overdue or state.vendor_workteam_ids:
                left.append(worker)
            elif state.live >= cap:
                results[worker.pk] = _at_cap(cap)
            elif not state.workteam_ids:
                results[worker.pk] = None
            else:
                flags = (state.is_blocked, state.is_stopped, state.meets_restricted_work)
                claims.append((worker.pk, _eligibility(worker, state.workteam_ids, *flags, now=now)))
        if claims:
            claimed = claim_statements(claims=claims, now=now, commit=True)
            results.update(zip((worker_id for worker_id, _ in claims), claimed, strict=True))
    return results, left


def _claim_the_long_way(workers: Sequence[Worker]) -> dict[int, Assignment | None | Exception]:
    """The claim of ``assignments_claim`` in claim rounds (``_claim_together``), after expiring
    the workers' overdue assignments."""
    accepted = Assignment.objects.filter(
        worker_id__in=sorted(worker.pk for worker in workers), status=Assignment.Status.ACCEPTED
    )
    overdue = list(accepted.filter(deadline__lte=timezone.now()).values_list("pk", flat=True))
    if overdue:
        # In their own short transactions, before the claim's: expiring inside it would hold a
        # task lock while waiting for another assignment's, against the fixed lock order.
        assignments_expire(assignment_ids=overdue, now=timezone.now())
    return _isolated(lambda alike: (_claim_together(alike), []), workers)[0]


def _at_cap(cap: int) -> Conflict:
    return Conflict(
        f"you already hold {cap} live assignments; submit or return one first", code="too_many_live_assignments"
    )


def _claim_together(workers: Sequence[Worker]) -> dict[int, Assignment | None | Exception]:
    by_id = {worker.pk: worker for worker in workers}
    cap = settings.GROUNDWORK["MAX_LIVE_ASSIGNMENTS_PER_WORKER"]
    accepted = Assignment.objects.filter(worker_id__in=sorted(by_id), status=Assignment.Status.ACCEPTED)
    results: dict[int, Assignment | None | Exception] = {}
    with transaction.atomic():
        lock_workers(by_id)
        now = timezone.now()
        # Overdue ones not expired yet (a race with the line above) no longer count as live.
        live = dict(
            accepted.filter(deadline__gt=now)
            .values("worker_id")
            .annotate(live=Count("pk"))
            .values_list("worker_id", "live")
        )
        claimants = []
        for worker in workers:
            if live.get(worker.pk, 0) >= cap:
                results[worker.pk] = _at_cap(cap)
            else:
                claimants.append(worker)
        workteam_ids, vendor_teams = _memberships_of([worker.pk for worker in claimants])
        places = VendorPlaces.among(vendor_teams, now)
        full = places.full_at_a_glance()  # left out before the search; the rest checked under lock
        if full:
            workteam_ids = {worker_id: [t for t in ids if t not in full] for worker_id, ids in workteam_ids.items()}
        with_teams = [worker for worker in claimants if workteam_ids[worker.pk]]
        results.update({worker.pk: None for worker in claimants if not workteam_ids[worker.pk]})
        rules = eligibilities(workers=with_teams, workteam_ids=workteam_ids, now=now) if with_teams else {}
        alike: defaultdict[Eligibility, list[Worker]] = defaultdict(list)
        for worker in with_teams:
            alike[rules[worker.pk]].append(worker)
        rounds = list(alike.items())
        while rounds:  # each round sees the slots the ones before it took
            eligibility, group = rounds.pop(0)
            chosen, unresolved = _ClaimRound(group, eligibility, places, now).run()
            created = _create_assignments(chosen, by_id, now) if chosen else []
            for assignment in created:
                results[assignment.worker_id] = assignment
            undecided = {worker.pk for worker in unresolved}
            for worker in group:
                if worker.pk in undecided:  # alone, the worker's own query decides
                    rounds.append((eligibility, [worker]))
                else:
                    results.setdefault(worker.pk, None)
    return results


def assignment_claim(*, worker: Worker) -> Assignment | None:
    """Give ``worker`` an assignment on the best task it may take, or ``None`` if none is open
    (``assignments_claim`` for one worker). Raises ``Conflict(too_many_live_assignments)`` at
    the live-assignment cap."""
    result = assignments_claim(workers=[worker])[worker.pk]
    if isinstance(result, Exception):
        raise result
    return result
