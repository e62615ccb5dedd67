"""The requirements part of the eligibility rule stays an index lookup on PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from marketplace.models import Batch, RequesterDispatchState, Task
from marketplace.services.requirements import restricted_batches
from marketplace.services.workteams import public_workforce
from tests.conftest import needs_postgres

from .qualification_helpers import create_type, post_task

pytestmark = [needs_postgres, pytest.mark.django_db]


def test_restricted_batches_walk_the_partial_indexes(make_requester, make_tasks):
    # given: thousands of batches without requirements, a few with; many closed tasks, some open
    requester = make_requester()
    done = make_tasks(requester.organization, 3000)
    Task.objects.filter(pk__in=[t.pk for t in done]).update(status="complete")
    make_tasks(requester.organization, 200)
    workforce = public_workforce()
    RequesterDispatchState.objects.get_or_create(requester=requester.organization)
    Batch.objects.bulk_create(
        Batch(requester=requester.organization, workteam=workforce, auto_approval_delay_seconds=60) for _ in range(5000)
    )
    expert = create_type(requester)
    for _ in range(3):
        post_task(requester, [{"qualification_type_id": expert["id"], "comparator": "exists"}])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE marketplace_batch; ANALYZE marketplace_task")

    # when
    queryset = restricted_batches(workteam_ids=[workforce.pk], now=timezone.now())
    plan = queryset.explain()

    # then
    assert queryset.count() == 3
    assert "batch_with_requirements" in plan, plan
    assert "task_open_by_batch" in plan, plan
    assert "Seq Scan on marketplace_batch" not in plan, plan
    assert "Seq Scan on marketplace_task" not in plan, plan
