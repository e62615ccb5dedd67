"""The per-process batcher, with a stand-in for a batched service's database call."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from marketplace.realtime.batching import Batcher
from tests.realtime.conftest import run


@dataclass(frozen=True)
class Ask:
    batch_key: int
    name: str


class Service:
    """Records each batch it is given; answers each request with its name, or raises."""

    def __init__(self, *, fail: bool = False, poison: str | None = None) -> None:
        self.batches: list[list[str]] = []
        self.running = 0
        self.most_running = 0
        self.fail = fail
        self.poison = poison  # a request whose presence fails the whole batch

    async def __call__(self, requests: list[Ask]) -> list[object]:
        self.batches.append([request.name for request in requests])
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        await asyncio.sleep(0.01)
        self.running -= 1
        if self.fail:
            raise ConnectionError("the database is away")
        if self.poison in [r.name for r in requests]:
            raise ValueError(f"{self.poison} fails every batch it is in")
        return [f"task for {r.name}" if r.name != "capped" else LookupError(r.name) for r in requests]


def test_requests_of_one_turn_go_together_and_each_caller_gets_its_own_result():
    async def scenario():
        service = Service()
        batcher = Batcher(service, max_size=10, max_in_flight=1)
        results = await asyncio.gather(*(batcher(Ask(i, f"w{i}")) for i in range(3)))
        return service.batches, results

    batches, results = run(scenario())

    assert batches == [["w0", "w1", "w2"]]
    assert results == ["task for w0", "task for w1", "task for w2"]


def test_a_worker_is_in_a_batch_once_and_batches_are_bounded():
    async def scenario():
        service = Service()
        batcher = Batcher(service, max_size=2, max_in_flight=1)
        asks = [Ask(1, "a"), Ask(1, "a-again"), Ask(2, "b"), Ask(3, "c")]
        await asyncio.gather(*(batcher(ask) for ask in asks))
        return service.batches, service.most_running

    batches, most_running = run(scenario())

    assert batches == [["a", "b"], ["a-again", "c"]]
    assert most_running == 1


def test_requests_arriving_while_a_batch_runs_go_in_the_next_one():
    async def scenario():
        service = Service()
        batcher = Batcher(service, max_size=10, max_in_flight=1)
        first = asyncio.ensure_future(batcher(Ask(1, "early")))
        await asyncio.sleep(0.005)  # the first batch is running
        later = [asyncio.ensure_future(batcher(Ask(i, f"late{i}"))) for i in (2, 3)]
        await asyncio.gather(first, *later)
        return service.batches

    assert run(scenario()) == [["early"], ["late2", "late3"]]


def test_a_per_request_error_and_a_failed_batch_reach_their_callers():
    async def scenario():
        batcher = Batcher(Service(), max_size=10, max_in_flight=2)
        mixed = await asyncio.gather(batcher(Ask(1, "capped")), batcher(Ask(2, "fine")), return_exceptions=True)
        failing = Batcher(Service(fail=True), max_size=10, max_in_flight=2)
        failed = await asyncio.gather(failing(Ask(1, "x")), failing(Ask(2, "y")), return_exceptions=True)
        return mixed, failed

    mixed, failed = run(scenario())

    assert isinstance(mixed[0], LookupError) and mixed[1] == "task for fine"
    assert all(isinstance(error, ConnectionError) for error in failed)


def test_a_failed_batch_is_run_again_one_request_at_a_time_so_only_the_culprit_fails():
    async def scenario():
        service = Service(poison="bad")
        batcher = Batcher(service, max_size=10, max_in_flight=1)
        results = await asyncio.gather(
            *(batcher(Ask(i, name)) for i, name in enumerate(["a", "bad", "c"])), return_exceptions=True
        )
        return service.batches, service.most_running, results

    batches, most_running, results = run(scenario())

    assert batches == [["a", "bad", "c"], ["a"], ["bad"], ["c"]]
    assert most_running == 1
    assert results[0] == "task for a" and results[2] == "task for c"
    assert isinstance(results[1], ValueError)


@pytest.mark.parametrize("in_flight", [1, 3])
def test_no_more_batches_run_at_once_than_allowed(in_flight):
    async def scenario():
        service = Service()
        batcher = Batcher(service, max_size=1, max_in_flight=in_flight)
        await asyncio.gather(*(batcher(Ask(i, f"w{i}")) for i in range(6)))
        return service.most_running, len(service.batches)

    assert run(scenario()) == (in_flight, 6)


def test_a_batcher_gives_way_while_the_other_has_requests_waiting_and_resumes_after():
    # given: claims giving way to submits, one submit batch at a time; a submit batch is
    # running and another submit waits for its place
    async def scenario():
        order: list[str] = []

        class Recorded(Service):
            def __init__(self, kind: str) -> None:
                super().__init__()
                self.kind = kind

            async def __call__(self, requests: list[Ask]) -> list[object]:
                order.append(f"{self.kind} {' '.join(r.name for r in requests)}")
                return await super().__call__(requests)

        submits = Batcher(Recorded("submit"), max_size=1, max_in_flight=1)
        claims = Batcher(Recorded("claim"), max_size=10, max_in_flight=1, gives_way_to=submits)
        first = asyncio.ensure_future(submits(Ask(1, "s1")))
        await asyncio.sleep(0.002)  # s1 is running
        waiting = asyncio.ensure_future(submits(Ask(2, "s2")))
        claim = asyncio.ensure_future(claims(Ask(3, "c3")))

        # when
        results = await asyncio.gather(first, waiting, claim)
        return order, results

    order, results = run(scenario())

    # then: the claim started only once no submit waited (s2 had its place), and every caller
    # got its own answer
    assert order == ["submit s1", "submit s2", "claim c3"]
    assert results == ["task for s1", "task for s2", "task for c3"]


def test_a_batcher_does_not_give_way_to_requests_that_have_a_place():
    # given: the other batcher has a free place for its request
    async def scenario():
        submit_service, claim_service = Service(), Service()
        submits = Batcher(submit_service, max_size=10, max_in_flight=2)
        claims = Batcher(claim_service, max_size=10, max_in_flight=1, gives_way_to=submits)

        # when: a submit and a claim arrive in the same turn
        answers = await asyncio.gather(submits(Ask(1, "s1")), claims(Ask(2, "c2")))
        return answers, claim_service.batches, submit_service.batches

    answers, claim_batches, submit_batches = run(scenario())

    # then: both ran
    assert answers == ["task for s1", "task for c2"]
    assert claim_batches == [["c2"]] and submit_batches == [["s1"]]
