"""The ledger migration gives work posted before the ledger an opening escrow, so settling it
keeps every ledger invariant."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from marketplace.models import Assignment, LedgerAccount, LedgerTransaction, Organization, Task
from marketplace.services.assignments import assignment_approve, assignment_reject
from marketplace.services.sweeps import run_sweeps

BEFORE_LEDGER = [("marketplace", "0004_labeling_support")]


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_work_posted_before_the_ledger_gets_an_opening_escrow_and_settles_cleanly():
    # given: a database at the migration before the ledger, with a batch of two tasks of 3
    # slots at $0.50: on task A one approved, one submitted, one live (overdue); task B expired
    # with one submitted
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    _migrate(BEFORE_LEDGER)
    try:
        _given_old_work_then_migrate(latest)
    finally:
        _migrate(latest)  # never leave the database behind for the tests that follow


def _given_old_work_then_migrate(latest) -> None:
    apps = MigrationExecutor(connection).loader.project_state(BEFORE_LEDGER).apps
    OldOrganization = apps.get_model("marketplace", "Organization")
    Workteam = apps.get_model("marketplace", "Workteam")
    Worker = apps.get_model("marketplace", "Worker")
    OldBatch = apps.get_model("marketplace", "Batch")
    OldTask = apps.get_model("marketplace", "Task")
    OldAssignment = apps.get_model("marketplace", "Assignment")
    now = timezone.now()
    requester = OldOrganization.objects.create(name="legacy", kind="requester")
    team, _ = Workteam.objects.get_or_create(kind="public", defaults={"name": "Public workforce"})
    workers = [Worker.objects.create(username=f"legacy-{i}", token_hash=f"h{i}", token_prefix="p") for i in range(3)]
    batch = OldBatch.objects.create(requester=requester, workteam=team, auto_approval_delay_seconds=3600)
    common = dict(
        batch=batch,
        requester=requester,
        workteam=team,
        title="t",
        slots=3,
        reward_micros=500_000,
        assignment_duration_seconds=60,
        lifetime_seconds=60,
    )
    task_a = OldTask.objects.create(
        **common, status="full", slots_used=3, slots_submitted=2, expires_at=now + timedelta(days=1)
    )
    task_b = OldTask.objects.create(
        **common, status="expired", slots_used=1, slots_submitted=1, expires_at=now - timedelta(days=1)
    )
    deadline = now + timedelta(hours=1)
    OldAssignment.objects.create(
        task=task_a,
        worker=workers[0],
        status="approved",
        answer={"x": 1},
        accepted_at=now,
        deadline=deadline,
        submitted_at=now,
        approved_at=now,
    )
    submitted = OldAssignment.objects.create(
        task=task_a,
        worker=workers[1],
        status="submitted",
        answer={"x": 2},
        accepted_at=now,
        deadline=deadline,
        submitted_at=now,
    )
    overdue = OldAssignment.objects.create(
        task=task_a, worker=workers[2], status="accepted", accepted_at=now, deadline=now - timedelta(seconds=1)
    )
    on_expired = OldAssignment.objects.create(
        task=task_b,
        worker=workers[0],
        status="submitted",
        answer={"x": 3},
        accepted_at=now,
        deadline=deadline,
        submitted_at=now,
    )

    # when
    _migrate(latest)

    # then: A needs 2 reserves (3 fillable slots, 1 settled), B one (its submitted answer)
    assert dict(Task.objects.values_list("pk", "escrow_slots")) == {task_a.pk: 2, task_b.pk: 1}
    assert Task.objects.get(pk=task_a.pk).slots_settled == 1
    escrow = LedgerAccount.objects.get(kind="batch_escrow", batch_id=batch.pk)
    assert escrow.balance_micros == 1_500_000
    assert LedgerTransaction.objects.get(reference=f"opening:batch:{batch.pk}").kind == "deposit"

    # and the old work settles through the ledger: the overdue one expires (A stays fillable),
    # one answer is approved, one rejected
    run_sweeps()
    assert Assignment.objects.get(pk=overdue.pk).status == "expired"
    organization = Organization.objects.get(pk=requester.pk)
    assignment_approve(requester=organization, assignment_id=submitted.pk)
    assignment_reject(requester=organization, assignment_id=on_expired.pk)
    escrow.refresh_from_db()
    worker_account = LedgerAccount.objects.get(kind="worker_earnings", worker_id=workers[1].pk)
    available = LedgerAccount.objects.get(kind="requester_available", organization_id=requester.pk)
    assert (escrow.balance_micros, worker_account.balance_micros, available.balance_micros) == (
        500_000,
        500_000,
        500_000,
    )
    assert sum(LedgerAccount.objects.values_list("balance_micros", flat=True)) == 0
