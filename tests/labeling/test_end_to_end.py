"""Labeling jobs end to end, one per task type: an input manifest in S3 (moto's server over
HTTP), the job created over REST, ingested and consolidated by the labeling sweep, answered by
simulated workers of known reliability through the worker REST API, and the Ground Truth output
manifest read back from S3 and scored against the simulated truth, next to plain majority
voting over the very same answers (read back from the worker-response files)."""

from __future__ import annotations

import json
from collections import Counter
from urllib.parse import urlparse

import httpx
import numpy as np
import pytest

from tests.labeling.simulation.answers import (
    answer_boxes,
    answer_entities,
    answer_label,
    answer_labels,
    answer_mask,
    truth_boxes,
    truth_mask,
    truth_text,
)
from tests.labeling.simulation.crowd import SimulatedWorker, key_from_line, make_crowd, object_rng
from tests.labeling.simulation.jobs import JobRun, run_labeling_job
from tests.labeling.simulation.output_records import (
    decode_png,
    decode_png_base64,
    parse_boxes,
    parse_classification,
    parse_entities,
    parse_multilabel,
    parse_segmentation,
)
from tests.labeling.simulation.scoring import (
    assert_at_least_baseline,
    averaged_boxes,
    box_f1,
    majority_credit,
    majority_labels,
    majority_mask,
    majority_spans,
    mean_iou,
    share,
    span_f1,
)

REWARD = "0.01"
WORKERS_PER_OBJECT = 3
# The fields of a tasks/next response that may differ from one task of a job to another.
PER_TASK_FIELDS = {"assignment_id", "task_id", "input", "deadline"}

pytestmark = pytest.mark.django_db


@pytest.fixture
def crowd(make_worker) -> list[SimulatedWorker]:
    return make_crowd(make_worker)


def _job_body(name: str, *, task_type: str, attribute: str, labels: list[str], **extra) -> dict:
    return {
        "name": name,
        "label_attribute_name": attribute,
        "task_type": task_type,
        "label_categories": labels,
        "title": f"{name} title",
        "instructions": "Label what you see.",
        "workers_per_object": WORKERS_PER_OBJECT,
        "reward": REWARD,
        **extra,
    }


def _put_images(s3, names: list[str], rng: np.random.Generator) -> dict[str, bytes]:
    """Bytes under each image key (workers never decode them); returns them by file name."""
    images = {}
    for name in names:
        data = f"not really an image: {name}\n".encode() + rng.bytes(64)
        s3.put(f"images/{name}", data)
        images[name] = data
    return images


def _assert_worked_and_counted(run: JobRun, *, objects: int, gold: int = 0) -> None:
    """Every object (gold included) got exactly its answers from distinct workers; the output
    holds one line per input object in input order, the input line unchanged; the worker
    responses hold what the workers submitted; the label counters add up."""
    per_key = Counter(offer.key for offer in run.offers)
    assert len(per_key) == objects + gold
    assert set(per_key.values()) == {WORKERS_PER_OBJECT}
    for key in per_key:
        assert len({offer.worker.index for offer in run.offers if offer.key == key}) == WORKERS_PER_OBJECT

    assert len(run.output_lines) == objects
    attribute = run.job["label_attribute_name"]
    for given, written in zip(run.input_lines, run.output_lines, strict=True):
        assert {
            key: value for key, value in written.items() if key not in (attribute, f"{attribute}-metadata")
        } == given
        assert set(written) == set(given) | {attribute, f"{attribute}-metadata"}

    assert sorted(run.responses) == list(range(1, objects + 1))
    submitted = {}
    for offer in run.offers:
        submitted.setdefault(offer.key, []).append((offer.worker.worker_id, offer.answer))
    for number, answers in run.responses.items():
        key = key_from_line(run.input_lines[number - 1])
        assert {type(entry["raw"]["workerId"]) for entry in answers} == {str}
        # JSON objects are unordered (PostgreSQL's jsonb sorts keys): compare them canonically.
        assert sorted((entry["worker_id"], _canonical(entry["answer"])) for entry in answers) == sorted(
            (worker_id, _canonical(answer)) for worker_id, answer in submitted[key]
        )

    assert run.job["label_counters"] == {
        "total_labeled": objects,
        "human_labeled": objects,
        "machine_labeled": 0,
        "failed": 0,
        "unlabeled": 0,
    }
    assert run.job["answers_saved"] == 0
    assert run.job["failure_reason"] == ""


