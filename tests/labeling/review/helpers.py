"""Jobs whose output a review job reads: a box job and a text classification job, answered
through the worker API, and the review job's body."""

from __future__ import annotations

from labeling.services.sweeps import run_labeling_sweeps
from tests.labeling.jobs_lifecycle.helpers import get_job, manifest, output_lines, start_job
from tests.support.worker_api import answer_next

BOX_LABELS = ["dog", "bone"]
IMAGE_SIZE = {"width": 500, "height": 400}


def box_for(source_ref: str) -> dict:
    """The box an annotator draws on an image (a different one per image)."""
    number = int(source_ref.rsplit("/", 1)[1].split(".")[0])
    return {"label": "dog", "left": 10 + number, "top": 20, "width": 60, "height": 120}


def answer_every_offer(worker, answer_for) -> list[dict]:
    """Claim and answer until nothing is offered; the offers answered."""
    offers = []
    while (offer := answer_next(worker, lambda offer: answer_for(offer["input"]))) is not None:
        offers.append(offer)
    return offers


def finished(requester, job_id: int) -> dict:
    run_labeling_sweeps()
    job = get_job(requester, job_id)
    assert job["status"] == "completed", job
    return job


def box_job(
    requester, bucket, annotator, *, images: int = 2, name: str = "dogs", more_annotators: tuple = ()
) -> tuple[dict, list[dict]]:
    """A finished bounding-box job over ``images`` images, boxed by ``annotator`` (and each of
    ``more_annotators``: every image by all of them); the job and its output manifest's lines."""
    bucket.put(f"{name}/in.jsonl", manifest([{"source-ref": bucket.uri(f"images/{i}.jpg")} for i in range(images)]))
    job = start_job(
        requester,
        {
            "name": name,
            "label_attribute_name": "boxes",
            "task_type": "bounding_box",
            "input_manifest_uri": bucket.uri(f"{name}/in.jsonl"),
            "output_uri": bucket.uri("out/"),
            "label_categories": BOX_LABELS,
            "title": "Box the dogs",
            "reward": "0.05",
            "workers_per_object": 1 + len(more_annotators),
        },
    )
    for worker in (annotator, *more_annotators):
        answered = answer_every_offer(
            worker, lambda task_input: {"boxes": [box_for(task_input["source-url"])], "image_size": IMAGE_SIZE}
        )
        assert len(answered) == images
    job = finished(requester, job["id"])
    return job, output_lines(bucket, job)


def verification_body(bucket, *, name: str, input_uri: str, **overrides) -> dict:
    body = {
        "name": name,
        "label_attribute_name": "verify-boxes",
        "source_label_attribute_name": "boxes",
        "task_type": "label_verification",
        "input_manifest_uri": input_uri,
        "output_uri": bucket.uri("out/"),
        "title": "Are the boxes right?",
        "reward": "0.02",
        "workers_per_object": 2,
    }
    body.update(overrides)
    return body
