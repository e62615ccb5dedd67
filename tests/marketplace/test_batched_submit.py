"""Several answers in one call of the submit service (``assignments_submit``, the websocket
answer batcher's call): each fares as it would alone, in one transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace.errors import Conflict, InvalidInput, NotFound
from marketplace.models import Assignment, Task
from marketplace.models.reputation import WorkerBatchQuality, WorkerReputation
from marketplace.services.assignments import Submission, assignment_submit, assignments_submit
from marketplace.services.dispatch import assignment_claim

SCHEMA = {"type": "object", "properties": {"label": {"enum": ["cat", "dog"]}}, "required": ["label"]}


def _reputation(worker) -> tuple[int, int, int]:
    row = WorkerReputation.objects.filter(worker=worker).first()
    return (row.submitted, row.gold_answered, row.gold_correct) if row else (0, 0, 0)


def test_each_answer_fares_as_it_would_alone(requester, make_tasks, make_worker):
    # given: six workers on six tasks, one answer of each kind (the sixth's is asked for by another)
    make_tasks(requester.organization, 6, slots=1, answer_schema=SCHEMA)
    workers = [make_worker() for _ in range(6)]
    held = [assignment_claim(worker=worker) for worker in workers]
    assignment_submit(worker=workers[1], assignment_id=held[1].pk, answer={"label": "cat"})
    Assignment.objects.filter(pk=held[4].pk).update(deadline=timezone.now() - timedelta(seconds=1))
    before = {a.pk: (a.status, a.answer) for a in Assignment.objects.all()}

    # when
    results = assignments_submit(
        submissions=[
            Submission(workers[0], held[0].pk, {"label": "dog"}),  # new
            Submission(workers[1], held[1].pk, {"label": "cat"}),  # the identical answer again
            Submission(workers[2], held[5].pk, {"label": "cat"}),  # someone else's assignment
            Submission(workers[3], held[3].pk, {"label": "bird"}),  # fails the schema
            Submission(workers[4], held[4].pk, {"label": "cat"}),  # past its deadline
        ]
    )

    # then
    assert [type(result) for result in results] == [Assignment, Assignment, NotFound, InvalidInput, Conflict]
    assert results[4].code == "deadline_passed"
    after = {a.pk: (a.status, a.answer) for a in Assignment.objects.all()}
    assert after == {**before, held[0].pk: ("submitted", {"label": "dog"})}
    assert list(Task.objects.order_by("pk").values_list("slots_submitted", "status")) == [
        (1, "complete"),
        (1, "complete"),
        (0, "full"),
        (0, "full"),
        (0, "full"),
        (0, "full"),
    ]
    assert [_reputation(worker)[0] for worker in workers] == [1, 1, 0, 0, 0, 0]


def test_answers_to_one_task_and_from_one_worker_are_counted_together(requester, make_tasks, make_worker):
    # given: two workers on a two-slot task, the first also on a second task
    first_task, second_task = make_tasks(requester.organization, 2, slots=2)
    one, two = make_worker(), make_worker()
    a1 = assignment_claim(worker=one)
    a2 = assignment_claim(worker=two)
    a3 = assignment_claim(worker=one)
    assert (a1.task_id, a2.task_id, a3.task_id) == (first_task.pk, first_task.pk, second_task.pk)

    # when
    results = assignments_submit(
        submissions=[
            Submission(one, a3.pk, {"n": 3}),
            Submission(two, a2.pk, {"n": 2}),
            Submission(one, a1.pk, {"n": 1}),
        ]
    )

    # then
    assert [result.pk for result in results] == [a3.pk, a2.pk, a1.pk]
    assert list(Task.objects.order_by("pk").values_list("slots_submitted", "status")) == [(2, "complete"), (1, "open")]
    assert (_reputation(one), _reputation(two)) == ((2, 0, 0), (1, 0, 0))


def test_gold_answers_count_in_the_batch_quality_rows(requester, make_tasks, make_worker):
    # given: two gold tasks of one batch, answered right and wrong by one worker
    make_tasks(requester.organization, 2, slots=1, answer_schema=SCHEMA, gold_answer={"label": "cat"})
    worker = make_worker()
    first, second = assignment_claim(worker=worker), assignment_claim(worker=worker)

    # when
    assignments_submit(
        submissions=[Submission(worker, first.pk, {"label": "cat"}), Submission(worker, second.pk, {"label": "dog"})]
    )

    # then
    quality = WorkerBatchQuality.objects.get(worker=worker)
    assert (quality.gold_answered, quality.gold_correct) == (2, 1)
    assert _reputation(worker) == (2, 2, 1)
    assert sorted(Assignment.objects.values_list("gold_correct", flat=True)) == [False, True]


def test_one_assignment_twice_in_one_call_is_refused(requester, make_tasks, make_worker):
    make_tasks(requester.organization, 1)
    worker = make_worker()
    held = assignment_claim(worker=worker)
    with pytest.raises(ValueError):
        assignments_submit(submissions=[Submission(worker, held.pk, {"a": 1}), Submission(worker, held.pk, {"a": 2})])
    assert Assignment.objects.get(pk=held.pk).status == "accepted"