def _canonical(answer: dict) -> str:
    """An answer as comparable text: masks by their pixels (the worker-response PNG is a palette
    PNG of the same class ids), image sizes without the optional depth."""
    answer = dict(answer)
    if "mask" in answer:
        answer["mask"] = decode_png_base64(answer["mask"]).tolist()
    if "image_size" in answer:
        answer["image_size"] = {key: answer["image_size"][key] for key in ("width", "height")}
    return json.dumps(answer, sort_keys=True)


def _assert_image_inputs(run: JobRun, s3, images: dict[str, bytes], *, visible: dict[str, dict]) -> None:
    """Workers got a presigned ``source-url`` (the endpoint's scheme) and the visible keys,
    nothing else; a fetched URL gives the very bytes put in S3."""
    scheme = urlparse(s3.endpoint_url).scheme
    for offer in run.offers:
        task_input = offer.task["input"]
        assert set(task_input) == {"source-url", *visible.get(offer.key, {})}
        assert urlparse(task_input["source-url"]).scheme == scheme
        assert "X-Amz-Signature=" in task_input["source-url"] or "Signature=" in task_input["source-url"]
        assert {key: value for key, value in task_input.items() if key != "source-url"} == visible.get(offer.key, {})
    fetched = httpx.get(run.offers[0].task["input"]["source-url"], timeout=10)
    assert fetched.status_code == 200
    assert fetched.content == images[run.offers[0].key]


def _assert_same_task_fields(run: JobRun) -> None:
    """Apart from ids, input and deadline, every task of the job reads the same to a worker."""
    shapes = {
        repr(sorted((k, repr(v)) for k, v in offer.task.items() if k not in PER_TASK_FIELDS)) for offer in run.offers
    }
    assert len(shapes) == 1
    assert {frozenset(offer.task) for offer in run.offers} == {frozenset(run.offers[0].task)}


def _report(task_type: str, metric: str, groundwork: float, baseline: float) -> None:
    print(f"\n{task_type}: {metric} groundwork={groundwork:.4f} majority={baseline:.4f}")


# --- single label -------------------------------------------------------------------------------


def _assert_classification_quality(task_type: str, run: JobRun, found: dict, truth: dict, *, floor: float) -> None:
    """Accuracy above ``floor`` and at least voting's expected accuracy over the same answers,
    ties broken by a fair coin (one lucky coin must not decide)."""
    answers = run.answers_by_key()
    majority_accuracy = sum(majority_credit([a["label"] for a in answers[key]], truth[key]) for key in found)
    majority_accuracy /= len(found)
    groundwork_accuracy = share(sum(found[key] == truth[key] for key in found), len(found))
    _report(task_type, "accuracy", groundwork_accuracy, majority_accuracy)
    assert groundwork_accuracy >= floor
    assert_at_least_baseline("accuracy", groundwork_accuracy, majority_accuracy)


