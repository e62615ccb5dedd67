"""The simulated crowd: workers of known accuracy answering what the dispatcher offers them over
REST."""

from __future__ import annotations

import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import urlparse

import numpy as np
from rest_framework.test import APIClient

from tests.labeling.simulation.common import ACCURACIES, Answer, AnswerFunction


@dataclass(frozen=True)
class SimulatedWorker:
    index: int
    worker_id: int
    accuracy: float
    client: APIClient


@dataclass(frozen=True)
class Offer:
    """One ``tasks/next`` response a simulated worker got, and what it answered."""

    worker: SimulatedWorker
    task: dict
    key: str
    answer: Answer


def make_crowd(make_worker, accuracies: Sequence[float] = ACCURACIES) -> list[SimulatedWorker]:
    """One real worker (public workforce, own token) per accuracy."""
    crowd = []
    for index, accuracy in enumerate(accuracies):
        worker = make_worker()
        crowd.append(SimulatedWorker(index=index, worker_id=worker.pk, accuracy=accuracy, client=worker.client))
    return crowd


def object_rng(seed: int, worker_index: int, key: str) -> np.random.Generator:
    """The generator behind one worker's answer to one object: independent of dispatch order."""
    return np.random.default_rng([seed, worker_index, zlib.crc32(key.encode("utf-8"))])


def key_from_input(task_input: dict) -> str:
    """What identifies an object from the worker's side: the file name in its ``source-url``,
    or its ``source`` text."""
    if "source-url" in task_input:
        return PurePosixPath(urlparse(task_input["source-url"]).path).name
    return task_input["source"]


def key_from_line(line: dict) -> str:
    """The same key, from a manifest line (input or output)."""
    if "source-ref" in line:
        return PurePosixPath(line["source-ref"]).name
    return line["source"]


def _post(client: APIClient, path: str, body: dict | None = None):
    """POST, waiting out a rate limit (429) rather than failing on it."""
    for _ in range(20):
        response = client.post(path, body, format="json") if body is not None else client.post(path)
        if response.status_code != 429:
            return response
        time.sleep(float(response.headers.get("Retry-After", "1")))
    raise AssertionError(f"{path} stayed rate limited")


def run_crowd(crowd: Sequence[SimulatedWorker], *, answer: AnswerFunction, seed: int) -> list[Offer]:
    """Workers, in a shuffled order each round, claim (``POST tasks/next``) and answer
    (``POST assignments/{id}/submit``) until every one of them gets a 204."""
    order_rng = np.random.default_rng(seed)
    active = list(crowd)
    offers: list[Offer] = []
    while active:
        for position in order_rng.permutation(len(active)).tolist():
            worker = active[position]
            if worker is None:
                continue
            response = _post(worker.client, "/api/v1/worker/tasks/next")
            if response.status_code == 204:
                active[position] = None
                continue
            assert response.status_code == 200, response.content
            task = response.json()
            key = key_from_input(task["input"])
            given = answer(key, worker.accuracy, object_rng(seed, worker.index, key))
            submitted = _post(
                worker.client, f"/api/v1/worker/assignments/{task['assignment_id']}/submit", {"answer": given}
            )
            assert submitted.status_code == 200, submitted.content
            offers.append(Offer(worker=worker, task=task, key=key, answer=given))
        active = [worker for worker in active if worker is not None]
    return offers
