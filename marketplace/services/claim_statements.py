"""The claim for one worker in two statements on PostgreSQL (``dispatch.assignments_claim``
uses them for a claim alone; docs/concurrency.md, "The claim and the submit in two statements each").

1. ``claimant_state`` locks the worker's row (rank 2, as ``lock_workers``) and reads, in the same
   statement, what the claim needs to know of it: its live and overdue assignments, its active
   workteams (and which are vendor teams), and whether any block, quality stop or batch with
   requirements concerns it (the probes of ``dispatch.eligibilities``).
2. ``claim_statement`` takes the task and records the claim in one round trip: requesters in
   fair order (least recently served first), for each the best task the worker may take
   (``Eligibility.open_tasks_for``, skip-locked, through ``task_open_queue``) until one is
   found; then the task's counters (``slots_used``, open → full, as ``status_after_claim``),
   the assignment's INSERT and the requester's dispatch state (skip-locked) in the same
   statement. Each sub-statement reads the rows of the one before it, so the locks are taken in
   the order of ``marketplace.locking``: the task (rank 4), then the dispatch state (rank 6).

Both statements are querysets compiled once per shape (``marketplace.sql_templates``): the
eligibility rule stays the one queryset, and the claim costs no query compilation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import Count, Exists, IntegerField, Subquery, Value
from django.db.models.functions import Coalesce

from ..locking import claim_candidates, locked_workers
from ..models import Assignment, Task, Worker, WorkerBatchQuality, WorkerBlock, Workteam, WorkteamMembership
from ..selectors.eligibility import Eligibility
from ..sql_templates import PLACEHOLDER_TIME, SqlTemplate, TemplateCache, from_db_row, placeholder, placeholders
from .requirements import restricted_batches

_WORKER, _REQUESTER = placeholder(0), placeholder(1)
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


def _claimant_template() -> SqlTemplate:
    worker, now = _WORKER, PLACEHOLDER_TIME
    accepted = Assignment.objects.filter(worker=worker, status=Assignment.Status.ACCEPTED)
    live = accepted.filter(deadline__gt=now).order_by().values("worker").annotate(n=Count("pk")).values("n")
    teams = WorkteamMembership.objects.filter(worker=worker, workteam__is_active=True).order_by("workteam_id")
    queryset = locked_workers(Worker.objects.filter(pk=_WORKER)).values_list(
        Coalesce(Subquery(live), Value(0), output_field=IntegerField()),
        Exists(accepted.filter(deadline__lte=now)),
        ArraySubquery(teams.values("workteam_id")),
        ArraySubquery(teams.filter(workteam__kind=Workteam.Kind.VENDOR).values("workteam_id")),
        Exists(WorkerBlock.objects.filter(worker=worker)),
        Exists(WorkerBatchQuality.objects.filter(worker=worker, excluded_at__isnull=False)),
        Exists(restricted_batches(workteam_ids=teams.values("workteam_id"), now=now)),  # type: ignore[arg-type]
    )
    return SqlTemplate.of(queryset)


def claimant_state(worker_id: int, now: datetime) -> ClaimantState:
    """Lock the worker's row and read its ``ClaimantState`` (one statement)."""
    template = _templates.get("claimant", _claimant_template)
    row = template.run({_WORKER: worker_id, PLACEHOLDER_TIME: now})
    assert row is not None  # the worker's row: it claims, so it exists
    return ClaimantState(*row)


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


def claim_statement(*, worker_id: int, eligibility: Eligibility, now: datetime) -> Assignment | None:
    """Claim the best task ``eligibility`` offers the worker (its row locked by
    ``claimant_state`` in this transaction): the new assignment (its ``task`` loaded, counters as
    updated), or ``None`` when no task is open for it."""
    shape = (
        len(eligibility.workteam_ids),
        len(eligibility.blocking_requester_ids),
        len(eligibility.excluded_batch_ids),
    )
    template = _templates.get(("claim", shape), lambda: _claim_template(shape))
    values: dict[object, object] = {_WORKER: worker_id, PLACEHOLDER_TIME: now}
    defaults = [f for f in Assignment._meta.concrete_fields if f.name not in _ASSIGNMENT_SET_BY_CLAIM]
    values.update(
        zip(
            placeholders(_DEFAULTS, len(defaults)),
            (f.get_db_prep_save(f.get_default(), connection) for f in defaults),
            strict=True,
        )
    )
    start = 10
    for ids in (eligibility.workteam_ids, eligibility.blocking_requester_ids, eligibility.excluded_batch_ids):
        values.update(zip(placeholders(start, len(ids)), ids, strict=True))
        start += len(ids)
    row = template.run(values)
    if row is None:
        return None
    split = len(Assignment._meta.concrete_fields)
    assignment = from_db_row(Assignment, row[:split])
    assignment.task = from_db_row(Task, row[split:])
    return assignment
