"""The exclusion clause of the claim reads ``TaskWorkerExclusion`` through its unique index
(task, worker) on PostgreSQL, never by scanning every exclusion."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from marketplace.models import TaskWorkerExclusion
from marketplace.services.dispatch import eligible_tasks, eligible_workteam_ids, next_task_queryset
from tests.conftest import needs_postgres

pytestmark = [needs_postgres, pytest.mark.django_db]


def test_the_claim_checks_exclusions_by_index(make_requester, make_worker, make_tasks):
    # given: many review tasks, each excluding a few other workers, some excluding this one
    requester = make_requester()
    worker = make_worker()
    authors = [make_worker() for _ in range(4)]
    tasks = make_tasks(requester.organization, 1500, slots=3)
    TaskWorkerExclusion.objects.bulk_create(
        [TaskWorkerExclusion(task=task, worker=author) for task in tasks for author in authors]
        + [TaskWorkerExclusion(task=task, worker=worker) for task in tasks[::10]]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE marketplace_task; ANALYZE marketplace_taskworkerexclusion")
    eligible = eligible_tasks(worker=worker, workteam_ids=eligible_workteam_ids(worker), now=timezone.now())

    # when
    plan = next_task_queryset(eligible, requester.organization.pk)[:1].explain()

    # then
    lines = [line for line in plan.splitlines() if "marketplace_taskworkerexclusion" in line]
    assert lines and all("Index" in line for line in lines), plan
    assert "task_open_queue" in plan, plan
