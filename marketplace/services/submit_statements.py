"""The submit of answers in two statements on PostgreSQL, however many answers share a
transaction (``assignments.assignments_submit`` uses them; docs/concurrency.md, "The claim and
the submit in few statements").

1. ``access.access_assignments_as_worker`` locks the workers' assignments (rank 3, only their
   rows, in id order) and reads them with their tasks, batches and workteams: what the checks
   of the answers need (one statement compiled once, for any number of assignments).
2. ``submissions_statement`` records answers none of which is a gold task's: the assignments'
   new state, their tasks' counters (``slots_submitted``, open or full → complete, as
   ``status_after_submit``) and the workers' reputation (``submitted`` + their count; a row
   inserted the first time) in one statement over arrays. Its parts take their locks in the
   order of ``marketplace.locking``: every task first (rank 4, in id order), then the
   reputation rows (rank 10, last, in worker id order), which are written only from the join of
   the answers with the tasks' updated rows, so after all of them. Answers with gold also count
   in their batch quality rows (rank 7, between the two), which ``quality.submissions_record``
   does: such a batch writes only its assignments here (``answers_statement``) and takes that path.

The statements are compiled once (``marketplace.sql_templates``); the values travel as arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

from django.db import connection
from django.db.models import Field

from ..models import Assignment, Task
from ..models.reputation import WorkerReputation
from ..sql_templates import SqlTemplate, TemplateCache, placeholder
from .quality import QUALITY_FIELDS

_templates = TemplateCache()
_NOW, _TASK_IDS = placeholder(0), placeholder(1)


def _field(name: str) -> Field:
    return cast(Field, Assignment._meta.get_field(name))


SUBMITTED_FIELDS = ("status", "answer", "submitted_at", "auto_approve_at", *QUALITY_FIELDS)  # what a submit sets
_ANSWER_ARRAYS = {name: placeholder(10 + i) for i, name in enumerate(("id", *SUBMITTED_FIELDS))}


def _answered_sql() -> tuple[str, tuple[object, ...]]:
    """The CTEs ``answers`` (the arrays as rows) and ``answered`` (the assignments' UPDATE,
    returning each one's task and worker)."""
    fields = [_field(name) for name in ("id", *SUBMITTED_FIELDS)]
    arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in fields)
    columns = ", ".join(field.column for field in fields)
    sets = ", ".join(f'"{field.column}" = answers.{field.column}' for field in fields[1:])
    sql = f"""
WITH answers AS (
    SELECT * FROM unnest({arrays}) AS answers({columns})
), answered AS (
    UPDATE marketplace_assignment SET {sets} FROM answers WHERE marketplace_assignment.id = answers.id
    RETURNING marketplace_assignment.task_id, marketplace_assignment.worker_id
)"""
    return sql, tuple(_ANSWER_ARRAYS.values())


def _answers_template() -> SqlTemplate:
    sql, params = _answered_sql()
    return SqlTemplate(sql + "\nSELECT count(*) FROM answered", params)


def _submissions_template() -> SqlTemplate:
    answered, params = _answered_sql()
    rest = [f for f in WorkerReputation._meta.concrete_fields if f.name not in ("worker", "submitted", "updated_at")]
    sql = f"""{answered}, tasks_locked AS (
    SELECT id FROM marketplace_task WHERE id = ANY(%s::bigint[]) ORDER BY id FOR NO KEY UPDATE
), per_task AS (
    SELECT task_id, count(*) AS submitted FROM answered GROUP BY task_id
), counted AS (
    UPDATE marketplace_task SET slots_submitted = marketplace_task.slots_submitted + per_task.submitted,
        status = CASE
            WHEN marketplace_task.slots_submitted + per_task.submitted >= marketplace_task.slots
                AND marketplace_task.status IN (%s, %s) THEN %s
            ELSE marketplace_task.status END
    FROM per_task JOIN tasks_locked ON tasks_locked.id = per_task.task_id
    WHERE marketplace_task.id = per_task.task_id
    RETURNING marketplace_task.id
), per_worker AS (
    SELECT answered.worker_id, count(*) AS submitted
    FROM answered JOIN counted ON counted.id = answered.task_id
    GROUP BY answered.worker_id
)
INSERT INTO marketplace_workerreputation (worker_id, submitted, updated_at, {", ".join(f.column for f in rest)})
SELECT per_worker.worker_id, per_worker.submitted, %s, {", ".join(["%s"] * len(rest))}
FROM per_worker ORDER BY per_worker.worker_id
ON CONFLICT (worker_id) DO UPDATE SET submitted = marketplace_workerreputation.submitted + EXCLUDED.submitted,
    updated_at = EXCLUDED.updated_at"""
    params += (
        _TASK_IDS,
        Task.Status.OPEN,
        Task.Status.FULL,
        Task.Status.COMPLETE,
        _NOW,
        *(f.get_db_prep_save(f.get_default(), connection) for f in rest),
    )
    return SqlTemplate(sql, params)


def _answer_values(assignments: Sequence[Assignment]) -> dict[object, object]:
    """Each column's array, in the assignments' order."""
    values: dict[object, object] = {_ANSWER_ARRAYS["id"]: [a.pk for a in assignments]}
    for name in SUBMITTED_FIELDS:
        field = _field(name)
        values[_ANSWER_ARRAYS[name]] = [
            field.get_db_prep_save(getattr(a, field.attname), connection) for a in assignments
        ]
    return values


def answers_statement(*, assignments: Sequence[Assignment]) -> None:
    """Write the submitted fields of these assignments (locked, their new fields set by the
    checks, not saved) in one statement; their tasks and workers are the caller's to count."""
    _templates.get("answers", _answers_template).run(_answer_values(assignments))


def submissions_statement(*, assignments: Sequence[Assignment], now: datetime) -> None:
    """Write submissions none of which is a gold task's (the assignments locked and their new
    fields set by the checks, not saved): their rows, their tasks' counters, their workers'
    reputation, in one statement."""
    if any(a.gold_correct is not None for a in assignments):
        raise ValueError("a gold answer also counts in its batch quality row: quality.submissions_record")
    values = _answer_values(assignments)
    values.update({_TASK_IDS: sorted({a.task_id for a in assignments}), _NOW: now})
    _templates.get("submissions", _submissions_template).run(values, fetch=False)
