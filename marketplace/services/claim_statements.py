"""The claim on PostgreSQL: two statements for the claiming workers, then one per worker
(``dispatch.assignments_claim``; docs/concurrency.md, "The claim and the submit in few statements").

1. ``claimants_state`` locks the claiming workers' rows (rank 2, in id order, as
   ``lock_workers``) and then reads, in a second statement, what the claim needs to know of each:
   its live and overdue assignments, its active workteams (and which are vendor teams), and
   whether any block, quality stop or batch with requirements concerns it (the probes of
   ``dispatch.eligibilities``).
2. ``claim_statements`` takes, for each worker in turn, the task and records the claim in one
   statement (the workers' statements sent together): requesters in
   fair order (least recently served first), for each the best task the worker may take
   (``Eligibility.open_tasks_for``, skip-locked, through ``task_open_queue``) until one is
   found; then the task's counters (``slots_used``, open → full, as ``status_after_claim``),
   the assignment's INSERT and the requester's dispatch state (skip-locked) in the same
   statement. Each sub-statement reads the rows of the one before it, so the locks are taken in
   the order of ``marketplace.locking``: the task (rank 4), then the dispatch state (rank 6).

The statements are querysets compiled once per shape (``marketplace.sql_templates``): the
eligibility rule stays the one queryset, and the claim costs no query compilation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import BooleanField, Count, Exists, IntegerField, Subquery, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce

from ..locking import claim_candidates, locked_workers
from ..models import Assignment, Task, Worker, WorkerBatchQuality, WorkerBlock, Workteam, WorkteamMembership
from ..selectors.eligibility import Eligibility
from ..sql_templates import (
    PLACEHOLDER_TIME,
    SqlTemplate,
    TemplateCache,
    from_db_row,
    placeholder,
    placeholders,
    run_together,
)
from .requirements import restricted_batches

_WORKER, _REQUESTER, _WORKERS = placeholder(0), placeholder(1), placeholder(2)
_templates = TemplateCache()


@dataclass(frozen=True)
class ClaimantState:
    """What the claim knows of its worker once its row is locked."""

    live: int
    has_overdue: bool
    workteam_ids: list[int]
    vendor_workteam_ids: list[int]
    is_blocked: bool
    is_stopped: bool
    meets_restricted_work: bool


def _among_workers() -> RawSQL:
    return RawSQL('"marketplace_worker"."id" = ANY(%s::bigint[])', (_WORKERS,), output_field=BooleanField())


def _lock_template() -> SqlTemplate:
    return SqlTemplate.of(locked_workers(Worker.objects.filter(_among_workers())).values_list("pk"))


def _claimants_template() -> SqlTemplate:
    # Written for one worker (``_WORKER``), whose every mention in the subqueries then becomes
    # the outer row's id: one statement for any number of workers.
    worker, now = _WORKER, PLACEHOLDER_TIME
    accepted = Assignment.objects.filter(worker=worker, status=Assignment.Status.ACCEPTED)
    live = accepted.filter(deadline__gt=now).order_by().values("worker").annotate(n=Count("pk")).values("n")
    teams = WorkteamMembership.objects.filter(worker=worker, workteam__is_active=True).order_by("workteam_id")
    queryset = Worker.objects.filter(_among_workers()).values_list(
        "pk",
        Coalesce(Subquery(live), Value(0), output_field=IntegerField()),
        Exists(accepted.filter(deadline__lte=now)),
        ArraySubquery(teams.values("workteam_id")),
        ArraySubquery(teams.filter(workteam__kind=Workteam.Kind.VENDOR).values("workteam_id")),
        Exists(WorkerBlock.objects.filter(worker=worker)),
        Exists(WorkerBatchQuality.objects.filter(worker=worker, excluded_at__isnull=False)),
        Exists(restricted_batches(workteam_ids=teams.values("workteam_id"), now=now)),  # type: ignore[arg-type]
    )
    return SqlTemplate.of(queryset, as_sql={_WORKER: '"marketplace_worker"."id"'})


def claimants_state(worker_ids: Sequence[int], now: datetime) -> dict[int, ClaimantState]:
    """Lock these workers' rows (in id order), then read each one's ``ClaimantState``.

    Two statements (sent together): a statement reads the database as it was when it began, so
    state read in the statement that takes the locks would miss what the transaction it waited
    for (another claim of the same worker) committed."""
    values = {_WORKERS: list(worker_ids), PLACEHOLDER_TIME: now}
    _, rows = run_together(
        [(_templates.get("lock", _lock_template), values), (_templates.get("claimants", _claimants_template), values)]
    )
    return {worker_id: ClaimantState(*state) for worker_id, *state in rows}


_ASSIGNMENT_SET_BY_CLAIM = ("id", "task", "worker", "status", "accepted_at", "deadline")
_DEFAULTS = 1000  # placeholders of the other columns' defaults, evaluated at each claim


def _claim_template(shape: tuple[int, int, int]) -> SqlTemplate:
    teams, blocking, excluded = shape
    eligibility = Eligibility(
        workteam_ids=tuple(placeholders(10, teams)),
        blocking_requester_ids=tuple(placeholders(10 + teams, blocking)),
        excluded_batch_ids=tuple(placeholders(10 + teams + blocking, excluded)),
    )
    best = claim_candidates(
        eligibility.open_tasks_for(_WORKER, PLACEHOLDER_TIME)
        .filter(requester_id=_REQUESTER)
        .order_by("-priority", "id")
    ).values("id", "requester_id", "assignment_duration_seconds")[:1]
    candidate = SqlTemplate.of(best, as_sql={_REQUESTER: "fair.requester_id"})
    task_columns = ", ".join(f'"{f.column}"' for f in Task._meta.concrete_fields)
    defaults = [f for f in Assignment._meta.concrete_fields if f.name not in _ASSIGNMENT_SET_BY_CLAIM]
    assignment_columns = ", ".join(f'"{f.column}"' for f in Assignment._meta.concrete_fields)
    sql = f"""
