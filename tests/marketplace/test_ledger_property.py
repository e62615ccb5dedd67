"""A stateful property test of the payments ledger (DESIGN.md "Money", rule 4).

Hypothesis interleaves, at random, everything that moves money or changes what escrow must hold:
operator deposits (some repeating a reference), posting tasks (1-4 slots, several rewards, into
a new or an existing batch; many beyond the balance, which must be a 402 that creates nothing),
claims through the real dispatch (``POST /api/v1/worker/tasks/next``), submits, returns,
approvals (some repeated, some under a repeated ``Idempotency-Key``, some by the wrong
requester), rejections, auto-approval, deadlines and lifetimes moved into the past and swept,
adding slots, stopping and closing tasks, bonuses (keys repeated with the same or another
body), payout requests and their operator steps, and operations that fail half way (a service
run inside ``transaction.atomic()`` that raises after it, which must leave no trace).

After every step the ledger's invariants are checked on the database (``ledger_violations``),
and the money is checked against a model the test keeps on its own (deposits and bonuses it
made; payments derived from the assignments approved, not from the ledger):

- every transaction's entries sum to zero; all balances sum to zero; each account's cached
  balance equals the sum of its entries; no balance is negative but the outside world's;
- every approved assignment has exactly one payment (escrow → price to the worker, fee to the
  platform, from its own batch's escrow); no other assignment has one;
- each batch's escrow holds exactly Σ escrow_slots × (reward + fee) over its tasks, and each
  task's escrow_slots follows the rule of ``marketplace.services.escrow`` (recomputed here from
  the assignment rows, not from the task's counters, which are checked against the rows too);
- per requester: available + on hold + payments + fees + bonuses (with fees) == deposits;
  per worker: earnings == prices of approved work + bonuses − payouts not cancelled; the
  platform's fee, payout and outside-world accounts match the model too.

Each example starts from a clean database: the test is a plain (``transaction=False``) db test
and every example runs inside its own atomic block that is rolled back at teardown.

Profiles (registered here, not in conftest):
- ``ledger-ci`` (default): a few hundred steps in total, well under a minute.
- ``ledger-deep``: set ``LEDGER_PROPERTY_EXAMPLES`` (and optionally ``LEDGER_PROPERTY_STEPS``,
  default 60), e.g. ``LEDGER_PROPERTY_EXAMPLES=500 python -m pytest
  tests/marketplace/test_ledger_property.py``.
With ``-s`` the run prints how often each outcome occurred (what the random walk exercised).
Failing examples are not saved (``database=None``): hypothesis prints the failing steps and a
``@reproduce_failure`` blob instead.
"""

from __future__ import annotations

import pytest
from hypothesis.stateful import run_state_machine_as_test

from marketplace.inputs.tasks import task_spec
from marketplace.models import LedgerAccount, Task
from marketplace.services.tasks import tasks_post
from tests.marketplace.ledger_invariants import ledger_violations
from tests.marketplace.ledger_machine import (
    DOLLARS,
    FEE_MINIMUM_MICROS,
    FEE_RATE_PPM,
    MAX_LIVE,
    OUTCOMES,
    PAYOUT_MINIMUM_MICROS,
    Kind,
    LedgerMachine,
    profile,
)


@pytest.mark.django_db
def test_the_ledger_holds_under_random_interleavings(settings):
    settings.GROUNDWORK = {
        **settings.GROUNDWORK,
        "PLATFORM_FEE_RATE_PPM": FEE_RATE_PPM,
        "PLATFORM_FEE_MINIMUM_MICROS": FEE_MINIMUM_MICROS,
        "PAYOUT_MINIMUM_MICROS": PAYOUT_MINIMUM_MICROS,
        "MAX_LIVE_ASSIGNMENTS_PER_WORKER": MAX_LIVE,
        "WORKER_RATE_PER_SECOND": 1e6,
        "WORKER_RATE_BURST": 10**6,
        "API_KEY_WRITE_RATE_PER_SECOND": 1e6,
        "API_KEY_WRITE_RATE_BURST": 10**6,
    }
    OUTCOMES.clear()
    run_state_machine_as_test(LedgerMachine, settings=profile())
    print("ledger property outcomes:", dict(sorted(OUTCOMES.items())))


def test_the_invariants_catch_a_broken_ledger(db, make_requester, make_worker):
    """The checker itself: a hand-made imbalance and a double payment are reported."""
    # given a consistent ledger
    requester = make_requester(balance_micros=DOLLARS)
    [task] = tasks_post(requester=requester.organization, specs=[task_spec({"title": "t", "reward": "0.05"})])
    assert ledger_violations() == []
    # when an account's cached balance drifts and an escrow is short
    LedgerAccount.objects.filter(kind=Kind.BATCH_ESCROW).update(balance_micros=1)
    Task.objects.filter(pk=task.pk).update(escrow_slots=2)
    # then
    problems = ledger_violations()
    assert any(p.startswith("the balances sum to") for p in problems)
    assert any(p.startswith("cached balances differ") for p in problems)
    assert any(p.startswith(f"task {task.pk} ") for p in problems)
    assert any(p.startswith(f"batch {task.batch_id} escrow") for p in problems)