def test_image_classification_with_gold_end_to_end(s3, requester, requester_client, crowd):
    # given: 40 images and 30 gold images (enough for consolidation to choose its model and
    # calibrate on them), named alike, each with a caption workers may
    # see and a note they may not
    seed, labels, attribute = 101, ["cat", "dog", "bird"], "species"
    rng = np.random.default_rng(seed)
    names = [f"img-{number:03d}.bin" for number in range(70)]
    gold_names = set(names[i] for i in rng.choice(len(names), size=30, replace=False).tolist())
    truth = {name: labels[int(rng.integers(len(labels)))] for name in names}
    images = _put_images(s3, names, rng)

    def line(name: str) -> dict:
        return {"source-ref": s3.uri(f"images/{name}"), "caption": f"photo {name[4:7]}", "note": "internal only"}

    input_lines = [line(name) for name in names if name not in gold_names]
    gold_lines = [{**line(name), attribute: {"label": truth[name]}} for name in names if name in gold_names]

    # when
    run = run_labeling_job(
        s3=s3,
        requester=requester,
        requester_client=requester_client,
        crowd=crowd,
        seed=seed,
        body=_job_body(
            "animals-e2e",
            task_type="image_classification",
            attribute=attribute,
            labels=labels,
            worker_visible_keys=["caption"],
        ),
        input_lines=input_lines,
        gold_lines=gold_lines,
        answer=lambda key, accuracy, rng: {"label": answer_label(truth[key], labels, accuracy, rng)},
    )

    # then: what workers saw
    _assert_image_inputs(run, s3, images, visible={name: {"caption": f"photo {name[4:7]}"} for name in names})
    _assert_same_task_fields(run)
    assert {
        offer.task["labels"] == labels and offer.task["task_type"] == "image_classification" for offer in run.offers
    } == {True}
    gold_offers = [offer for offer in run.offers if offer.key in gold_names]
    assert len(gold_offers) == 30 * WORKERS_PER_OBJECT
    gold_fetch = httpx.get(gold_offers[0].task["input"]["source-url"], timeout=10)
    assert gold_fetch.content == images[gold_offers[0].key]

    # then: the output, gold objects left out
    _assert_worked_and_counted(run, objects=40, gold=30)
    assert [key_from_line(written) for written in run.output_lines] == [n for n in names if n not in gold_names]
    found = {
        key_from_line(written): parse_classification(
            written,
            attribute=attribute,
            labels=labels,
            ground_truth_type="groundtruth/image-classification",
            job_name="animals-e2e",
        )
        for written in run.output_lines
    }

    # then: quality, at least majority voting's over the same answers
    _assert_classification_quality("image_classification", run, found, truth, floor=0.8)


def test_text_classification_end_to_end(s3, requester, requester_client, crowd):
    # given
    seed, labels, attribute = 202, ["positive", "negative", "neutral"], "sentiment"
    rng = np.random.default_rng(seed)
    texts = [f"review {number}: the product arrived and I have thoughts about it" for number in range(40)]
    truth = {text: labels[int(rng.integers(len(labels)))] for text in texts}

    # when
    run = run_labeling_job(
        s3=s3,
        requester=requester,
        requester_client=requester_client,
        crowd=crowd,
        seed=seed,
        body=_job_body("reviews-e2e", task_type="text_classification", attribute=attribute, labels=labels),
        input_lines=[{"source": text} for text in texts],
        answer=lambda key, accuracy, rng: {"label": answer_label(truth[key], labels, accuracy, rng)},
    )

    # then
    assert {frozenset(offer.task["input"]) for offer in run.offers} == {frozenset({"source"})}
    _assert_same_task_fields(run)
    _assert_worked_and_counted(run, objects=40)
    found = {
        written["source"]: parse_classification(
            written,
            attribute=attribute,
            labels=labels,
            ground_truth_type="groundtruth/text-classification",
            job_name="reviews-e2e",
        )
        for written in run.output_lines
    }
    _assert_classification_quality("text_classification", run, found, truth, floor=0.7)


# --- multi-label --------------------------------------------------------------------------------


def _multilabel_quality(
    run: JobRun, found: dict[str, set[str]], truth: dict[str, set[str]], labels: list[str], task_type: str
) -> None:
    baseline = {
        key: majority_labels([a["labels"] for a in given], labels) for key, given in run.answers_by_key().items()
    }

    def exact(sets: dict[str, set[str]]) -> float:
        return share(sum(sets[key] == truth[key] for key in found), len(found))

    def per_label(sets: dict[str, set[str]]) -> float:
        return share(
            sum((name in sets[key]) == (name in truth[key]) for key in found for name in labels),
            len(found) * len(labels),
        )

    _report(task_type, "exact-set accuracy", exact(found), exact(baseline))
    _report(task_type, "per-label accuracy", per_label(found), per_label(baseline))
    # Guessing would give 1/2 per label and 1/2**len(labels) per set.
    assert exact(found) >= 0.3
    assert per_label(found) >= 0.7
    assert_at_least_baseline("exact-set accuracy", exact(found), exact(baseline))
    assert_at_least_baseline("per-label accuracy", per_label(found), per_label(baseline))


