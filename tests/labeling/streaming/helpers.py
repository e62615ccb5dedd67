"""Helpers of the streaming-job tests: a requester's file:// storage, a streaming job created
and started over REST, objects added over REST, the worker API answering, and what the job
wrote (its output parts, its final manifest, its ``object_labeled`` events)."""

from __future__ import annotations

import json
from pathlib import Path

from labeling.services.storage_registration import storage_register
from labeling.services.sweeps import run_labeling_sweeps
from tests.support import worker_api
from tests.support.factories import client_with

JOBS_URL = "/api/v1/labeling-jobs"
LABELS = ["cat", "dog"]
ATTRIBUTE = "species"
FOLDER = "acme"  # the requester's registered folder inside the storage root
PARTS = "manifests/output/parts"


def register(requester) -> None:
    storage_register(organization=requester.organization, uri_prefix=f"file://{FOLDER}/")


def text(i: int) -> dict:
    """An object whose true label is written in its text (the workers below read it)."""
    return {"source": f"object {i}: {LABELS[i % 2]}"}


def truth(task_input: dict) -> str:
    return task_input["source"].rsplit(": ", 1)[1]


def body(*, name: str = "stream-1", **overrides) -> dict:
    return {
        "name": name,
        "input_mode": "streaming",
        "label_attribute_name": ATTRIBUTE,
        "task_type": "text_classification",
        "output_uri": f"file://{FOLDER}/out/",
        "label_categories": LABELS,
        "title": "Cat or dog?",
        "reward": "0.05",
        "workers_per_object": 1,
        **overrides,
    }


def start(requester, **overrides) -> dict:
    """A streaming job created over REST and started by the labeling sweep: its body."""
    client = client_with(requester.api_key)
    created = client.post(JOBS_URL, body(**overrides), format="json")
    assert created.status_code == 201, created.content
    run_labeling_sweeps()
    job = client.get(f"{JOBS_URL}/{created.json()['id']}").json()
    assert job["status"] == "in_progress", job
    return job


def add(requester, job_id: int, objects: list) -> object:
    """``POST /labeling-jobs/{id}/objects``: the response."""
    return client_with(requester.api_key).post(f"{JOBS_URL}/{job_id}/objects", {"objects": objects}, format="json")


def add_ok(requester, job_id: int, objects: list) -> dict:
    response = add(requester, job_id, objects)
    assert response.status_code == 201, response.content
    return response.json()


def get_job(requester, job_id: int) -> dict:
    return client_with(requester.api_key).get(f"{JOBS_URL}/{job_id}").json()


def answer_one(worker) -> int | None:
    """The worker claims the next task over REST and answers it truthfully: its task id."""
    offer = worker_api.claim_offer(worker)
    if offer is None:
        return None
    worker_api.submit_ok(worker, offer["assignment_id"], {"label": truth(offer["input"])})
    return offer["task_id"]


def answer_all(workers: list) -> int:
    """The workers answer, in turn, until nothing is offered to any of them: how many answers."""
    answered = 0
    while True:
        round_answers = sum(answer_one(worker) is not None for worker in workers)
        if not round_answers:
            return answered
        answered += round_answers


def job_folder(storage_root: Path, name: str) -> Path:
    return storage_root / FOLDER / "out" / name


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def part_lines(storage_root: Path, name: str) -> list[tuple[str, dict]]:
    """Every line of the job's output parts, with the part's file name, in part order."""
    folder = job_folder(storage_root, name) / PARTS
    if not folder.is_dir():
        return []
    return [(path.name, line) for path in sorted(folder.glob("part-*.jsonl")) for line in read_jsonl(path)]


def final_manifest(storage_root: Path, name: str) -> list[dict]:
    return read_jsonl(job_folder(storage_root, name) / "manifests/output/output.manifest")