WITH picked AS (
    SELECT candidate.id, candidate.requester_id, candidate.assignment_duration_seconds
    FROM (
        SELECT requester_id FROM marketplace_requesterdispatchstate
        ORDER BY last_served_at ASC NULLS FIRST, requester_id OFFSET 0
    ) AS fair
    CROSS JOIN LATERAL ({candidate.sql}) AS candidate
    LIMIT 1
), claimed AS (
    UPDATE marketplace_task SET slots_used = marketplace_task.slots_used + 1, status = CASE
        WHEN marketplace_task.slots_used >= marketplace_task.slots - 1 AND marketplace_task.status = %s THEN %s
        ELSE marketplace_task.status END
    FROM picked WHERE marketplace_task.id = picked.id
    RETURNING {", ".join(f"marketplace_task.{c}" for c in task_columns.split(", "))}
), assignment AS (
    INSERT INTO marketplace_assignment (task_id, worker_id, status, accepted_at, deadline,
        {", ".join(f'"{f.column}"' for f in defaults)})
    SELECT claimed.id, %s, %s, %s::timestamptz,
        %s::timestamptz + make_interval(secs => claimed.assignment_duration_seconds),
        {", ".join(["%s"] * len(defaults))}
    FROM claimed
    RETURNING {assignment_columns}
), served AS (
    UPDATE marketplace_requesterdispatchstate SET last_served_at = %s
    WHERE requester_id IN (
        SELECT state.requester_id FROM marketplace_requesterdispatchstate AS state JOIN claimed
        ON state.requester_id = claimed.requester_id FOR NO KEY UPDATE OF state SKIP LOCKED
    )
)
SELECT assignment.*, claimed.* FROM assignment, claimed"""
    params = (
        *candidate.params,
        Task.Status.OPEN,
        Task.Status.FULL,
        _WORKER,
        Assignment.Status.ACCEPTED,
        PLACEHOLDER_TIME,
        PLACEHOLDER_TIME,
        *placeholders(_DEFAULTS, len(defaults)),
        PLACEHOLDER_TIME,
    )
    return SqlTemplate(sql, params)


def claim_statements(
    *, claims: Sequence[tuple[int, Eligibility]], now: datetime, commit: bool = False
) -> list[Assignment | None]:
    """For each ``(worker id, eligibility)`` in turn, claim the best task the eligibility offers
    the worker (its row locked by ``claimants_state`` in this transaction): the new assignment
    (its ``task`` loaded, counters as updated), or ``None`` when no task is open for it. The
    statements travel together (``run_together``); each sees the claims before it, as if the
    workers claimed one after another. With ``commit`` (the last work of the claim's
    transaction) the COMMIT travels with them (``run_together``)."""
    defaults = [f for f in Assignment._meta.concrete_fields if f.name not in _ASSIGNMENT_SET_BY_CLAIM]
    default_values: dict[object, object] = dict(
        zip(
            placeholders(_DEFAULTS, len(defaults)),
            (f.get_db_prep_save(f.get_default(), connection) for f in defaults),
            strict=True,
        )
    )
    runs = []
    for worker_id, eligibility in claims:
        shape = (
            len(eligibility.workteam_ids),
            len(eligibility.blocking_requester_ids),
            len(eligibility.excluded_batch_ids),
        )
        template = _templates.get(("claim", shape), partial(_claim_template, shape))
        values: dict[object, object] = {_WORKER: worker_id, PLACEHOLDER_TIME: now}
        values.update(default_values)
        start = 10
        for ids in (eligibility.workteam_ids, eligibility.blocking_requester_ids, eligibility.excluded_batch_ids):
            values.update(zip(placeholders(start, len(ids)), ids, strict=True))
            start += len(ids)
        runs.append((template, values))
    split = len(Assignment._meta.concrete_fields)
    claimed: list[Assignment | None] = []
    for rows in run_together(runs, commit=commit):
        if not rows:
            claimed.append(None)
            continue
        assignment = from_db_row(Assignment, rows[0][:split])
        assignment.task = from_db_row(Task, rows[0][split:])
        claimed.append(assignment)
    return claimed
