"""Chained jobs run end to end (docs/labeling.md, "Chaining"): a source job run by workers over
the worker API and ended, a job chained on it over REST, its input manifest written from the
source's output manifest at ingestion (read back from S3 and compared line for line), then run
in turn."""

from __future__ import annotations

import pytest

from labeling.models import DataObject, LabelingJob
from labeling.services.sweeps import run_labeling_sweeps
from tests.labeling.chaining.helpers import (
    answer_all,
    box,
    boxes_answer,
    confidences,
    ended_job,
    finish_job,
    get_job,
    jsonl,
    post_job,
    read_jsonl,
    start_job,
)

pytestmark = pytest.mark.django_db

LABELS = ["cat", "dog"]


def text_body(bucket, name: str, lines: list[dict], **overrides) -> dict:
    bucket.put(f"in/{name}.jsonl", jsonl(lines))
    return {
        "name": name,
        "label_attribute_name": "species",
        "task_type": "text_classification",
        "input_manifest_uri": bucket.uri(f"in/{name}.jsonl"),
        "output_uri": bucket.uri("out/"),
        "label_categories": LABELS,
        "title": "Cat or dog?",
        "reward": "0.02",
        "workers_per_object": 1,
        **overrides,
    }


def chained_body(bucket, name: str, source_id: int, **overrides) -> dict:
    return {
        "name": name,
        "task_type": "text_classification",
        "chain_from_job_id": source_id,
        "output_uri": bucket.uri("out/"),
        "title": "Cat or dog, again?",
        "reward": "0.02",
        "workers_per_object": 1,
        **overrides,
    }


def truth(task_input: dict) -> str:
    return task_input["source"].rsplit(" ", 1)[1]


def test_a_classification_chain_takes_the_objects_below_a_confidence(requester, bucket, make_worker):
    # given: six texts; three workers agree on the first three, split on the next two, and
    # nobody answers the last before the job is stopped
    texts = [{"source": f"text {i} {LABELS[i % 2]}", "note": f"n{i}"} for i in range(6)]
    source = start_job(requester, text_body(bucket, "source-1", texts, workers_per_object=3))
    workers = [make_worker() for _ in range(3)]

    def choose(worker_index: int):
        def answer(task_input: dict) -> dict:
            number = int(task_input["source"].split()[1])
            wrong = number in (3, 4) and worker_index == 2
            return {"label": LABELS[1 - LABELS.index(truth(task_input))] if wrong else truth(task_input)}

        return answer

    for index, worker in enumerate(workers):
        assert answer_all(worker, choose(index), skip=lambda task_input: task_input["source"].startswith("text 5")) == 5
    source = finish_job(requester, source["id"], stop=True)
    assert source["status"] == "stopped"
    source_lines = read_jsonl(bucket, source["output_manifest_uri"])
    known = confidences(source["id"])
    labeled = [known[i] for i, line in enumerate(source_lines) if "species" in line]
    assert len(labeled) == 5 and min(labeled) < max(labeled)
    threshold = (min(labeled) + max(labeled)) / 2
    expected = [line for i, line in enumerate(source_lines) if "species" not in line or known[i] < threshold]
    assert 2 <= len(expected) < 6  # the unlabeled text and the split ones, not the agreed ones

    # when: a job chained on it, under another attribute, takes the objects below the threshold
    chained = start_job(
        requester,
        chained_body(
            bucket,
            "chained-1",
            source["id"],
            label_attribute_name="species-check",
            label_categories=LABELS,
            chain_select={"below_confidence": threshold},
        ),
    )

    # then: its input manifest, in its own output folder, is those lines of the source's output, whole
    assert chained["input_manifest_uri"] == bucket.uri("out/chained-1/manifests/input/input.manifest")
    assert read_jsonl(bucket, chained["input_manifest_uri"]) == expected
    assert chained["chain_from_job_id"] == source["id"]
    assert chained["label_counters"]["unlabeled"] == len(expected)
    # and: its workers see the objects as any job's do; its output adds its label beside the source's
    assert answer_all(make_worker(), truth_answer) == len(expected)
    chained = finish_job(requester, chained["id"])
    assert chained["status"] == "completed"
    written = read_jsonl(bucket, chained["output_manifest_uri"])
    assert [{k: v for k, v in line.items() if not k.startswith("species-check")} for line in written] == expected
    assert [line["species-check-metadata"]["class-name"] for line in written] == [truth(line) for line in expected]
    assert {line["species-check-metadata"]["job-name"] for line in written} == {"labeling-job/chained-1"}