def test_image_multilabel_end_to_end(s3, requester, requester_client, crowd):
    # given
    seed, labels, attribute = 303, ["person", "bicycle", "car", "dog"], "image-labels"
    rng = np.random.default_rng(seed)
    names = [f"street-{number:03d}.bin" for number in range(36)]
    truth = {name: {label for label in labels if rng.random() < 0.35} for name in names}
    images = _put_images(s3, names, rng)

    # when
    run = run_labeling_job(
        s3=s3,
        requester=requester,
        requester_client=requester_client,
        crowd=crowd,
        seed=seed,
        body=_job_body("streets-e2e", task_type="image_multilabel", attribute=attribute, labels=labels),
        input_lines=[{"source-ref": s3.uri(f"images/{name}")} for name in names],
        answer=lambda key, accuracy, rng: {"labels": answer_labels(truth[key], labels, accuracy, rng)},
    )

    # then
    _assert_image_inputs(run, s3, images, visible={})
    _assert_same_task_fields(run)
    _assert_worked_and_counted(run, objects=36)
    found = {
        key_from_line(written): parse_multilabel(
            written,
            attribute=attribute,
            labels=labels,
            ground_truth_type="groundtruth/image-classification-multilabel",
            job_name="streets-e2e",
        )
        for written in run.output_lines
    }
    _multilabel_quality(run, found, truth, labels, "image_multilabel")


def test_text_multilabel_end_to_end(s3, requester, requester_client, crowd):
    # given
    seed, labels, attribute = 404, ["billing", "shipping", "quality"], "topics"
    rng = np.random.default_rng(seed)
    texts = [f"ticket {number}: my order needs attention" for number in range(36)]
    truth = {text: {label for label in labels if rng.random() < 0.4} for text in texts}

    # when
    run = run_labeling_job(
        s3=s3,
        requester=requester,
        requester_client=requester_client,
        crowd=crowd,
        seed=seed,
        body=_job_body("tickets-e2e", task_type="text_multilabel", attribute=attribute, labels=labels),
        input_lines=[{"source": text} for text in texts],
        answer=lambda key, accuracy, rng: {"labels": answer_labels(truth[key], labels, accuracy, rng)},
    )

    # then
    assert {frozenset(offer.task["input"]) for offer in run.offers} == {frozenset({"source"})}
    _assert_worked_and_counted(run, objects=36)
    found = {
        written["source"]: parse_multilabel(
            written,
            attribute=attribute,
            labels=labels,
            ground_truth_type="groundtruth/text-classification-multilabel",
            job_name="tickets-e2e",
        )
        for written in run.output_lines
    }
    _multilabel_quality(run, found, truth, labels, "text_multilabel")


# --- geometric ----------------------------------------------------------------------------------


def test_bounding_box_end_to_end(s3, requester, requester_client, crowd):
    # given: images of two sizes, one to three boxes each
    seed, labels, attribute = 505, ["car", "person", "sign"], "boxes"
    rng = np.random.default_rng(seed)
    names = [f"frame-{number:03d}.bin" for number in range(36)]
    sizes = {
        name: ({"width": 100, "height": 80} if number % 2 else {"width": 120, "height": 90})
        for number, name in enumerate(names)
    }
    truth = {name: truth_boxes(rng, labels, sizes[name]) for name in names}
    images = _put_images(s3, names, rng)

    # when
    run = run_labeling_job(
        s3=s3,
        requester=requester,
        requester_client=requester_client,
        crowd=crowd,
        seed=seed,
        body=_job_body("frames-e2e", task_type="bounding_box", attribute=attribute, labels=labels),
        input_lines=[{"source-ref": s3.uri(f"images/{name}")} for name in names],
        answer=lambda key, accuracy, rng: answer_boxes(truth[key], sizes[key], labels, accuracy, rng),
    )

    # then
    _assert_image_inputs(run, s3, images, visible={})
    _assert_same_task_fields(run)
    _assert_worked_and_counted(run, objects=36)
    found = {}
    for written in run.output_lines:
        size, boxes = parse_boxes(written, attribute=attribute, labels=labels, job_name="frames-e2e")
        key = key_from_line(written)
        assert size == {**sizes[key], "depth": 3}
        found[key] = boxes
    baseline = {key: averaged_boxes([a["boxes"] for a in given]) for key, given in run.answers_by_key().items()}
    groundwork_f1, majority_f1 = box_f1(found, truth), box_f1(baseline, truth)
    _report("bounding_box", "box F1 at IoU 0.5", groundwork_f1, majority_f1)
    assert groundwork_f1 >= 0.8
    assert_at_least_baseline("box F1", groundwork_f1, majority_f1)


