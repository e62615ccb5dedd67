"""A job's output folder read the way Ground Truth users' scripts read it, one job per task type
(moto's S3 server over HTTP, real workers over the REST API, the real sweeps), every field
checked against the record documented in ``docs/ground-truth-formats.md``: the manifest, the
worker-response files under ``annotations/worker-response/iteration-1/<idx>/``, the
consolidation requests and responses, the intermediate manifest; and a running job's output
refreshed before it ends."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime

import numpy as np
import pytest

from labeling.models import DataObject, LabelingJob
from labeling.services.storage_registration import storage_register
from labeling.services.sweeps import run_labeling_sweeps
from labeling.task_types.segmentation import class_colors
from tests.labeling.simulation.common import OUTPUT_PREFIX
from tests.labeling.simulation.crowd import _post, key_from_line, make_crowd
from tests.labeling.simulation.jobs import jsonl, parse_jsonl, read_worker_responses, run_labeling_job
from tests.labeling.simulation.output_records import (
    decode_png,
    decode_png_base64,
    encode_png_base64,
    parse_boxes,
    parse_classification,
    parse_entities,
    parse_multilabel,
    parse_segmentation,
)

pytestmark = pytest.mark.django_db

ANSWER_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
FILE_NAME = re.compile(r"/iteration-1/\d{4}-\d\d-\d\d_\d\d:\d\d:\d\d\.json$")
ANSWER_KEYS = {"acceptanceTime", "answerContent", "submissionTime", "timeSpentInSeconds", "workerId", "workerMetadata"}
OBJECTS = 4


@pytest.fixture
def pair(make_worker):
    """Two workers: the first answers the truth, the second (accuracy 0.5) a variant of it."""
    return make_crowd(make_worker, accuracies=(1.0, 0.5))


def _body(name: str, task_type: str, attribute: str, **extra) -> dict:
    return {
        "name": name,
        "label_attribute_name": attribute,
        "task_type": task_type,
        "title": name,
        "workers_per_object": 2,
        "reward": "0.01",
        **extra,
    }


def _time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def _read_folder(s3, run, *, expected_content, normalize=lambda content: content) -> dict[str, dict]:
    """Everything but the label records, checked; returns the manifest lines by
    ``datasetObjectId``. ``expected_content(answer)`` is the ``answerContent`` the built-in UI
    would have recorded for one of our answers."""
    name = run.job["name"]
    root = f"{OUTPUT_PREFIX}{name}/"
    attribute = run.job["label_attribute_name"]
    lines = {str(index): line for index, line in enumerate(run.output_lines)}
    assert len(lines) == len(run.input_lines) == OBJECTS

    # the intermediate manifest: the labeled lines (all of them, at the end)
    assert parse_jsonl(s3.get(f"{root}annotations/intermediate/1/annotations.manifest")) == run.output_lines

    # worker responses: one file per object, exactly the answers given, Ground Truth's keys
    submitted = {}
    for offer in run.offers:
        submitted.setdefault(offer.key, {})[str(offer.worker.worker_id)] = offer.answer
    files = s3.list(f"{root}annotations/worker-response/")
    assert [key.rsplit("/", 2)[-2] for key in files] == sorted(str(index) for index in range(OBJECTS))
    by_index = {}
    for number, answers in run.responses.items():
        index, given = str(number - 1), submitted[key_from_line(run.input_lines[number - 1])]
        assert {entry["raw"]["workerId"] for entry in answers} == set(given)
        for entry in answers:
            raw = entry["raw"]
            assert set(raw) == ANSWER_KEYS
            assert normalize(raw["answerContent"]) == expected_content(given[raw["workerId"]])
            assert ANSWER_TIME.match(raw["acceptanceTime"]) and ANSWER_TIME.match(raw["submissionTime"])
            spent = (_time(raw["submissionTime"]) - _time(raw["acceptanceTime"])).total_seconds()
            assert spent >= 0 and raw["timeSpentInSeconds"] == pytest.approx(spent, abs=0.002)
            assert raw["workerMetadata"] == {
                "identityData": {"identityProviderType": "Groundwork", "issuer": "groundwork", "sub": raw["workerId"]}
            }
        by_index[index] = answers

    # consolidation requests and responses: every object once, files named alike
    folder = f"{root}annotations/consolidated-annotation/"
    request_files = s3.list(f"{folder}consolidation-request/")
    response_files = s3.list(f"{folder}consolidation-response/")
    assert request_files and all(FILE_NAME.search(key) for key in request_files)
    assert [key.rsplit("/", 1)[1] for key in request_files] == [key.rsplit("/", 1)[1] for key in response_files]
    requests = [item for key in request_files for item in json.loads(s3.get(key))]
    responses = [item for key in response_files for item in json.loads(s3.get(key))]
    assert sorted(item["datasetObjectId"] for item in requests) == sorted(lines)
    for item in requests:
        index = item["datasetObjectId"]
        assert set(item) == {"datasetObjectId", "dataObject", "annotations"}
        line = lines[index]
        assert item["dataObject"] == (
            {"s3Uri": line["source-ref"]} if "source-ref" in line else {"content": line["source"]}
        )
        assert sorted(
            (a["workerId"], json.loads(a["annotationData"]["content"])) for a in item["annotations"]
        ) == sorted((entry["raw"]["workerId"], entry["raw"]["answerContent"]) for entry in by_index[index])
    assert sorted(item["datasetObjectId"] for item in responses) == sorted(lines)
    for item in responses:
        line = lines[item["datasetObjectId"]]
        assert item["consolidatedAnnotation"] == {
            "content": {attribute: line[attribute], f"{attribute}-metadata": line[f"{attribute}-metadata"]}
        }

    # creation-date: when the object was labeled (after its last answer, before the job ended)
    ended = datetime.fromisoformat(run.job["ended_at"].replace("Z", "+00:00"))
    labeled_at = dict(
        DataObject.objects.filter(job_id=run.job["id"], is_gold=False).values_list("object_index", "labeled_at")
    )
    for index, line in lines.items():
        created = datetime.fromisoformat(line[f"{attribute}-metadata"]["creation-date"]).replace(tzinfo=UTC)
        last_answer = max(_time(entry["raw"]["submissionTime"]) for entry in by_index[index])
        assert last_answer <= created <= ended
        assert created == labeled_at[int(index)]
    return lines


def test_image_classification_output(s3, requester, requester_client, pair):
    labels = ["cat", "dog", "bird"]
    truth = {f"img-{n}.jpg": labels[n % 3] for n in range(OBJECTS)}
    for name in truth:
        s3.put(f"images/{name}", b"x")
    run = run_labeling_job(
        s3=s3,
        requester=requester,
        requester_client=requester_client,
        crowd=pair,
        seed=1,
        body=_body("gt-images", "image_classification", "species", label_categories=labels),
        input_lines=[{"source-ref": s3.uri(f"images/{name}"), "note": n} for n, name in enumerate(truth)],
        answer=lambda key, accuracy, rng: {"label": truth[key] if accuracy == 1.0 else "dog"},
    )
    lines = _read_folder(s3, run, expected_content=lambda a: {"crowd-image-classifier": {"label": a["label"]}})
    for line in lines.values():
        assert isinstance(line["species"], int)
        name = parse_classification(
            line,
            attribute="species",
            labels=labels,
            ground_truth_type="groundtruth/image-classification",
            job_name="gt-images",
        )
        assert name in labels


def test_text_classification_output_one_worker_gets_a_calibrated_confidence(s3, requester, requester_client, pair):
    # given: one worker per object, where Ground Truth writes a confidence of 0.00
    labels = ["positive", "negative"]
    texts = [f"review {n}: fine" for n in range(OBJECTS)]
    run = run_labeling_job(
        s3=s3,
        requester=requester,
        requester_client=requester_client,
        crowd=pair,
        seed=2,
        body=_body("gt-texts", "text_classification", "sentiment", label_categories=labels, workers_per_object=1),
        input_lines=[{"source": text} for text in texts],
        answer=lambda key, accuracy, rng: {"label": "positive"},
    )
    lines = _read_folder(s3, run, expected_content=lambda a: {"crowd-classifier": {"label": a["label"]}})
    for line in lines.values():
        assert parse_classification(
            line,
            attribute="sentiment",
            labels=labels,
            ground_truth_type="groundtruth/text-classification",
            job_name="gt-texts",
        )
        assert 0.0 < line["sentiment-metadata"]["confidence"] < 1.0


@pytest.mark.parametrize("task_type", ["image_multilabel", "text_multilabel"])
def test_multilabel_output_lists_every_label_a_worker_chose(s3, requester, requester_client, pair, task_type):
    labels = ["person", "bicycle", "car", "dog"]
    is_image = task_type == "image_multilabel"
    keys = [f"scene-{n}.jpg" if is_image else f"caption {n}" for n in range(OBJECTS)]
    if is_image:
        for key in keys:
            s3.put(f"images/{key}", b"x")

    def answer(key, accuracy, rng):  # the second worker adds "dog" to what the first says
        chosen = ["person"] if keys.index(key) % 2 else ["person", "car"]
        return {"labels": chosen if accuracy == 1.0 else [*chosen, "dog"]}

    run = run_labeling_job(
        s3=s3,
        requester=requester,
        requester_client=requester_client,
        crowd=pair,
        seed=3,
        body=_body(f"gt-{task_type.replace('_', '-')}", task_type, "tags", label_categories=labels),
        input_lines=[{"source-ref": s3.uri(f"images/{key}")} if is_image else {"source": key} for key in keys],
        answer=answer,
    )
    element = "crowd-image-classifier-multi-select" if is_image else "crowd-classifier-multi-select"
    lines = _read_folder(s3, run, expected_content=lambda a: {element: {"labels": a["labels"]}})
    gt_type = f"groundtruth/{'image' if is_image else 'text'}-classification-multilabel"
    for line in lines.values():
        parse_multilabel(line, attribute="tags", labels=labels, ground_truth_type=gt_type, job_name=run.job["name"])
        answers = run.responses[run.output_lines.index(line) + 1]
        chosen = {name for entry in answers for name in entry["answer"]["labels"]}
        assert line["tags"] == sorted(labels.index(name) for name in chosen)  # "dog" too, whatever its probability
        assert set(line["tags-metadata"]["confidence-map"]) == {str(labels.index(name)) for name in chosen}


def test_bounding_box_output(s3, requester, requester_client, pair):
    labels = ["car", "sign"]
    names = [f"frame-{n}.jpg" for n in range(OBJECTS)]
    for name in names:
        s3.put(f"images/{name}", b"x")

    def answer(key, accuracy, rng):
        shift = 0 if accuracy == 1.0 else 1
        return {
            "image_size": {"width": 64, "height": 48, "depth": 3},
            "boxes": [
                {"label": "car", "left": 4 + shift, "top": 5, "width": 20, "height": 10},
                {"label": "sign", "left": 30, "top": 20 + shift, "width": 8.5, "height": 12},
            ],
        }

    run = run_labeling_job(
        s3=s3,
        requester=requester,
        requester_client=requester_client,
        crowd=pair,
        seed=4,
        body=_body("gt-boxes", "bounding_box", "boxes", label_categories=labels),
        input_lines=[{"source-ref": s3.uri(f"images/{name}")} for name in names],
        answer=answer,
    )
    lines = _read_folder(
        s3,
        run,
        expected_content=lambda a: {
            "boundingBox": {
                "boundingBoxes": [
                    {key: box[key] for key in ("height", "label", "left", "top", "width")} for box in a["boxes"]
                ],
                "inputImageProperties": {"height": 48, "width": 64},
            }
        },
    )
    for line in lines.values():
        size, boxes = parse_boxes(line, attribute="boxes", labels=labels, job_name="gt-boxes")
        assert size == {"width": 64, "height": 48, "depth": 3}
        assert sorted(box["label"] for box in boxes) == ["car", "sign"]


def test_named_entity_output_keeps_short_display_names(s3, requester, requester_client, pair):
    # given: a label category file with a short display name for one label
    s3.put(
        "in/labels.json",
        json.dumps(
            {
                "document-version": "2018-11-28",
                "labels": [{"label": "Organization", "shortDisplayName": "ORG"}, {"label": "Date"}],
            }
        ).encode(),
    )
    texts = [f"Acme{n} opened in 2017." for n in range(OBJECTS)]

    def answer(key, accuracy, rng):
        entities = [{"label": "Organization", "start": 0, "end": 5}]
        return {"entities": entities + ([{"label": "Date", "start": 16, "end": 20}] if accuracy == 1.0 else [])}

    run = run_labeling_job(
        s3=s3,
        requester=requester,
        requester_client=requester_client,
        crowd=pair,
        seed=5,
        body=_body("gt-ner", "named_entity_recognition", "ner", label_category_config_uri=s3.uri("in/labels.json")),
        input_lines=[{"source": text} for text in texts],
        answer=answer,
    )
    lines = _read_folder(
        s3,
        run,
        expected_content=lambda a: {
            "crowd-entity-annotation": {
                "entities": [
                    {"endOffset": e["end"], "label": e["label"], "startOffset": e["start"]} for e in a["entities"]
                ]
            }
        },
    )
    for line in lines.values():
        assert line["ner"]["annotations"]["labels"] == [
            {"label": "Organization", "shortDisplayName": "ORG"},
            {"label": "Date"},
        ]
        entities = line["ner"]["annotations"]["entities"]
        assert entities[0] == {"label": "Organization", "startOffset": 0, "endOffset": 5}
        assert len(line["ner-metadata"]["entities"]) == len(entities)
        line["ner"]["annotations"]["labels"] = [{"label": "Organization"}, {"label": "Date"}]
        parse_entities(line, attribute="ner", labels=["Organization", "Date"], job_name="gt-ner")


def test_semantic_segmentation_output_has_background_at_zero(s3, requester, requester_client, pair):
    # given: the requester lists only its classes; a worker's mask paints index 1 for "road"
    names = [f"street-{n}.png" for n in range(OBJECTS)]
    for name in names:
        s3.put(f"images/{name}", b"x")
    truth = np.zeros((6, 8), dtype=np.uint8)
    truth[3:, :] = 1  # road
    truth[0, 0] = 2  # car

    def answer(key, accuracy, rng):
        mask = truth.copy()
        if accuracy != 1.0:
            mask[0, 7] = 2
        return {"mask": encode_png_base64(mask)}

    run = run_labeling_job(
        s3=s3,
        requester=requester,
        requester_client=requester_client,
        crowd=pair,
        seed=6,
        body=_body("gt-masks", "semantic_segmentation", "streets-ref", label_categories=["road", "car"]),
        input_lines=[{"source-ref": s3.uri(f"images/{name}")} for name in names],
        answer=answer,
    )
    labels = ["BACKGROUND", "road", "car"]
    assert run.job["label_categories"] == labels
    assert {tuple(offer.task["labels"]) for offer in run.offers} == {tuple(labels)}  # worker index == class id
    colors = class_colors(3)

    def content(answer: dict) -> dict:
        return {
            "crowd-semantic-segmentation": {
                "inputImageProperties": {"height": 6, "width": 8},
                "labelMappings": {"road": {"color": colors[1]}, "car": {"color": colors[2]}},
                "labeledImage": {"pngImageData": decode_png_base64(answer["mask"]).tolist()},
            }
        }

    def pixels(raw: dict) -> dict:  # the PNG compared by its class ids (a palette PNG of them)
        body = raw["crowd-semantic-segmentation"]
        image = body["labeledImage"]["pngImageData"]
        return {
            "crowd-semantic-segmentation": {**body, "labeledImage": {"pngImageData": decode_png_base64(image).tolist()}}
        }

    lines = _read_folder(s3, run, expected_content=content, normalize=pixels)
    for index, line in lines.items():
        uri = parse_segmentation(line, attribute="streets-ref", labels=labels, job_name="gt-masks")
        color_map = line["streets-ref-metadata"]["internal-color-map"]
        assert color_map["0"] == {
            "class-name": "BACKGROUND",
            "hex-color": "#ffffff",
            "confidence": color_map["0"]["confidence"],
        }
        assert [color_map[str(k)]["hex-color"] for k in range(3)] == colors
        key = uri.removeprefix(s3.uri(""))
        assert key == f"{OUTPUT_PREFIX}gt-masks/annotations/consolidated-annotation/output/{index}.png"
        assert np.array_equal(decode_png(s3.get(key)), truth)  # unpainted pixels are BACKGROUND (0)


def test_running_job_output_is_refreshed_before_it_ends(s3, requester, requester_client, make_worker, settings):
    # given: a job of 4 texts, one answer each, whose output may be refreshed at every pass
    settings.GROUNDWORK = {**settings.GROUNDWORK, "LABELING_OUTPUT_REFRESH_SECONDS": 0}
    inputs = [{"source": f"pet {n}", "id": n} for n in range(OBJECTS)]
    s3.put("in/manifest.jsonl", jsonl(inputs))
    storage_register(organization=requester.organization, uri_prefix=s3.uri(""))
    created = requester_client.post(
        "/api/v1/labeling-jobs",
        _body(
            "gt-running",
            "text_classification",
            "pet",
            label_categories=["cat", "dog"],
            workers_per_object=1,
            input_manifest_uri=s3.uri("in/manifest.jsonl"),
            output_uri=s3.uri(OUTPUT_PREFIX),
        ),
        format="json",
    )
    assert created.status_code == 201, created.content
    job_id = created.json()["id"]
    run_labeling_sweeps()
    worker = make_worker()
    root = f"{OUTPUT_PREFIX}gt-running/"

    def answer_one() -> str:
        task = _post(worker.client, "/api/v1/worker/tasks/next").json()
        submitted = _post(
            worker.client, f"/api/v1/worker/assignments/{task['assignment_id']}/submit", {"answer": {"label": "cat"}}
        )
        assert submitted.status_code == 200, submitted.content
        return task["input"]["source"]

    def folder() -> tuple[list[dict], list[dict], dict, list[str]]:
        return (
            parse_jsonl(s3.get(f"{root}manifests/output/output.manifest")),
            parse_jsonl(s3.get(f"{root}annotations/intermediate/1/annotations.manifest")),
            read_worker_responses(s3, root),
            s3.list(f"{root}annotations/consolidated-annotation/consolidation-request/"),
        )

    def assert_refreshed(done: list[str]) -> None:
        manifest, intermediate, responses, _ = folder()
        assert [line["source"] for line in manifest] == [line["source"] for line in inputs]  # input order
        for line, given in zip(manifest, inputs, strict=True):
            if line["source"] in done:
                assert line["pet"] == 0 and line["pet-metadata"]["class-name"] == "cat"
                assert {k: v for k, v in line.items() if k not in ("pet", "pet-metadata")} == given
            else:
                assert line == given  # an unlabeled line is the input line, copied as it is
        assert intermediate == [line for line in manifest if line["source"] in done]
        assert sorted(responses) == sorted(n + 1 for n, line in enumerate(inputs) if line["source"] in done)

    # when: two objects are answered and the background passes run
    done = [answer_one(), answer_one()]
    run_labeling_sweeps()

    # then: the running job already has its output folder, labeled and unlabeled lines alike
    assert LabelingJob.objects.get(pk=job_id).status == "in_progress"
    assert_refreshed(done)
    assert len(folder()[3]) == 1

    # a pass without new answers writes nothing
    refreshed_at = LabelingJob.objects.get(pk=job_id).output_refreshed_at
    run_labeling_sweeps()
    assert LabelingJob.objects.get(pk=job_id).output_refreshed_at == refreshed_at

    # within the refresh interval, a new label waits for the next refresh
    settings.GROUNDWORK = {**settings.GROUNDWORK, "LABELING_OUTPUT_REFRESH_SECONDS": 3600}
    done.append(answer_one())
    run_labeling_sweeps()
    assert LabelingJob.objects.get(pk=job_id).human_labeled == 3
    assert_refreshed(done[:2])
    settings.GROUNDWORK = {**settings.GROUNDWORK, "LABELING_OUTPUT_REFRESH_SECONDS": 0}
    time.sleep(1.05)  # refreshes are at least a second apart (their files are named by the second)
    run_labeling_sweeps()
    assert_refreshed(done)
    assert len(folder()[3]) == 2  # the newly labeled object's consolidation, in a file of its own

    # when the last object is answered, the job ends with the whole folder
    done.append(answer_one())
    run_labeling_sweeps()
    assert LabelingJob.objects.get(pk=job_id).status == "completed"
    assert_refreshed(done)
    manifest, _, responses, request_files = folder()
    assert all(len(s3.list(f"{root}annotations/worker-response/iteration-1/{n}/")) == 1 for n in range(OBJECTS))
    requested = [item["datasetObjectId"] for key in request_files for item in json.loads(s3.get(key))]
    assert sorted(requested) == ["0", "1", "2", "3"]  # each object once, across the refreshes
