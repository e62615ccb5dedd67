"""A job chained on a job that used automated labeling starts from its model (docs/labeling.md,
"Chaining"): the source's last model is copied beside the new job's output at ingestion, and the
new job's first round scores with it (every human label of the sample validates it, nothing
trains) instead of training one; later rounds train their own."""

from __future__ import annotations

import json

import pytest

from labeling.automation import MIN_OBJECTS
from labeling.models import AutomationRound
from tests.labeling.automated_jobs.helpers import drive, start_job, stop_job
from tests.labeling.chaining.helpers import get_job, jsonl

pytestmark = pytest.mark.django_db

LABELS = ["cat", "dog"]
WORDS = {"cat": ["meow", "purr", "whiskers"], "dog": ["woof", "bark", "fetch"]}


def text(i: int) -> str:
    label = LABELS[(i * 7 + i // 3) % 2]
    return f"it says {WORDS[label][i % 3]} number {i}"


TRUTH = {text(i): LABELS[(i * 7 + i // 3) % 2] for i in range(MIN_OBJECTS)}


def first_round(job_id: int) -> AutomationRound:
    return AutomationRound.objects.get(automation__job_id=job_id, number=1)


def test_a_chained_job_scores_its_first_round_with_the_source_model(requester, bucket, make_worker):
    # given: an automated text job whose built-in features learn the words, stopped after its first round
    bucket.put("in/texts.jsonl", jsonl([{"source": text(i)} for i in range(MIN_OBJECTS)]))
    common = {
        "task_type": "text_classification",
        "output_uri": bucket.uri("out/"),
        "title": "Cat or dog?",
        "reward": "0.01",
        "workers_per_object": 1,
        "automated_labeling": {"target_accuracy": 0.9},
    }
    source = start_job(
        requester,
        {
            **common,
            "name": "auto-source",
            "label_attribute_name": "species",
            "label_categories": LABELS,
            "input_manifest_uri": bucket.uri("in/texts.jsonl"),
        },
    )
    worker = make_worker()
    drive(
        requester, source["id"], worker, TRUTH.__getitem__, until=lambda job: job["automated_labeling"]["rounds"] >= 1
    )
    assert stop_job(requester, source["id"]).status_code == 200
    source = drive(requester, source["id"], worker, TRUTH.__getitem__)
    assert source["status"] == "stopped"
    source_round = first_round(source["id"])
    assert source_round.validation_size < source_round.trained_on  # it trained on part of its labels
    source_model = bucket.get("out/auto-source/models/model.npz")

    # when: a job chained on it, under another attribute, with automated labeling
    chained = start_job(
        requester,
        {**common, "name": "auto-chained", "label_attribute_name": "species-again", "chain_from_job_id": source["id"]},
    )

    # then: the source's model is copied beside its output, and reported
    copy_key = "out/auto-chained/models/starting-model/model.npz"
    assert chained["automated_labeling"]["starting_model_uri"] == bucket.uri(copy_key)
    assert bucket.get(copy_key) == source_model
    assert json.loads(bucket.get("out/auto-chained/models/starting-model/model.json"))["job"] == "auto-source"
    # and: its first round validated that model on every human label of its sample, trained nothing
    chained = drive(
        requester,
        chained["id"],
        make_worker(),
        TRUTH.__getitem__,
        until=lambda job: job["automated_labeling"]["rounds"] >= 1,
    )
    chained_round = first_round(chained["id"])
    assert chained_round.validation_size == chained_round.trained_on > 0
    card = json.loads(bucket.get("out/auto-chained/models/model.json"))
    assert (card["round"], card["training_size"], card["validation"]["size"]) == (1, 0, chained_round.trained_on)
    assert chained_round.machine_labeled > 0
    assert get_job(requester, chained["id"])["label_counters"]["machine_labeled"] == chained_round.machine_labeled