def truth_answer(task_input: dict) -> dict:
    return {"label": truth(task_input)}


def box_body(bucket, name: str, images: list[str], **overrides) -> dict:
    bucket.put(f"in/{name}.jsonl", jsonl([{"source-ref": bucket.uri(f"images/{image}")} for image in images]))
    return {
        "name": name,
        "label_attribute_name": "boxes",
        "task_type": "bounding_box",
        "input_manifest_uri": bucket.uri(f"in/{name}.jsonl"),
        "output_uri": bucket.uri("out/"),
        "label_categories": LABELS,
        "title": "Box the animals",
        "reward": "0.05",
        "workers_per_object": 1,
        **overrides,
    }


def test_a_box_job_reusing_the_label_attribute_continues_where_the_stopped_one_left_off(requester, bucket, make_worker):
    # given: three images; the first two are boxed, then the job is stopped
    images = ["a.png", "b.png", "c.png"]
    for image in images:
        bucket.put(f"images/{image}", b"not really an image " + image.encode())
    source = start_job(requester, box_body(bucket, "boxes-1", images))
    skip_c = lambda task_input: "c.png" in task_input["source-url"]  # noqa: E731
    assert answer_all(make_worker(), lambda task_input: boxes_answer(box("cat", 5)), skip=skip_c) == 2
    source = finish_job(requester, source["id"], stop=True)
    source_lines = read_jsonl(bucket, source["output_manifest_uri"])
    assert ["failure-reason" in line["boxes-metadata"] for line in source_lines] == [False, False, True]

    # when: a box job chained on it under the same attribute, without a selection or label categories
    chained = start_job(
        requester,
        {
            **chained_body(bucket, "boxes-2", source["id"], label_attribute_name="boxes"),
            "task_type": "bounding_box",
        },
    )

    # then: it takes only the object the source did not label, without the source's metadata,
    # and the source's label categories
    assert read_jsonl(bucket, chained["input_manifest_uri"]) == [{"source-ref": bucket.uri("images/c.png")}]
    assert chained["label_categories"] == LABELS
    # and: its output labels that object under the same attribute
    assert answer_all(make_worker(), lambda task_input: boxes_answer(box("dog", 40))) == 1
    chained = finish_job(requester, chained["id"])
    (line,) = read_jsonl(bucket, chained["output_manifest_uri"])
    assert line["source-ref"] == bucket.uri("images/c.png")
    assert line["boxes"]["annotations"] == [{"class_id": 1, "left": 40, "top": 10, "width": 30, "height": 20}]
    assert line["boxes-metadata"]["job-name"] == "labeling-job/boxes-2"
    assert line["boxes-metadata"]["class-map"] == {"1": "dog"}


def test_a_box_chain_below_a_confidence_keeps_the_earlier_boxes_beside_its_own(requester, bucket, make_worker):
    # given: two images boxed by one worker each (the same, unproven, confidence)
    for image in ("a.png", "b.png"):
        bucket.put(f"images/{image}", b"not really an image")
    source = start_job(requester, box_body(bucket, "boxes-1", ["a.png", "b.png"]))
    answer_all(make_worker(), lambda task_input: boxes_answer(box("cat", 5)))
    source = finish_job(requester, source["id"])
    (confidence,) = set(confidences(source["id"]))
    source_lines = read_jsonl(bucket, source["output_manifest_uri"])

    # when: chained under another attribute, below a confidence above theirs
    chained = start_job(
        requester,
        {
            **chained_body(bucket, "boxes-check", source["id"], label_attribute_name="boxes-check"),
            "task_type": "bounding_box",
            "chain_select": {"below_confidence": min(1.0, confidence + 0.01)},
        },
    )

    # then: both lines, whole; the new job's workers box them again and both boxes are in the output
    assert read_jsonl(bucket, chained["input_manifest_uri"]) == source_lines
    answer_all(make_worker(), lambda task_input: boxes_answer(box("cat", 6)))
    chained = finish_job(requester, chained["id"])
    for line, before in zip(read_jsonl(bucket, chained["output_manifest_uri"]), source_lines, strict=True):
        assert line["boxes"] == before["boxes"]
        assert line["boxes-check"]["annotations"] == [{"class_id": 0, "left": 6, "top": 10, "width": 30, "height": 20}]


