"""A worker is never offered a task that excludes it (``TaskWorkerExclusion``: a review of its
own annotation), by the REST claim, the claim for several workers at once (the websocket
dispatcher's), the list of available work, or the websocket itself."""

from __future__ import annotations

import pytest
from django.utils import timezone

from marketplace.models import Assignment, TaskWorkerExclusion
from marketplace.selectors.workers import worker_available_work
from marketplace.services.dispatch import assignments_claim, worker_eligibility
from tests.realtime.conftest import Socket, run
from tests.support.worker_api import claim, claim_offer

pytestmark = pytest.mark.django_db


def test_the_rest_claim_never_offers_a_task_excluding_the_worker(make_requester, make_worker, make_tasks):
    # given: two open tasks, each with room for everybody; the author is excluded from both
    requester = make_requester()
    tasks = make_tasks(requester.organization, 2, slots=3)
    author, reviewer = make_worker(), make_worker()
    TaskWorkerExclusion.objects.bulk_create(TaskWorkerExclusion(task=task, worker=author) for task in tasks)

    # when
    refused = claim(author)
    offered = [claim_offer(reviewer), claim_offer(reviewer)]

    # then
    assert refused.status_code == 204
    assert sorted(offer["task_id"] for offer in offered) == sorted(task.pk for task in tasks)
    assert set(Assignment.objects.values_list("worker_id", flat=True)) == {reviewer.pk}


def test_the_claim_for_several_workers_skips_each_ones_exclusions(make_requester, make_worker, make_tasks):
    # given: one task with two slots; the first of three workers is excluded from it
    requester = make_requester()
    (task,) = make_tasks(requester.organization, 1, slots=2)
    author, first, second = make_worker(), make_worker(), make_worker()
    TaskWorkerExclusion.objects.create(task=task, worker=author)

    # when: the three claim together, the excluded one first in line
    claimed = assignments_claim(workers=[author, first, second])

    # then
    assert claimed[author.pk] is None
    assert {claimed[first.pk].task_id, claimed[second.pk].task_id} == {task.pk}
    assert sorted(Assignment.objects.values_list("worker_id", flat=True)) == sorted([first.pk, second.pk])


def test_available_work_leaves_out_tasks_excluding_the_worker(make_requester, make_worker, make_tasks):
    # given
    requester = make_requester()
    excluding, other = make_tasks(requester.organization, 2, slots=1)
    author = make_worker()
    TaskWorkerExclusion.objects.create(task=excluding, worker=author)
    now = timezone.now()

    # when
    work = worker_available_work(author, eligibility=worker_eligibility(author, now=now), now=now)

    # then: one task open to it, and the first one offered is the other one
    assert [group.open_tasks for group in work] == [1]
    assert claim_offer(author)["task_id"] == other.pk


@pytest.mark.usefixtures("transactional_db")
def test_the_websocket_offers_the_reviewer_and_tells_the_author_idle(make_requester, make_worker, make_tasks):
    # given
    requester = make_requester()
    (task,) = make_tasks(requester.organization, 1, slots=2)
    author, reviewer = make_worker(), make_worker()
    TaskWorkerExclusion.objects.create(task=task, worker=author)

    async def scenario():
        author_socket = await Socket.open(token=author.token)
        await author_socket.send(type="ready", ref="a")
        told_author = await author_socket.receive()
        reviewer_socket = await Socket.open(token=reviewer.token)
        await reviewer_socket.send(type="ready", ref="r")
        told_reviewer = await reviewer_socket.receive()
        quiet = await author_socket.nothing_within(0.5)
        await author_socket.close()
        await reviewer_socket.close()
        return told_author, told_reviewer, quiet

    # when
    told_author, told_reviewer, quiet = run(scenario())

    # then
    assert told_author == {"type": "idle", "ref": "a"}
    assert (told_reviewer["type"], told_reviewer["task_id"]) == ("task", task.pk)
    assert quiet is True
    assert list(Assignment.objects.values_list("worker_id", flat=True)) == [reviewer.pk]
