"""A batched operation isolates each member (issue 13, defect 2): one answer or claim the
database refuses is refused alone, and every other member of the batch is recorded.

The member at fault fails deep in PostgreSQL, not at the edge: an answer jsonb cannot hold (a
lone surrogate, which the edge refuses too, but the service must not rely on it), and a row a
trigger refuses (standing in for any constraint or data error on one row).
"""

from __future__ import annotations

import pytest

from marketplace.errors import InvalidInput
from marketplace.models import Assignment, Task
from marketplace.models.reputation import WorkerReputation
from marketplace.services.assignments import Submission, assignment_submit, assignments_submit
from marketplace.services.dispatch import assignment_claim, assignments_claim
from tests.conftest import needs_postgres, refusing_rows

pytestmark = needs_postgres

SCHEMA = {"type": "object", "properties": {"label": {"type": "string"}}, "required": ["label"]}


def _state() -> dict:
    return {
        "assignments": {a.pk: (a.status, a.answer) for a in Assignment.objects.all()},
        "tasks": dict(Task.objects.values_list("pk", "slots_submitted")),
        "reputation": dict(WorkerReputation.objects.values_list("worker_id", "submitted")),
    }


def test_answers_the_database_refuses_are_refused_alone_and_the_others_recorded(requester, make_tasks, make_worker):
    # given: four workers on four tasks; one answer holds a lone surrogate (jsonb refuses it),
    # one is refused by a trigger on its row
    make_tasks(requester.organization, 4, slots=1, answer_schema=SCHEMA)
    workers = [make_worker() for _ in range(4)]
    held = [assignment_claim(worker=worker) for worker in workers]
    before = _state()

    # when
    with refusing_rows(event="UPDATE", condition="NEW.answer ->> 'label' = 'poison'"):
        results = assignments_submit(
            submissions=[
                Submission(workers[0], held[0].pk, {"label": "cat"}),
                Submission(workers[1], held[1].pk, {"label": "\ud800"}),
                Submission(workers[2], held[2].pk, {"label": "poison"}),
                Submission(workers[3], held[3].pk, {"label": "dog"}),
            ]
        )

    # then: the surrogate is bad input on `answer`, the trigger's refusal an error of its own
    assert [type(result).__name__ for result in results] == [
        "Assignment",
        "InvalidInput",
        "IntegrityError",
        "Assignment",
    ]
    assert results[1].fields == {"answer": [results[1].fields["answer"][0]]}
    after = _state()
    assert after["assignments"] == {
        **before["assignments"],
        held[0].pk: ("submitted", {"label": "cat"}),
        held[3].pk: ("submitted", {"label": "dog"}),
    }
    assert after["tasks"] == {**before["tasks"], held[0].task_id: 1, held[3].task_id: 1}
    assert after["reputation"] == {**before["reputation"], workers[0].pk: 1, workers[3].pk: 1}


def test_one_answer_refused_by_the_database_is_a_400_on_answer_and_changes_nothing(requester, make_tasks, make_worker):
    # given
    make_tasks(requester.organization, 1, slots=1, answer_schema=SCHEMA)
    worker = make_worker()
    held = assignment_claim(worker=worker)
    before = _state()

    # when
    with pytest.raises(InvalidInput) as refused:
        assignment_submit(worker=worker, assignment_id=held.pk, answer={"label": "\udfff"})

    # then
    assert set(refused.value.fields) == {"answer"}
    assert _state() == before


def test_a_claim_the_database_refuses_is_refused_alone_and_the_others_get_work(requester, make_tasks, make_worker):
    # given: three workers, three open tasks; the second worker's assignment row is refused
    make_tasks(requester.organization, 3, slots=1)
    first, refused, third = make_worker(), make_worker(), make_worker()

    # when
    with refusing_rows(event="INSERT", condition=f"NEW.worker_id = {refused.pk}"):
        results = assignments_claim(workers=[first, refused, third])

    # then
    assert isinstance(results[first.pk], Assignment) and isinstance(results[third.pk], Assignment)
    assert type(results[refused.pk]).__name__ == "IntegrityError"
    assert sorted(Assignment.objects.values_list("worker_id", flat=True)) == sorted([first.pk, third.pk])
    assert sorted(Task.objects.values_list("slots_used", flat=True)) == [0, 1, 1]
