"""The ledger property test's state machine (see ``test_ledger_property``): hypothesis rules for
everything that moves money, a model of the money kept by the test itself, and the invariants
checked after every step. Its profiles (``ledger-ci``, ``ledger-deep``) are registered here."""

from __future__ import annotations

import os
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

import hypothesis
import pytest
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from rest_framework.test import APIClient

from marketplace.errors import DomainError, InvalidInput
from marketplace.inputs.tasks import task_spec
from marketplace.models import (
    Assignment,
    Batch,
    IdempotencyRecord,
    LedgerAccount,
    LedgerTransaction,
    Organization,
    Payout,
    Task,
    Worker,
)
from marketplace.money import format_micros, parse_amount_micros
from marketplace.selectors.ledger import requester_balance
from marketplace.services import payouts as payout_services
from marketplace.services.assignments import assignment_approve, assignment_reject
from marketplace.services.bonuses import bonus_pay
from marketplace.services.ledger import deposit, fee_for
from marketplace.services.organizations import requester_create
from marketplace.services.sweeps import run_sweeps
from marketplace.services.tasks import task_add_slots, task_stop, tasks_post
from marketplace.services.workers import worker_create
from tests.marketplace.ledger_invariants import FILLABLE, ledger_violations, world_state
from tests.support.factories import client_with
from tests.support.worker_api import NEXT_URL

Kind = LedgerAccount.Kind
TxKind = LedgerTransaction.Kind
Status = Assignment.Status
DOLLARS = 1_000_000
FEE_RATE_PPM, FEE_MINIMUM_MICROS = 200_000, 10_000
PAYOUT_MINIMUM_MICROS = 10_000
REWARDS = ["0.01", "0.036", "0.05", "0.333333", "1.00", "2.50"]
BONUSES = ["0.01", "0.07", "0.50", "1.00", "3.00", "25.00"]
MAX_LIVE = 3
# Deposits: whole dollars (never tiny: most examples should afford some work) plus some micros.
AMOUNTS = st.builds(lambda dollars, micros: dollars * 1_000_000 + micros, st.integers(2, 40), st.integers(0, 999_999))