def test_named_entity_recognition_end_to_end(s3, requester, requester_client, crowd):
    # given
    seed, labels, attribute = 606, ["PER", "ORG", "LOC"], "ner"
    rng = np.random.default_rng(seed)
    texts = [truth_text(rng, number, labels) for number in range(36)]
    truth = dict(texts)

    # when
    run = run_labeling_job(
        s3=s3,
        requester=requester,
        requester_client=requester_client,
        crowd=crowd,
        seed=seed,
        body=_job_body("entities-e2e", task_type="named_entity_recognition", attribute=attribute, labels=labels),
        input_lines=[{"source": text} for text, _ in texts],
        answer=lambda key, accuracy, rng: answer_entities(key, truth[key], labels, accuracy, rng),
    )

    # then
    assert {frozenset(offer.task["input"]) for offer in run.offers} == {frozenset({"source"})}
    _assert_same_task_fields(run)
    _assert_worked_and_counted(run, objects=36)
    found = {
        written["source"]: parse_entities(written, attribute=attribute, labels=labels, job_name="entities-e2e")
        for written in run.output_lines
    }
    baseline = {key: majority_spans([a["entities"] for a in given]) for key, given in run.answers_by_key().items()}
    groundwork_f1, majority_f1 = span_f1(found, truth), span_f1(baseline, truth)
    _report("named_entity_recognition", "span F1", groundwork_f1, majority_f1)
    assert groundwork_f1 >= 0.85
    assert_at_least_baseline("span F1", groundwork_f1, majority_f1)


def test_semantic_segmentation_end_to_end(s3, requester, requester_client, crowd):
    # given: 16x16 masks, background and two classes
    seed, labels, attribute = 707, ["BACKGROUND", "road", "car"], "streets-ref"
    rng = np.random.default_rng(seed)
    names = [f"scene-{number:03d}.bin" for number in range(30)]
    truth = {name: truth_mask(rng, len(labels), 16) for name in names}
    images = _put_images(s3, names, rng)

    # when
    run = run_labeling_job(
        s3=s3,
        requester=requester,
        requester_client=requester_client,
        crowd=crowd,
        seed=seed,
        body=_job_body("scenes-e2e", task_type="semantic_segmentation", attribute=attribute, labels=labels),
        input_lines=[{"source-ref": s3.uri(f"images/{name}")} for name in names],
        answer=lambda key, accuracy, rng: answer_mask(truth[key], len(labels), accuracy, rng),
    )

    # then
    _assert_image_inputs(run, s3, images, visible={})
    _assert_same_task_fields(run)
    _assert_worked_and_counted(run, objects=30)
    found = {}
    for index, written in enumerate(run.output_lines):
        uri = parse_segmentation(written, attribute=attribute, labels=labels, job_name="scenes-e2e")
        key = f"out/scenes-e2e/annotations/consolidated-annotation/output/{index}.png"  # 0-based, as AWS's
        assert uri == s3.uri(key)
        found[key_from_line(written)] = decode_png(s3.get(key))
    masks = s3.list("out/scenes-e2e/annotations/consolidated-annotation/output/")
    assert masks == sorted(
        f"out/scenes-e2e/annotations/consolidated-annotation/output/{index}.png" for index in range(30)
    )
    baseline = {
        key: majority_mask([decode_png_base64(a["mask"]) for a in given], len(labels), object_rng(seed, 99, key))
        for key, given in run.answers_by_key().items()
    }
    groundwork_iou = mean_iou(found, truth, len(labels))
    majority_iou = mean_iou(baseline, truth, len(labels))
    _report("semantic_segmentation", "mean IoU", groundwork_iou, majority_iou)
    # Workers get single pixels wrong (45% of them, for the worst); guessing scores about 0.2.
    assert groundwork_iou >= 0.6
    assert_at_least_baseline("mean IoU", groundwork_iou, majority_iou)
