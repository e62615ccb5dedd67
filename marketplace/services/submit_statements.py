"""The submit of one answer in two statements on PostgreSQL (``assignments.assignment_submit``
uses them; docs/concurrency.md, "The claim and the submit in two statements each").

1. ``access.access_assignments_as_worker`` locks the worker's assignment (rank 3, only its row)
   and reads it with its task, batch and workteam: what the checks of the answer need (one
   statement compiled once, for one assignment).
2. ``submission_statement`` records an answer that is not a gold task's: the assignment's new
   state, the task's counters (``slots_submitted``, open or full → complete, as
   ``status_after_submit``) and the worker's reputation (``submitted`` + 1; the row inserted the
   first time) in one statement. Each sub-statement reads the rows of the one before it, so the
   locks are taken in the order of ``marketplace.locking``: the task (rank 4), then the
   reputation row (rank 10, last). A gold answer also counts in its batch quality row (rank 7,
   between the two), which ``quality.submissions_record`` does: the caller takes that path.

The statement is compiled once (``marketplace.sql_templates``).
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from django.db import connection
from django.db.models import Field

from ..models import Assignment, Task
from ..models.reputation import WorkerReputation
from ..sql_templates import SqlTemplate, TemplateCache, placeholder

_ASSIGNMENT = placeholder(0)
_templates = TemplateCache()


def _field(name: str) -> Field:
    return cast(Field, Assignment._meta.get_field(name))


_SET_BY_SUBMIT = ("status", "answer", "submitted_at", "auto_approve_at", "gold_correct", "flagged_reason")


def _submission_template() -> SqlTemplate:
    rest = [f for f in WorkerReputation._meta.concrete_fields if f.name not in ("worker", "submitted", "updated_at")]
    sets = ", ".join(f'"{_field(name).column}" = %s' for name in _SET_BY_SUBMIT)
    sql = f"""
WITH answered AS (
    UPDATE marketplace_assignment SET {sets} WHERE id = %s RETURNING task_id, worker_id
), counted AS (
    UPDATE marketplace_task SET slots_submitted = marketplace_task.slots_submitted + 1, status = CASE
        WHEN marketplace_task.slots_submitted >= marketplace_task.slots - 1
            AND marketplace_task.status IN (%s, %s) THEN %s
        ELSE marketplace_task.status END
    FROM answered WHERE marketplace_task.id = answered.task_id
    RETURNING answered.worker_id
)
INSERT INTO marketplace_workerreputation (worker_id, submitted, updated_at, {", ".join(f.column for f in rest)})
SELECT counted.worker_id, 1, %s, {", ".join(["%s"] * len(rest))} FROM counted
ON CONFLICT (worker_id) DO UPDATE SET submitted = marketplace_workerreputation.submitted + 1,
    updated_at = EXCLUDED.updated_at"""
    params = (
        *(placeholder(10 + i) for i in range(len(_SET_BY_SUBMIT))),
        _ASSIGNMENT,
        Task.Status.OPEN,
        Task.Status.FULL,
        Task.Status.COMPLETE,
        placeholder(9),
        *(f.get_db_prep_save(f.get_default(), connection) for f in rest),
    )
    return SqlTemplate(sql, params)


def submission_statement(*, assignment: Assignment, now: datetime) -> None:
    """Write a submission that is not a gold task's (``assignment`` locked and its new fields
    set by the checks, not saved): its row, its task's counters, its worker's reputation."""
    if assignment.gold_correct is not None:
        raise ValueError("a gold answer also counts in its batch quality row: quality.submissions_record")
    template = _templates.get("submission", _submission_template)
    values: dict[object, object] = {_ASSIGNMENT: assignment.pk, placeholder(9): now}
    for i, name in enumerate(_SET_BY_SUBMIT):
        field = _field(name)
        values[placeholder(10 + i)] = field.get_db_prep_save(getattr(assignment, field.attname), connection)
    template.run(values, fetch=False)
