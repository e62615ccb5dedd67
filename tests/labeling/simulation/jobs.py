"""A labeling job from manifest to output: manifests in S3, the job run by the crowd, its worker
responses read back."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from rest_framework.test import APIClient

from labeling.services.storage_registration import storage_register
from labeling.services.sweeps import run_labeling_sweeps
from tests.labeling.simulation.common import OUTPUT_PREFIX, Answer, AnswerFunction
from tests.labeling.simulation.crowd import Offer, SimulatedWorker, key_from_line, run_crowd


def jsonl(lines: Sequence[dict]) -> bytes:
    return "".join(json.dumps(line) + "\n" for line in lines).encode("utf-8")


def parse_jsonl(data: bytes) -> list[dict]:
    return [json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]


@dataclass
class JobRun:
    """Everything a finished simulated job left behind."""

    job: dict  # GET /api/v1/labeling-jobs/{id} at the end
    input_lines: list[dict]
    offers: list[Offer]
    output_lines: list[dict]
    # worker-response files: line number -> that object's answers, in submission order
    responses: dict[int, list[dict]] = field(default_factory=dict)

    def answers_by_key(self) -> dict[str, list[Answer]]:
        """The answers read back from ``annotations/worker-response/``, by object key."""
        by_line = {number: key_from_line(line) for number, line in enumerate(self.input_lines, start=1)}
        return {by_line[number]: [entry["answer"] for entry in answers] for number, answers in self.responses.items()}


def run_labeling_job(
    *,
    s3,
    requester,
    requester_client: APIClient,
    crowd: Sequence[SimulatedWorker],
    body: dict,
    input_lines: Sequence[dict],
    answer: AnswerFunction,
    seed: int,
    gold_lines: Sequence[dict] = (),
    max_sweeps: int = 5,
) -> JobRun:
    """Put the manifests in ``s3``, register the bucket, create the job over REST, ingest it with
    the sweep, let the crowd work, sweep until the job ends, and read its output back."""
    s3.put("in/manifest.jsonl", jsonl(input_lines))
    body = {**body, "input_manifest_uri": s3.uri("in/manifest.jsonl"), "output_uri": s3.uri(OUTPUT_PREFIX)}
    if gold_lines:
        s3.put("in/gold.jsonl", jsonl(gold_lines))
        body["gold_manifest_uri"] = s3.uri("in/gold.jsonl")
    storage_register(organization=requester.organization, uri_prefix=s3.uri(""))

    created = requester_client.post("/api/v1/labeling-jobs", body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["status"] == "initializing"
    job_url = f"/api/v1/labeling-jobs/{created.json()['id']}"

    report = run_labeling_sweeps()
    assert report.jobs_ingested == 1
    started = requester_client.get(job_url).json()
    assert started["status"] == "in_progress", started["failure_reason"]

    offers = run_crowd(crowd, answer=answer, seed=seed)

    job = started
    for _ in range(max_sweeps):
        run_labeling_sweeps()
        job = requester_client.get(job_url).json()
        if job["status"] not in ("in_progress", "stopping"):
            break
    assert job["status"] == "completed", job

    root = f"{OUTPUT_PREFIX}{body['name']}/"
    assert job["output_manifest_uri"] == s3.uri(f"{root}manifests/output/output.manifest")
    output_lines = parse_jsonl(s3.get(f"{root}manifests/output/output.manifest"))
    return JobRun(
        job=job,
        input_lines=list(input_lines),
        offers=offers,
        output_lines=output_lines,
        responses=read_worker_responses(s3, root),
    )


WORKER_RESPONSE_KEY = re.compile(
    r"annotations/worker-response/iteration-1/(\d+)/(\d{4}-\d\d-\d\d_\d\d:\d\d:\d\d)\.json$"
)


def read_worker_responses(s3, root: str) -> dict[int, list[dict]]:
    """As a Ground Truth user's script does: walk ``annotations/worker-response/iteration-1/<idx>/*``
    (one file per object, 0-based index); returns, by 1-based line number, each answer's
    ``worker_id`` (from the string ``workerId``), ``answer`` (back in Groundwork's answer format)
    and the raw Ground Truth entry."""
    responses: dict[int, list[dict]] = {}
    for key in s3.list(f"{root}annotations/worker-response/"):
        found = WORKER_RESPONSE_KEY.search(key)
        assert found, key
        index = int(found.group(1))
        assert index + 1 not in responses, f"two files for object {index}"
        body = json.loads(s3.get(key))
        assert set(body) == {"answers"}
        responses[index + 1] = [
            {"worker_id": int(entry["workerId"]), "answer": answer_from_content(entry["answerContent"]), "raw": entry}
            for entry in body["answers"]
        ]
    return responses


def answer_from_content(content: dict) -> dict:
    """A Ground Truth ``answerContent`` (built-in worker UI shapes) in Groundwork's answer format."""
    assert len(content) == 1, content
    ((element, body),) = content.items()
    if element in ("crowd-image-classifier", "crowd-classifier"):
        return {"label": body["label"]}
    if element in ("crowd-image-classifier-multi-select", "crowd-classifier-multi-select"):
        return {"labels": body["labels"]}
    if element == "boundingBox":
        size = body["inputImageProperties"]
        return {
            "boxes": [
                {key: box[key] for key in ("label", "left", "top", "width", "height")} for box in body["boundingBoxes"]
            ],
            "image_size": {"width": size["width"], "height": size["height"]},
        }
    if element == "crowd-entity-annotation":
        return {
            "entities": [
                {"label": e["label"], "start": e["startOffset"], "end": e["endOffset"]} for e in body["entities"]
            ]
        }
    if element == "crowd-semantic-segmentation":
        return {"mask": body["labeledImage"]["pngImageData"]}
    raise AssertionError(f"unknown answer content {element}")
