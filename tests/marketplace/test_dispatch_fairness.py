"""The claim finds work wherever it is, however many requesters come first."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from marketplace.models import RequesterDispatchState
from marketplace.services.assignments import assignment_submit
from marketplace.services.dispatch import CANDIDATE_REQUESTERS_PER_CLAIM, assignment_claim


def test_work_beyond_the_first_requesters_is_found(make_requester, make_worker, make_tasks):
    # given: more requesters than a claim looks at, each with open work this worker already did
    worker = make_worker()
    crowded = [make_requester() for _ in range(CANDIDATE_REQUESTERS_PER_CLAIM + 1)]
    for requester in crowded:
        make_tasks(requester.organization, 1, slots=2)
        assignment = assignment_claim(worker=worker)
        assignment_submit(worker=worker, assignment_id=assignment.pk, answer={"done": True})
    RequesterDispatchState.objects.update(last_served_at=timezone.now() - timedelta(hours=1))
    fresh = make_requester()
    task = make_tasks(fresh.organization, 1, slots=1)[0]
    RequesterDispatchState.objects.filter(requester=fresh.organization).update(last_served_at=timezone.now())

    # when
    claimed = assignment_claim(worker=worker)

    # then
    assert claimed is not None and claimed.task_id == task.pk
