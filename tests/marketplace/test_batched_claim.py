"""The claim for several workers at once (``assignments_claim``): the same rule and cap as one
worker claiming after another, in one transaction."""

from __future__ import annotations

import pytest
from django.test import override_settings

from marketplace.errors import Conflict
from marketplace.models import Assignment, Task
from marketplace.services.assignments import assignment_submit
from marketplace.services.dispatch import assignment_claim, assignments_claim
from marketplace.services.workteams import (
    public_workforce,
    workteam_add_member,
    workteam_create,
    workteam_remove_member,
)


def _task_of(result) -> int:
    assert isinstance(result, Assignment), result
    return result.task_id


def test_workers_share_tasks_slot_by_slot_best_first(requester, make_worker, make_tasks):
    # given: three tasks of two slots each
    t1, t2, t3 = make_tasks(requester.organization, 3, slots=2)
    workers = [make_worker() for _ in range(5)]

    # when
    results = assignments_claim(workers=workers)

    # then: in order, two workers per task, the oldest task first
    assert [_task_of(results[w.pk]) for w in workers] == [t1.pk, t1.pk, t2.pk, t2.pk, t3.pk]
    assert [results[w.pk].worker_id for w in workers] == [w.pk for w in workers]
    assert list(Task.objects.order_by("pk").values_list("slots_used", "status")) == [
        (2, "full"),
        (2, "full"),
        (1, "open"),
    ]
    assert Assignment.objects.filter(status="accepted").count() == 5


def test_a_task_a_worker_held_before_goes_to_the_others(requester, make_worker, make_tasks):
    # given: the first worker already answered the first task
    t1, t2 = make_tasks(requester.organization, 2, slots=2)
    veteran, newcomer = make_worker(), make_worker()
    first = assignment_claim(worker=veteran)
    assignment_submit(worker=veteran, assignment_id=first.pk, answer={"done": True})

    # when
    results = assignments_claim(workers=[veteran, newcomer])

    # then
    assert (_task_of(results[veteran.pk]), _task_of(results[newcomer.pk])) == (t2.pk, t1.pk)


def test_a_worker_whose_candidates_it_all_held_is_claimed_for_alone(requester, make_worker, make_tasks):
    # given: two workers; the candidates read for two (the two oldest tasks) were both held by
    # the first; a third task is open for it further on
    t1, t2, t3 = make_tasks(requester.organization, 3, slots=3)
    veteran, newcomer = make_worker(), make_worker()
    for _ in range(2):
        done = assignment_claim(worker=veteran)
        assignment_submit(worker=veteran, assignment_id=done.pk, answer={"done": True})

    # when
    results = assignments_claim(workers=[veteran, newcomer])

    # then
    assert (_task_of(results[veteran.pk]), _task_of(results[newcomer.pk])) == (t3.pk, t1.pk)


def test_requesters_take_turns_as_in_one_claim_after_another(make_requester, make_worker, make_tasks):
    # given: two requesters with work, the second served longer ago
    first, second = make_requester(), make_requester()
    a1, a2 = make_tasks(first.organization, 2, slots=1)
    b1, b2 = make_tasks(second.organization, 2, slots=1)
    warmup = make_worker()
    assert assignment_claim(worker=warmup).task_id == a1.pk  # the first was served just now
    workers = [make_worker() for _ in range(3)]

    # when
    results = assignments_claim(workers=workers)

    # then: the second, then the first, then the second again
    assert [_task_of(results[w.pk]) for w in workers] == [b1.pk, a2.pk, b2.pk]


def test_at_the_cap_a_worker_gets_a_conflict_and_the_others_claim(requester, make_worker, make_tasks):
    # given
    make_tasks(requester.organization, 4, slots=1)
    busy, free = make_worker(), make_worker()
    with override_settings(GROUNDWORK={**_groundwork(), "MAX_LIVE_ASSIGNMENTS_PER_WORKER": 1}):
        held = assignment_claim(worker=busy)

        # when
        results = assignments_claim(workers=[busy, free])

    # then
    assert isinstance(results[busy.pk], Conflict) and results[busy.pk].code == "too_many_live_assignments"
    assert isinstance(results[free.pk], Assignment)
    assert list(Assignment.objects.filter(worker=busy).values_list("pk", flat=True)) == [held.pk]


def test_nothing_open_is_none_for_everyone(requester, make_worker, make_tasks):
    # given: one open slot, three workers, one of them in no active workteam
    (only,) = make_tasks(requester.organization, 1, slots=1)
    outsider = make_worker()
    workteam_remove_member(workteam=public_workforce(), worker_id=outsider.pk)
    workers = [make_worker(), make_worker(), outsider]

    # when
    results = assignments_claim(workers=workers)

    # then
    assert _task_of(results[workers[0].pk]) == only.pk
    assert results[workers[1].pk] is None and results[outsider.pk] is None
    assert Assignment.objects.count() == 1


def test_workers_of_other_workteams_are_claimed_for_by_their_own_rule(requester, make_worker, make_tasks):
    # given: one task on a private workteam, one on the public one; one member of the private team
    member, stranger = make_worker(), make_worker()
    private = workteam_create(owner=requester.organization, name="inner circle")
    workteam_add_member(workteam=private, worker=member)
    (private_task,) = make_tasks(requester.organization, 1, slots=2, workteam_id=private.pk, priority=10)
    (public_task,) = make_tasks(requester.organization, 1, slots=2)

    # when
    results = assignments_claim(workers=[stranger, member])

    # then
    assert (_task_of(results[member.pk]), _task_of(results[stranger.pk])) == (private_task.pk, public_task.pk)


def test_a_worker_twice_in_one_call_is_refused(make_worker):
    worker = make_worker()
    with pytest.raises(ValueError):
        assignments_claim(workers=[worker, worker])


def _groundwork() -> dict:
    from django.conf import settings

    return settings.GROUNDWORK