hypothesis.settings.register_profile(
    "ledger-ci",
    max_examples=10,
    stateful_step_count=30,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
hypothesis.settings.register_profile(
    "ledger-deep",
    parent=hypothesis.settings.get_profile("ledger-ci"),
    max_examples=int(os.environ.get("LEDGER_PROPERTY_EXAMPLES") or 500),
    stateful_step_count=int(os.environ.get("LEDGER_PROPERTY_STEPS") or 60),
)


def profile() -> hypothesis.settings:
    return hypothesis.settings.get_profile("ledger-deep" if os.environ.get("LEDGER_PROPERTY_EXAMPLES") else "ledger-ci")


OUTCOMES: Counter = Counter()


def note(outcome: str) -> None:
    """Count an outcome (printed at the end of the run with ``-s``: shows what was exercised)."""
    OUTCOMES[outcome] += 1
    hypothesis.event(outcome)


def fee(price_micros: int) -> int:
    return fee_for(price_micros, rate_ppm=FEE_RATE_PPM, minimum_micros=FEE_MINIMUM_MICROS)


@dataclass(frozen=True)
class Requester:
    organization: Organization
    client: APIClient


class Boom(Exception):
    """Raised after a service call to make its transaction roll back (a process failing half way)."""


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        # Each example inside its own atomic block, rolled back at teardown: a clean database.
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.requesters = []
        for _ in range(2):
            created = requester_create(name=f"ledger-{uuid.uuid4().hex[:10]}")
            self.requesters.append(Requester(created.organization, client_with(created.api_key)))
        self.workers = []
        for _ in range(4):
            worker, token = worker_create(username=f"w-{uuid.uuid4().hex[:10]}")
            worker.client = client_with(token)
            self.workers.append(worker)
        # The model: what the test itself did, independent of the ledger.
        self.deposits: dict[str, tuple[int, int]] = {}  # reference → (organization id, micros)
        self.deposited: Counter = Counter()  # organization id → micros
        self.bonus_cost: Counter = Counter()  # organization id → amounts + fees
        self.bonus_earned: Counter = Counter()  # worker id → amounts
        self.bonus_fees = 0
        self.bonus_keys: dict[tuple[int, str], tuple[dict, int, dict]] = {}  # (org, key) → (body, status, response)
        self.post_keys: list[tuple[int, str, object, int, object]] = []  # (requester index, key, body, status, json)

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- helpers ---

    def _requester_of(self, organization_id: int):
        return next(r for r in self.requesters if r.organization.pk == organization_id)

    def _worker(self, worker_id: int) -> Worker:
        return next(w for w in self.workers if w.pk == worker_id)

    def _available(self, requester) -> int:
        return requester_balance(requester.organization).available_micros

    def _earnings(self, worker_id: int) -> int:
        return (
            LedgerAccount.objects.filter(kind=Kind.WORKER_EARNINGS, worker_id=worker_id)
            .values_list("balance_micros", flat=True)
            .first()
            or 0
        )

    def _pick(self, data, queryset, label: str):
        return data.draw(st.sampled_from(list(queryset.order_by("pk").values_list("pk", flat=True))), label=label)

    # --- money in ---

    @initialize(data=st.data(), amounts=st.lists(AMOUNTS, min_size=2, max_size=2))
    def first_deposits_and_posts(self, data, amounts):
        """Money and some work to start from, so that every example gets to claims and payments."""
        for requester, amount in zip(self.requesters, amounts, strict=True):
            if amount:
                self._deposit(requester.organization.pk, amount, f"first-{uuid.uuid4().hex}")
        for _ in range(data.draw(st.integers(1, 3), label="first posts")):
            self.post_tasks(data, n=data.draw(st.integers(1, 2), label="n"), use_key=False)

    def _deposit(self, organization_id: int, amount: int, reference: str) -> None:
        _, created = deposit(organization_id=organization_id, amount_micros=amount, reference=reference)
        assert created
        self.deposits[reference] = (organization_id, amount)
        self.deposited[organization_id] += amount

    @rule(data=st.data(), amount=AMOUNTS, reuse=st.booleans())
    def deposit_money(self, data, amount, reuse):
        if reuse and self.deposits:
            self._deposit_again_with_a_used_reference(data)
            return
        requester = data.draw(st.sampled_from(self.requesters), label="requester")
        self._deposit(requester.organization.pk, amount, f"wire-{uuid.uuid4().hex}")

    def _deposit_again_with_a_used_reference(self, data):
        reference = data.draw(st.sampled_from(sorted(self.deposits)), label="reference")
        organization_id, amount = self.deposits[reference]
        other_org = data.draw(st.sampled_from([organization_id, *(r.organization.pk for r in self.requesters)]))
        other_amount = data.draw(st.sampled_from([amount, amount + 1]))
        before = world_state()
        if (other_org, other_amount) == (organization_id, amount):
            record, created = deposit(organization_id=other_org, amount_micros=other_amount, reference=reference)
            assert not created
        else:
            with pytest.raises(InvalidInput):
                deposit(organization_id=other_org, amount_micros=other_amount, reference=reference)
        assert world_state() == before

    # --- posting ---

    @rule(data=st.data(), n=st.integers(1, 2), use_key=st.booleans())
    def post_tasks(self, data, n, use_key):
        index = data.draw(st.integers(0, len(self.requesters) - 1), label="requester")
        requester = self.requesters[index]
        batches = list(Batch.objects.filter(requester=requester.organization).values_list("pk", flat=True))
        batch_id = data.draw(st.sampled_from([None, *batches]), label="batch") if batches else None
        specs = [
            {
                "title": f"t{i}",
                "slots": data.draw(st.integers(1, 4), label="slots"),
                "reward": data.draw(st.sampled_from(REWARDS), label="reward"),
            }
            for i in range(n)
        ]
        for spec in specs:
            if batch_id is not None:
                spec["batch_id"] = batch_id
        cost = sum(
            s["slots"] * (parse_amount_micros(s["reward"]) + fee(parse_amount_micros(s["reward"]))) for s in specs
        )
        available = self._available(requester)
        before = world_state()
        key = f"post-{uuid.uuid4().hex}" if use_key else None
        headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
        response = requester.client.post("/api/v1/tasks", specs, format="json", **headers)
        note(f"post {response.status_code}")
        if cost <= available:
            assert response.status_code == 201, response.content
            assert self._available(requester) == available - cost
            assert [t["fee"] for t in response.json()] == [
                format_micros(fee(parse_amount_micros(s["reward"]))) for s in specs
            ]
        else:
            assert response.status_code == 402, response.content
            assert response.json()["error"]["code"] == "insufficient_balance"
            assert world_state() == before
        if key:
            self.post_keys.append((index, key, specs, response.status_code, response.json()))

    @precondition(lambda self: self.post_keys)
    @rule(data=st.data(), same_body=st.booleans())
    def post_again_with_a_used_key(self, data, same_body):
        index, key, specs, status, body = data.draw(st.sampled_from(self.post_keys), label="earlier post")
        requester = self.requesters[index]
        before = world_state()
        again = specs if same_body else [{**specs[0], "title": "another"}]
        response = requester.client.post("/api/v1/tasks", again, format="json", HTTP_IDEMPOTENCY_KEY=key)
        if same_body:
            assert (response.status_code, response.json()) == (status, body)
        else:
            assert response.status_code == 422
            assert response.json()["error"]["code"] == "idempotency_key_reused"
        assert world_state() == before

    # --- the worker side ---

    @rule(data=st.data(), then=st.sampled_from(["nothing", "submit", "submit and approve", "submit and reject"]))
    def claim(self, data, then):
        worker = data.draw(st.sampled_from(self.workers), label="worker")
        response = worker.client.post(NEXT_URL)
        note(f"claim {response.status_code}")
        now = timezone.now()
        live = Assignment.objects.filter(worker=worker, status=Status.ACCEPTED, deadline__gt=now)
        if response.status_code == 200:
            assignment = Assignment.objects.get(pk=response.json()["assignment_id"])
            assert (assignment.worker_id, assignment.status) == (worker.pk, Status.ACCEPTED)
            assert live.count() <= MAX_LIVE
            if then != "nothing":
                self._submit(assignment)
            if then != "nothing" and then != "submit":
                self._settle(
                    assignment.pk, approving=then == "submit and approve", key_twice=False, wrong_requester=False
                )
        elif response.status_code == 204:
            eligible = Task.objects.filter(status=Task.Status.OPEN, expires_at__gt=now).exclude(
                assignments__worker=worker
            )
            assert not eligible.exists()
        else:
            assert response.status_code == 409, response.content
            assert response.json()["error"]["code"] == "too_many_live_assignments"
            assert live.count() >= MAX_LIVE

    @precondition(
        lambda self: Assignment.objects.filter(status__in=[Status.ACCEPTED, Status.SUBMITTED, Status.APPROVED]).exists()
    )
    @rule(data=st.data())
    def submit(self, data):
        assignment = Assignment.objects.get(
            pk=self._pick(
                data,
                Assignment.objects.filter(status__in=[Status.ACCEPTED, Status.SUBMITTED, Status.APPROVED]),
                "assignment",
            )
        )
        if assignment.status == Status.ACCEPTED:
            self._submit(assignment)
        else:
            self._submit_the_same_answer_again(assignment)

    def _submit(self, assignment: Assignment) -> None:
        worker = self._worker(assignment.worker_id)
        before = world_state()
        response = worker.client.post(
            f"/api/v1/worker/assignments/{assignment.pk}/submit",
            {"answer": {"label": f"a{assignment.pk}"}},
            format="json",
        )
        note(f"submit {response.status_code}")
        if assignment.deadline <= timezone.now():
            assert response.status_code == 409, response.content
            assert response.json()["error"]["code"] == "deadline_passed"
            assert world_state() == before
        else:
            assert response.status_code == 200, response.content

    def _submit_the_same_answer_again(self, assignment: Assignment) -> None:
        before = world_state()
        response = self._worker(assignment.worker_id).client.post(
            f"/api/v1/worker/assignments/{assignment.pk}/submit", {"answer": assignment.answer}, format="json"
        )
        assert response.status_code == 200, response.content
        assert world_state() == before

    @precondition(lambda self: Assignment.objects.filter(status__in=[Status.ACCEPTED, Status.RETURNED]).exists())
    @rule(data=st.data())
    def give_back(self, data):
        assignment = Assignment.objects.get(
            pk=self._pick(data, Assignment.objects.filter(status__in=[Status.ACCEPTED, Status.RETURNED]), "assignment")
        )
        response = self._worker(assignment.worker_id).client.post(f"/api/v1/worker/assignments/{assignment.pk}/return")
        assert response.status_code == 200, response.content
        assert Assignment.objects.get(pk=assignment.pk).status == Status.RETURNED

    # --- the requester side ---

    @precondition(
        lambda self: Assignment.objects.filter(status__in=[Status.SUBMITTED, Status.APPROVED, Status.REJECTED]).exists()
    )
    @rule(data=st.data(), approving=st.booleans(), key_twice=st.booleans(), wrong_requester=st.booleans())
    def settle(self, data, approving, key_twice, wrong_requester):
        assignment_id = self._pick(
            data,
            Assignment.objects.filter(status__in=[Status.SUBMITTED, Status.APPROVED, Status.REJECTED]),
            "assignment",
        )
        self._settle(assignment_id, approving=approving, key_twice=key_twice, wrong_requester=wrong_requester)

    def _settle(self, assignment_id: int, *, approving: bool, key_twice: bool, wrong_requester: bool) -> None:
        assignment = Assignment.objects.select_related("task").get(pk=assignment_id)
        owner = self._requester_of(assignment.task.requester_id)
        action = "approve" if approving else "reject"
        target = Status.APPROVED if approving else Status.REJECTED
        before = world_state()
        if wrong_requester:
            stranger = next(r for r in self.requesters if r is not owner)
            response = stranger.client.post(f"/api/v1/assignments/{assignment.pk}/{action}")
            assert response.status_code == 404, response.content
            assert world_state() == before
            return
        headers = {"HTTP_IDEMPOTENCY_KEY": f"settle-{uuid.uuid4().hex}"} if key_twice else {}
        responses = [
            owner.client.post(f"/api/v1/assignments/{assignment.pk}/{action}", **headers)
            for _ in range(2 if key_twice else 1)
        ]
        note(f"{action} {assignment.status} {responses[-1].status_code}")
        for response in responses:
            if assignment.status in (Status.SUBMITTED, target):
                assert response.status_code == 200, response.content
                assert response.json()["status"] == target
            else:
                assert response.status_code == 409, response.content
                assert response.json()["error"]["code"] == "already_settled"
        if assignment.status != Status.SUBMITTED:
            assert world_state() == before

    def _auto_approve(self, data):
        if not Assignment.objects.filter(status=Status.SUBMITTED).exists():
            return
        assignment_id = self._pick(data, Assignment.objects.filter(status=Status.SUBMITTED), "assignment")
        Assignment.objects.filter(pk=assignment_id).update(auto_approve_at=timezone.now() - timedelta(seconds=1))
        run_sweeps()
        assert Assignment.objects.get(pk=assignment_id).status == Status.APPROVED

    @precondition(lambda self: Task.objects.exists())
    @rule(data=st.data(), change=st.sampled_from(["add", "stop", "close"]))
    def change_task(self, data, change):
        task = Task.objects.get(pk=self._pick(data, Task.objects.all(), "task"))
        if change == "add":
            self._add_slots(task, data.draw(st.integers(1, 3), label="add"))
        else:
            self._end_task(task, change)

    def _add_slots(self, task: Task, add: int) -> None:
        requester = self._requester_of(task.requester_id)
        settled = task.slots_settled
        needed = max(task.reserve_slots, task.slots + add) - settled
        cost = (needed - task.escrow_slots) * (task.reward_micros + task.fee_micros)
        available = self._available(requester)
        before = world_state()
        response = requester.client.post(f"/api/v1/tasks/{task.pk}/slots", {"add": add}, format="json")
        note(f"add slots {task.status} {response.status_code}")
        if task.status in (Task.Status.EXPIRED, Task.Status.STOPPED):
            assert (response.status_code, response.json()["error"]["code"]) == (409, "task_closed")
        elif task.slots + add > 50:
            assert response.status_code == 400
        elif cost > available:
            assert (response.status_code, response.json()["error"]["code"]) == (402, "insufficient_balance")
        else:
            assert response.status_code == 200, response.content
            assert (response.json()["slots"], response.json()["status"]) == (task.slots + add, "open")
            assert self._available(requester) == available - cost
            return
        assert world_state() == before

    def _end_task(self, task: Task, action: str) -> None:
        requester = self._requester_of(task.requester_id)
        target = Task.Status.STOPPED if action == "stop" else Task.Status.COMPLETE
        before = world_state()
        response = requester.client.post(f"/api/v1/tasks/{task.pk}/{action}")
        note(f"{action} {task.status} {response.status_code}")
        if task.status in (*FILLABLE, target):
            assert response.status_code == 200, response.content
            assert response.json()["status"] == target
        else:
            assert (response.status_code, response.json()["error"]["code"]) == (409, "task_closed")
        if task.status not in FILLABLE:
            assert world_state() == before

    # --- time ---

    @rule(data=st.data(), what=st.sampled_from(["deadline", "deadline and sweep", "lifetime", "auto-approval"]))
    def time_passes(self, data, what):
        note(f"time passes: {what}")
        if what == "lifetime":
            self._lifetime_ends(data)
        elif what == "auto-approval":
            self._auto_approve(data)
        else:
            self._deadline_passes(data, sweep=what == "deadline and sweep")

    def _deadline_passes(self, data, *, sweep: bool) -> None:
        if not Assignment.objects.filter(status=Status.ACCEPTED).exists():
            return
        assignment_id = self._pick(data, Assignment.objects.filter(status=Status.ACCEPTED), "assignment")
        Assignment.objects.filter(pk=assignment_id).update(deadline=timezone.now() - timedelta(seconds=1))
        if sweep:
            run_sweeps()
            assert Assignment.objects.get(pk=assignment_id).status == Status.EXPIRED

    def _lifetime_ends(self, data) -> None:
        """One or several tasks (of one or several batches: one sweep syncs their escrow together)."""
        fillable = list(Task.objects.filter(status__in=FILLABLE).order_by("pk").values_list("pk", flat=True))
        if not fillable:
            return
        task_ids = data.draw(st.lists(st.sampled_from(fillable), min_size=1, max_size=3, unique=True), label="tasks")
        Task.objects.filter(pk__in=task_ids).update(expires_at=timezone.now() - timedelta(seconds=1))
        run_sweeps()
        assert set(Task.objects.filter(pk__in=task_ids).values_list("status", flat=True)) == {Task.Status.EXPIRED}

    # --- bonuses ---

    @precondition(
        lambda self: Assignment.objects.filter(status__in=[Status.SUBMITTED, Status.APPROVED, Status.REJECTED]).exists()
    )
    @rule(data=st.data(), amount=st.sampled_from(BONUSES))
    def pay_bonus(self, data, amount):
        requester = data.draw(st.sampled_from(self.requesters), label="requester")
        org_id = requester.organization.pk
        workers_for_it = set(
            Assignment.objects.filter(
                task__requester_id=org_id,
                status__in=[Status.SUBMITTED, Status.APPROVED, Status.REJECTED],
            ).values_list("worker_id", flat=True)
        )
        candidates = [w for w in self.workers if w.pk in workers_for_it]
        if not candidates or data.draw(st.integers(0, 3), label="any worker") == 0:
            candidates = self.workers
        worker = data.draw(st.sampled_from(candidates), label="worker")
        used = sorted(key for (org, key) in self.bonus_keys if org == org_id)
        key = f"bonus-{uuid.uuid4().hex}"
        if used and data.draw(st.integers(0, 5), label="reuse a key") == 0:
            key = data.draw(st.sampled_from(used), label="key")
        body = {"worker_id": worker.pk, "amount": amount, "reason": "thanks"}
        worked = Assignment.objects.filter(
            worker=worker,
            task__requester=requester.organization,
            status__in=[Status.SUBMITTED, Status.APPROVED, Status.REJECTED],
        ).exists()
        micros = parse_amount_micros(amount)
        total = micros + fee(micros)
        available = self._available(requester)
        before = world_state()
        response = requester.client.post("/api/v1/bonuses", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
        note(f"bonus {response.status_code}")
        if (org_id, key) in self.bonus_keys:
            first_body, first_status, first_json = self.bonus_keys[(org_id, key)]
            if body == first_body:
                assert (response.status_code, response.json()) == (first_status, first_json)
            else:
                assert (response.status_code, response.json()["error"]["code"]) == (422, "idempotency_key_reused")
            assert world_state() == before
            return
        if not worked:
            assert response.status_code == 400, response.content
            assert list(response.json()["error"]["fields"]) == ["worker_id"]
        elif total > available:
            assert (response.status_code, response.json()["error"]["code"]) == (402, "insufficient_balance")
        else:
            assert response.status_code == 201, response.content
            assert (response.json()["amount"], response.json()["fee"]) == (amount, format_micros(fee(micros)))
            self.bonus_cost[org_id] += total
            self.bonus_earned[worker.pk] += micros
            self.bonus_fees += fee(micros)
        if response.status_code != 201:
            assert world_state() == before
        self.bonus_keys[(org_id, key)] = (body, response.status_code, response.json())

    # --- payouts ---

    @precondition(
        lambda self: (
            Payout.objects.exists()
            or LedgerAccount.objects.filter(kind=Kind.WORKER_EARNINGS, balance_micros__gt=0).exists()
        )
    )
    @rule(data=st.data(), operate=st.booleans())
    def payouts(self, data, operate):
        if operate and Payout.objects.exists():
            step = data.draw(st.sampled_from(["next", "approve", "paid", "cancel"]), label="step")
            self._operate_payout(data, step)
        else:
            self._request_payout(data)

    def _request_payout(self, data) -> None:
        earning = [w for w in self.workers if self._earnings(w.pk) >= PAYOUT_MINIMUM_MICROS]
        if not earning or data.draw(st.integers(0, 3), label="any worker") == 0:
            earning = self.workers
        worker = data.draw(st.sampled_from(earning), label="worker")
        earnings = self._earnings(worker.pk)
        choices = [PAYOUT_MINIMUM_MICROS - 1, earnings + 1]
        if earnings >= PAYOUT_MINIMUM_MICROS:
            choices += [earnings, max(PAYOUT_MINIMUM_MICROS, earnings // 2)]
        amount = data.draw(st.sampled_from(choices), label="amount")
        before = world_state()
        response = worker.client.post("/api/v1/worker/payouts", {"amount": format_micros(amount)}, format="json")
        note(f"payout request {response.status_code}")
        if amount < PAYOUT_MINIMUM_MICROS:
            assert response.status_code == 400, response.content
        elif amount > earnings:
            assert (response.status_code, response.json()["error"]["code"]) == (402, "insufficient_balance")
        else:
            assert response.status_code == 201, response.content
            assert self._earnings(worker.pk) == earnings - amount
            return
        assert world_state() == before

    def _operate_payout(self, data, step: str) -> None:
        payout = Payout.objects.get(pk=self._pick(data, Payout.objects.all(), "payout"))
        if step == "next":  # what an operator would normally do with it now
            step = {"requested": "approve", "approved": "paid"}.get(payout.status, "cancel")
        allowed = {"approve": ("requested",), "paid": ("approved",), "cancel": ("requested", "approved")}[step]
        target = {"approve": "approved", "paid": "paid", "cancel": "cancelled"}[step]
        before = world_state()
        call = {
            "approve": lambda: payout_services.payout_approve(payout_id=payout.pk),
            "paid": lambda: payout_services.payout_mark_paid(payout_id=payout.pk, external_reference="bank-1"),
            "cancel": lambda: payout_services.payout_cancel(payout_id=payout.pk),
        }[step]
        note(f"payout {step} {payout.status}")
        if payout.status in (*allowed, target):
            assert call().status == target
        else:
            with pytest.raises(DomainError) as refused:
                call()
            assert refused.value.code == "payout_not_pending"
        if payout.status not in allowed:
            assert world_state() == before

    # --- failing half way ---

    @rule(
        data=st.data(),
        operation=st.sampled_from(["approve", "reject", "bonus", "deposit", "add_slots", "post", "payout", "stop"]),
    )
    def fail_half_way(self, data, operation):
        requester = data.draw(st.sampled_from(self.requesters), label="requester")
        org = requester.organization
        submitted = list(
            Assignment.objects.filter(task__requester=org, status=Status.SUBMITTED)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        tasks = list(Task.objects.filter(requester=org).order_by("pk"))
        worker = data.draw(st.sampled_from(self.workers), label="worker")
        calls = {
            "approve": submitted
            and (lambda: assignment_approve(requester=org, assignment_id=data.draw(st.sampled_from(submitted)))),
            "reject": submitted
            and (lambda: assignment_reject(requester=org, assignment_id=data.draw(st.sampled_from(submitted)))),
            "bonus": lambda: bonus_pay(
                requester=org,
                worker_id=worker.pk,
                amount_micros=50_000,
                reason="x",
                assignment_id=None,
                idempotency_key=uuid.uuid4().hex,
            ),
            "deposit": lambda: deposit(
                organization_id=org.pk, amount_micros=DOLLARS, reference=f"lost-{uuid.uuid4().hex}"
            ),
            "add_slots": tasks and (lambda: task_add_slots(task=data.draw(st.sampled_from(tasks)), add=1)),
            "post": lambda: tasks_post(requester=org, specs=[task_spec({"title": "t", "reward": "0.01"})]),
            "payout": lambda: payout_services.payout_request(worker=worker, amount="0.01"),
            "stop": tasks and (lambda: task_stop(task=data.draw(st.sampled_from(tasks)))),
        }
        call = calls[operation]
        if not call:
            return
        note(f"fail half way: {operation}")
        before = world_state()
        keys_before = IdempotencyRecord.objects.count()
        with pytest.raises((Boom, DomainError)):
            with transaction.atomic():
                call()
                raise Boom
        assert world_state() == before
        assert IdempotencyRecord.objects.count() == keys_before

    # --- after every step ---

    @invariant()
    def the_ledger_holds(self):
        assert ledger_violations() == []

    @invariant()
    def the_money_matches_what_the_test_did(self):
        approved = list(
            Assignment.objects.filter(status=Status.APPROVED).values_list(
                "worker_id", "task__requester_id", "task__reward_micros", "task__fee_micros"
            )
        )
        spent: Counter = Counter()
        earned: Counter = Counter()
        fees = self.bonus_fees
        for worker_id, org_id, reward, fee_micros in approved:
            spent[org_id] += reward + fee_micros
            earned[worker_id] += reward
            fees += fee_micros
        for requester in self.requesters:
            org_id = requester.organization.pk
            balance = requester_balance(requester.organization)
            assert (
                balance.available_micros + balance.on_hold_micros + spent[org_id] + self.bonus_cost[org_id]
                == self.deposited[org_id]
            ), f"requester {org_id}: {balance}, spent {spent[org_id]}"
        out = dict(
            Payout.objects.exclude(status=Payout.Status.CANCELLED)
            .values("worker_id")
            .annotate(total=Sum("amount_micros"))
            .values_list("worker_id", "total")
        )
        for worker in self.workers:
            assert self._earnings(worker.pk) == earned[worker.pk] + self.bonus_earned[worker.pk] - out.get(worker.pk, 0)
        by_status = dict(
            Payout.objects.values("status").annotate(total=Sum("amount_micros")).values_list("status", "total")
        )
        platform = dict(
            LedgerAccount.objects.filter(kind__in=LedgerAccount.PLATFORM_KINDS).values_list("kind", "balance_micros")
        )
        assert platform.get(Kind.PLATFORM_FEES, 0) == fees
        assert platform.get(Kind.PAYOUTS_REQUESTED, 0) == by_status.get("requested", 0)
        assert platform.get(Kind.PAYOUTS_APPROVED, 0) == by_status.get("approved", 0)
        assert platform.get(Kind.OUTSIDE_WORLD, 0) == by_status.get("paid", 0) - sum(self.deposited.values())