def test_a_selection_that_keeps_nothing_fails_the_job_naming_it(requester, bucket, make_worker):
    # given: an ended job whose objects were all labeled
    texts = [{"source": f"text {i} {LABELS[i % 2]}"} for i in range(2)]
    source = start_job(requester, text_body(bucket, "source-1", texts))
    answer_all(make_worker(), truth_answer)
    source = finish_job(requester, source["id"])
    source_lines = read_jsonl(bucket, source["output_manifest_uri"])
    # when: chained below a confidence of 0
    response = post_job(
        requester,
        chained_body(
            bucket,
            "chained-1",
            source["id"],
            label_attribute_name="species-check",
            label_categories=LABELS,
            chain_select={"below_confidence": 0},
        ),
    )
    assert response.status_code == 201, response.content
    run_labeling_sweeps()
    # then: the job failed with the reason, created no work and wrote no input manifest
    job = get_job(requester, response.json()["id"])
    assert job["status"] == "failed"
    assert job["failure_reason"] == (
        f'chain_select {{"below_confidence": 0.0}} kept none of labeling job {source["id"]}\'s 2 objects'
    )
    assert DataObject.objects.filter(job_id=job["id"]).count() == 0
    assert bucket.list("out/chained-1/") == []
    # and: the source is as it was
    assert LabelingJob.objects.get(pk=source["id"]).status == "completed"
    assert read_jsonl(bucket, source["output_manifest_uri"]) == source_lines


def test_a_same_attribute_chain_of_a_fully_labeled_job_has_nothing_to_continue(requester, bucket, make_worker):
    # given
    source = start_job(requester, text_body(bucket, "source-1", [{"source": "text 0 cat"}]))
    answer_all(make_worker(), truth_answer)
    source = finish_job(requester, source["id"])
    # when
    response = post_job(requester, chained_body(bucket, "again", source["id"], label_attribute_name="species"))
    assert response.status_code == 201, response.content
    run_labeling_sweeps()
    # then
    job = get_job(requester, response.json()["id"])
    assert job["status"] == "failed"
    assert job["failure_reason"] == (
        f"labeling job {source['id']} labeled all its 1 objects: a job reusing its label attribute has none left"
    )


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "chained input: {uri}: "),
        (b'{"source": "text 0 cat"}\n[1, 2]\n', "the output manifest of labeling job {id} is not JSON Lines"),
    ],
    ids=["missing", "not-objects"],
)
def test_a_source_output_that_cannot_be_read_fails_the_job_with_the_reason(requester, bucket, content, reason):
    # given: an ended job whose output manifest is gone, or was overwritten with something else
    uri = bucket.uri("out/source-1/manifests/output/output.manifest")
    source = ended_job(requester, name="source-1", output_uri=bucket.uri("out/"), output_manifest_uri=uri)
    if content is not None:
        bucket.put("out/source-1/manifests/output/output.manifest", content)
    # when
    response = post_job(requester, chained_body(bucket, "chained-1", source.pk, label_attribute_name="species-check"))
    assert response.status_code == 201, response.content
    run_labeling_sweeps()
    # then
    job = get_job(requester, response.json()["id"])
    assert job["status"] == "failed"
    assert job["failure_reason"].startswith(reason.format(uri=uri, id=source.pk))
    assert DataObject.objects.filter(job_id=job["id"]).count() == 0
    assert bucket.list("out/chained-1/") == []
