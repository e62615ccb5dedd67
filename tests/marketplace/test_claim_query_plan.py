"""The claim must not turn into a scan of all assignments (or all tasks) on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from marketplace.models import Assignment, Task
from marketplace.services.dispatch import eligible_tasks, eligible_workteam_ids, next_task_queryset
from tests.conftest import needs_postgres

pytestmark = [needs_postgres]


@pytest.mark.django_db
def test_claim_query_walks_the_open_queue_index_and_reads_assignments_by_index(make_requester, make_worker, make_tasks):
    # given: a sizeable history: many complete tasks with many assignments, some open work
    requester = make_requester()
    worker = make_worker()
    others = [make_worker() for _ in range(5)]
    done = make_tasks(requester.organization, 3000, slots=5)
    now = timezone.now()
    Task.objects.filter(pk__in=[t.pk for t in done]).update(status="complete", slots_used=5, slots_submitted=5)
    Assignment.objects.bulk_create(
        Assignment(task=task, worker=w, status="approved", accepted_at=now, deadline=now + timedelta(hours=1))
        for task in done
        for w in others
    )
    make_tasks(requester.organization, 200, slots=3)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE marketplace_task; ANALYZE marketplace_assignment")
    eligible = eligible_tasks(worker=worker, workteam_ids=eligible_workteam_ids(worker), now=now)

    # when
    plan = next_task_queryset(eligible, requester.organization.pk)[:1].explain()

    # then
    assert "task_open_queue" in plan, plan
    # the held-before check reads this worker's assignments (or this task's) through an index
    assignment_lines = [line for line in plan.splitlines() if "on marketplace_assignment" in line]
    assert assignment_lines and all("Index" in line for line in assignment_lines), plan
    assert "Seq Scan on marketplace_assignment" not in plan, plan
    assert "Seq Scan on marketplace_task" not in plan, plan
    assert "Sort" not in plan, plan  # the index gives the order; no sort of every open task


@pytest.mark.django_db
def test_the_prepared_claim_statement_keeps_the_open_queue_index_in_its_generic_plan(
    make_requester, make_worker, make_tasks
):
    # given: the claim statement as it is prepared on a connection (its constants in its text,
    # ``sql_templates``), and enough open work that a scan would be chosen without the index
    import psycopg

    from marketplace.services import claim_statements
    from marketplace.services.dispatch import _eligibility

    requester = make_requester()
    worker = make_worker()
    make_tasks(requester.organization, 2000, slots=3)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE marketplace_task")
    now = timezone.now()
    state = claim_statements.claimants_state([worker.pk], now)[worker.pk]
    eligibility = _eligibility(worker, state.workteam_ids, False, False, False, now=now)
    sent: list = []

    def keep(runs, commit=False):
        sent.extend(runs)
        return [[] for _ in runs]

    original, claim_statements.run_together = claim_statements.run_together, keep
    try:
        claim_statements.claim_statements(claims=[(worker.pk, eligibility)], now=now)
    finally:
        claim_statements.run_together = original
    ((template, values),) = sent
    pieces = template.sql.split("%s")
    numbered = pieces[0] + "".join(f"${n}{piece}" for n, piece in enumerate(pieces[1:], start=1))
    arguments = ", ".join(psycopg.sql.Literal(value).as_string(None) for value in template.fill(values))

    # when: the plan PostgreSQL settles on for a prepared statement, made without the values
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute(f"PREPARE claim_under_test AS {numbered}".replace("%", "%%"))
        cursor.execute(f"EXPLAIN EXECUTE claim_under_test({arguments})".replace("%", "%%"))
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("DEALLOCATE claim_under_test")

    # then: it walks the partial index of open tasks (its WHERE status = 'open' matched by the
    # constant in the text), never a scan and sort of every task
    assert "task_open_queue" in plan, plan
    assert "Seq Scan on marketplace_task" not in plan, plan
