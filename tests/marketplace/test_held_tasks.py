"""Held tasks (CONTRACTS.md §2): posted and reserved, offered to nobody and never expiring until
``tasks_release`` opens them; closing, stopping and finishing release their escrow."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from aws.mturk.shapes import hit_status
from marketplace.inputs.tasks import task_spec
from marketplace.models import Batch, Organization, Task
from marketplace.selectors.batches import batch_progress
from marketplace.selectors.ledger import requester_balance
from marketplace.services.batches import (
    batch_finish,
    batch_open,
    batch_stop,
    batch_tasks_create,
    tasks_close_early,
    tasks_release,
)
from marketplace.services.escrow import slot_cost_micros
from marketplace.services.ledger import InsufficientBalance
from marketplace.services.sweeps import run_sweeps
from marketplace.services.tasks import task_add_slots
from marketplace.services.workteams import public_workforce
from tests.marketplace.ledger_invariants import ledger_violations
from tests.support.factories import client_with
from tests.support.worker_api import claim, claim_offer, submit_ok

LIFETIME_SECONDS = 3600


def post_held(organization: Organization, n: int, *, slots: int = 1) -> tuple[Batch, list[Task]]:
    """``n`` held tasks in a new sealed batch on the public workforce, as a labeling job posts
    them (in one transaction: all or nothing)."""
    spec = task_spec({"title": "held", "reward": "0.05", "slots": slots, "lifetime_seconds": LIFETIME_SECONDS})
    specs = [replace(spec, input={"text": f"object {i}"}) for i in range(n)]
    with transaction.atomic():
        batch = batch_open(
            requester=organization, workteam=public_workforce(), auto_approval_delay_seconds=3600, is_sealed=True
        )
        return batch, batch_tasks_create(batch=batch, specs=specs, held=True)


def statuses(tasks: list[Task]) -> list[str]:
    return list(Task.objects.filter(pk__in=[task.pk for task in tasks]).order_by("pk").values_list("status", flat=True))


def test_held_tasks_are_reserved_like_open_ones_but_nobody_can_claim_them(make_requester, make_worker):
    # given
    requester = make_requester()
    worker = make_worker()
    before = requester_balance(requester.organization)

    # when
    _, tasks = post_held(requester.organization, 3, slots=2)

    # then
    assert statuses(tasks) == ["held"] * 3
    reserved = 3 * 2 * slot_cost_micros(tasks[0])
    after = requester_balance(requester.organization)
    assert (after.available_micros, after.on_hold_micros) == (before.available_micros - reserved, reserved)
    assert claim(worker).status_code == 204
    assert ledger_violations() == []


def test_release_makes_a_held_task_claimable_with_its_lifetime_starting_then(make_requester, make_worker):
    # given
    requester = make_requester()
    worker = make_worker()
    batch, tasks = post_held(requester.organization, 2)
    on_hold = requester_balance(requester.organization).on_hold_micros
    started = timezone.now()

    # when
    released = tasks_release(batch=batch, task_ids=[tasks[1].pk])

    # then
    assert released == [tasks[1].pk]
    assert statuses(tasks) == ["held", "open"]
    expires_at = Task.objects.get(pk=tasks[1].pk).expires_at
    assert (
        started + timedelta(seconds=LIFETIME_SECONDS)
        <= expires_at
        <= timezone.now() + timedelta(seconds=LIFETIME_SECONDS)
    )
    assert requester_balance(requester.organization).on_hold_micros == on_hold  # releasing moves no money
    offer = claim_offer(worker)
    assert offer is not None and offer["task_id"] == tasks[1].pk
    assert claim_offer(make_worker()) is None  # the other one is still held
    assert ledger_violations() == []


def test_release_is_idempotent_and_ignores_tasks_that_are_not_held_or_not_the_batchs(make_requester):
    # given
    requester = make_requester()
    batch, tasks = post_held(requester.organization, 3)
    other_batch, others = post_held(requester.organization, 1)
    tasks_release(batch=batch, task_ids=[tasks[0].pk])
    tasks_close_early(batch=batch, task_ids=[tasks[1].pk])

    # when
    released = tasks_release(batch=batch, task_ids=[tasks[0].pk, tasks[1].pk, tasks[2].pk, others[0].pk, 10**9])
    again = tasks_release(batch=batch, task_ids=[task.pk for task in tasks])

    # then
    assert (released, again) == ([tasks[2].pk], [])
    assert statuses(tasks) == ["open", "complete", "open"]
    assert statuses(others) == ["held"]
    assert other_batch.pk != batch.pk


def test_a_held_task_never_expires_while_held(make_requester, make_worker):
    # given: a held task whose (not yet started) lifetime would have ended long ago
    requester = make_requester()
    batch, tasks = post_held(requester.organization, 1)
    Task.objects.filter(pk=tasks[0].pk).update(expires_at=timezone.now() - timedelta(days=30))

    # when
    run_sweeps()

    # then
    assert statuses(tasks) == ["held"]
    tasks_release(batch=batch, task_ids=[tasks[0].pk])
    run_sweeps()
    assert statuses(tasks) == ["open"]
    assert claim_offer(make_worker()) is not None


@pytest.mark.parametrize("end", ["stop", "finish", "close_early"])
def test_stop_finish_and_close_early_end_held_tasks_and_give_their_escrow_back(make_requester, make_worker, end):
    # given: two held tasks, and one released and answered
    requester = make_requester()
    worker = make_worker()
    batch, tasks = post_held(requester.organization, 3)
    tasks_release(batch=batch, task_ids=[tasks[2].pk])
    submit_ok(worker, claim_offer(worker)["assignment_id"], {"label": "x"})
    available = requester_balance(requester.organization).available_micros
    cost = slot_cost_micros(tasks[0])

    # when
    if end == "stop":
        batch_stop(batch=batch)
    elif end == "finish":
        batch_finish(batch=batch)
    else:
        tasks_close_early(batch=batch, task_ids=[tasks[0].pk, tasks[1].pk])

    # then: the held tasks' reserves are back; the answered one still holds its unsettled answer's
    expected = {"stop": "stopped", "finish": "stopped", "close_early": "complete"}[end]
    assert statuses(tasks)[:2] == [expected, expected]
    after = requester_balance(requester.organization)
    assert after.available_micros == available + 2 * cost
    assert after.on_hold_micros == cost
    assert batch_progress(batch).held_tasks == 0
    assert claim(make_worker()).status_code == 204
    assert ledger_violations() == []


def test_a_held_task_is_counted_apart_from_open_work(make_requester):
    # given
    requester = make_requester()
    batch, tasks = post_held(requester.organization, 3)

    # when
    tasks_release(batch=batch, task_ids=[tasks[0].pk])
    progress = batch_progress(batch)

    # then
    assert (progress.open_tasks, progress.held_tasks, progress.tasks["held"]) == (1, 2, 2)


def test_adding_slots_to_a_held_task_keeps_it_held_and_reserves_them(make_requester, make_worker):
    # given
    requester = make_requester()
    _, tasks = post_held(requester.organization, 1)
    on_hold = requester_balance(requester.organization).on_hold_micros

    # when
    task = task_add_slots(task=tasks[0], add=2)

    # then
    assert (task.status, task.slots) == ("held", 3)
    assert requester_balance(requester.organization).on_hold_micros == on_hold + 2 * slot_cost_micros(task)
    assert claim(make_worker()).status_code == 204
    assert ledger_violations() == []


def test_held_tasks_the_balance_cannot_cover_are_refused_and_nothing_is_created(make_requester):
    # given: a requester with 1 cent
    requester = make_requester(balance_micros=10_000)

    # when / then
    with pytest.raises(InsufficientBalance):
        post_held(requester.organization, 1)
    assert Task.objects.filter(requester=requester.organization).count() == 0


def test_the_tasks_api_lists_held_tasks_under_their_status(make_requester):
    # given
    requester = make_requester()
    _, tasks = post_held(requester.organization, 2)

    # when
    response = client_with(requester.api_key).get("/api/v1/tasks", {"status": "held"})

    # then
    assert response.status_code == 200
    assert sorted(item["id"] for item in response.json()["results"]) == sorted(task.pk for task in tasks)
    assert {item["status"] for item in response.json()["results"]} == {"held"}


def test_mturk_shows_a_held_task_as_unassignable(make_requester):
    # given
    requester = make_requester()
    _, tasks = post_held(requester.organization, 1)

    # when / then
    assert hit_status(Task.objects.get(pk=tasks[0].pk), Counter()) == "Unassignable"
