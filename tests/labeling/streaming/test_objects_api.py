"""``POST /api/v1/labeling-jobs/{id}/objects``: a streaming job takes objects while it runs
(docs/labeling.md, "Streaming jobs"): the manifest's line checks, dataset_object_id repeats,
escrow per added object (402 adds nothing), and the states that refuse objects."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from labeling.models import DataObject, LabelingJob
from labeling.services.sweeps import run_labeling_sweeps
from marketplace.models import Task
from marketplace.selectors.ledger import requester_balance
from tests.marketplace.ledger_invariants import ledger_violations
from tests.support.factories import client_with
from tests.support.worker_api import claim_offer, submit_ok

from .helpers import JOBS_URL, add, add_ok, answer_one, body, get_job, register, start, text

pytestmark = pytest.mark.django_db

SLOT_MICROS = 60_000  # a $0.05 answer plus the $0.01 minimum fee


def task_statuses(job_id: int) -> list[str]:
    return list(
        DataObject.objects.filter(job_id=job_id).order_by("object_index").values_list("task__status", flat=True)
    )


def test_a_streaming_job_starts_empty_and_offers_added_objects_in_their_order(
    make_requester, make_worker, storage_root
):
    # given
    requester = make_requester()
    register(requester)
    job = start(requester)
    worker = make_worker()

    # when
    added = add_ok(requester, job["id"], [text(0), text(1), text(2)])

    # then
    assert job["label_counters"]["unlabeled"] == 0 and job["input_mode"] == "streaming"
    assert added == {
        "job_id": job["id"],
        "added": 3,
        "repeated": 0,
        "objects": [{"object_index": i, "dataset_object_id": None, "added": True} for i in range(3)],
    }
    assert get_job(requester, job["id"])["label_counters"]["unlabeled"] == 3
    first = DataObject.objects.get(job_id=job["id"], object_index=0)
    assert answer_one(worker) == first.task_id
    assert first.source_line == '{"source": "object 0: cat"}'


def test_bad_lines_are_a_400_naming_each_object_and_attribute_and_add_nothing(make_requester, storage_root):
    # given
    requester = make_requester()
    register(requester)
    job = start(requester)
    before = requester_balance(requester.organization)

    # when
    response = add(
        requester,
        job["id"],
        [
            text(0),
            {"source-ref": "file://elsewhere/cat.txt"},
            {"source": ""},
            "not an object",
            {"source": "has a label", "species": "cat"},
            {"source": "both", "source-ref": "file://acme/x.jpg"},
            {"source": "bad id", "dataset_object_id": 7},
        ],
    )

    # then
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["fields"] == {
        "objects.1.source-ref": [
            "source-ref 'file://elsewhere/cat.txt' is not in storage registered for this requester"
        ],
        "objects.2.source": ["source must be a non-empty string"],
        "objects.3": ["must be a JSON object"],
        "objects.4.species": ["already has the label attribute 'species'"],
        "objects.5.source-ref": ["needs exactly one of source-ref and source"],
        "objects.6.dataset_object_id": ["must be a non-empty string of at most 256 characters"],
    }
    assert DataObject.objects.filter(job_id=job["id"]).count() == 0
    assert requester_balance(requester.organization) == before


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"objects": []}, "objects", "must be a non-empty list of manifest lines (JSON objects)"),
        ({"objects": [text(i) for i in range(1001)]}, "objects", "must hold at most 1000 objects per call"),
        ({"objects": {"source": "x"}}, "objects", "must be a non-empty list of manifest lines (JSON objects)"),
        ({"objects": [text(0)], "extra": 1}, "extra", None),
        ({}, "objects", None),
    ],
)
def test_a_bad_body_is_a_400_naming_the_field(make_requester, storage_root, payload, field, message):
    # given
    requester = make_requester()
    register(requester)
    job = start(requester)

    # when
    response = client_with(requester.api_key).post(f"{JOBS_URL}/{job['id']}/objects", payload, format="json")

    # then
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert list(fields) == [field]
    if message:
        assert fields[field] == [message]
    assert DataObject.objects.filter(job_id=job["id"]).count() == 0


def test_an_addition_the_balance_cannot_cover_is_a_402_that_adds_nothing(make_requester, storage_root):
    # given: money for exactly two objects (one answer each)
    requester = make_requester(balance_micros=2 * SLOT_MICROS)
    register(requester)
    job = start(requester)

    # when
    refused = add(requester, job["id"], [text(0), text(1), text(2)])

    # then
    assert refused.status_code == 402
    assert refused.json()["error"]["code"] == "insufficient_balance"
    assert DataObject.objects.filter(job_id=job["id"]).count() == 0
    assert Task.objects.filter(batch_id=job["batch_id"]).count() == 0
    assert get_job(requester, job["id"])["label_counters"]["unlabeled"] == 0
    assert requester_balance(requester.organization).available_micros == 2 * SLOT_MICROS
    # and two fit
    assert add_ok(requester, job["id"], [text(0), text(1)])["added"] == 2
    balance = requester_balance(requester.organization)
    assert (balance.available_micros, balance.on_hold_micros) == (0, 2 * SLOT_MICROS)
    assert ledger_violations() == []


def test_a_repeated_dataset_object_id_adds_nothing_and_is_reported(make_requester, storage_root):
    # given
    requester = make_requester()
    register(requester)
    job = start(requester)
    objects = [
        {"source": "a", "dataset_object_id": "a-1"},
        {"source": "b", "dataset_object_id": "b-1"},
        {"source": "a, sent twice", "dataset_object_id": "a-1"},
        {"source": "no id"},
    ]

    # when
    first = add_ok(requester, job["id"], objects)
    on_hold = requester_balance(requester.organization).on_hold_micros
    again = add_ok(requester, job["id"], objects[:3])

    # then
    assert (first["added"], first["repeated"]) == (3, 1)
    assert [(item["object_index"], item["added"]) for item in first["objects"]] == [
        (0, True),
        (1, True),
        (0, False),
        (2, True),
    ]
    assert again == {
        "job_id": job["id"],
        "added": 0,
        "repeated": 3,
        "objects": [
            {"object_index": 0, "dataset_object_id": "a-1", "added": False},
            {"object_index": 1, "dataset_object_id": "b-1", "added": False},
            {"object_index": 0, "dataset_object_id": "a-1", "added": False},
        ],
    }
    assert DataObject.objects.filter(job_id=job["id"]).count() == 3
    assert requester_balance(requester.organization).on_hold_micros == on_hold == 3 * SLOT_MICROS
    # the id travels with the line, so the label comes back with it
    assert DataObject.objects.get(job_id=job["id"], object_index=0).source_line == (
        '{"source": "a", "dataset_object_id": "a-1"}'
    )


def test_objects_go_out_only_as_max_concurrent_task_count_leaves_room(make_requester, make_worker, storage_root):
    # given: at most two objects out at once
    requester = make_requester()
    register(requester)
    job = start(requester, max_concurrent_task_count=2)
    worker = make_worker()

    # when
    add_ok(requester, job["id"], [text(i) for i in range(5)])

    # then
    assert task_statuses(job["id"]) == ["open", "open", "held", "held", "held"]
    assert answer_one(worker) is not None
    assert answer_one(worker) is not None
    assert answer_one(make_worker()) is None  # the held ones are offered to nobody
    run_labeling_sweeps()  # one pass releases the next two, in object order
    assert task_statuses(job["id"]) == ["complete", "complete", "open", "open", "held"]


def test_a_claimed_object_counts_as_out_until_its_answer_comes(make_requester, make_worker, storage_root):
    # given: one object out at a time, its task full with a live assignment
    requester = make_requester()
    register(requester)
    job = start(requester, max_concurrent_task_count=1)
    add_ok(requester, job["id"], [text(0), text(1)])
    worker = make_worker()
    offer = claim_offer(worker)

    # when
    run_labeling_sweeps()

    # then
    assert task_statuses(job["id"]) == ["full", "held"]
    submit_ok(worker, offer["assignment_id"], {"label": "cat"})
    run_labeling_sweeps()
    assert task_statuses(job["id"]) == ["complete", "open"]


def test_a_first_manifest_starts_the_job_and_its_repeats_are_left_out(make_requester, storage_root):
    # given
    requester = make_requester()
    register(requester)
    lines = [
        {"source": "first", "dataset_object_id": "x"},
        {"source": "second"},
        {"source": "first again", "dataset_object_id": "x"},
        {"source": "third", "dataset_object_id": "y"},
    ]
    (storage_root / "acme" / "first.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))

    # when
    job = start(requester, input_manifest_uri="file://acme/first.jsonl", max_concurrent_task_count=2)
    added = add_ok(requester, job["id"], [{"source": "y again", "dataset_object_id": "y"}, text(9)])

    # then
    assert job["label_counters"]["unlabeled"] == 3
    assert [(item["object_index"], item["added"]) for item in added["objects"]] == [(2, False), (3, True)]
    assert task_statuses(job["id"]) == ["open", "open", "held", "held"]


def test_objects_for_a_job_that_does_not_stream_or_takes_no_more_are_a_409(make_requester, storage_root):
    # given
    requester = make_requester()
    register(requester)
    (storage_root / "acme" / "in.jsonl").write_text('{"source": "x"}\n')
    manifest_job = start(requester, name="plain", input_mode="manifest", input_manifest_uri="file://acme/in.jsonl")
    stopped = start(requester, name="stopped")
    client = client_with(requester.api_key)
    assert client.post(f"{JOBS_URL}/{stopped['id']}/stop").status_code == 200
    initializing = client.post(JOBS_URL, body(name="not-yet"), format="json").json()

    # when
    answers = {
        name: add(requester, job["id"], [text(0)])
        for name, job in (("plain", manifest_job), ("stopped", stopped), ("initializing", initializing))
    }

    # then
    assert {name: (r.status_code, r.json()["error"]["code"]) for name, r in answers.items()} == {
        "plain": (409, "not_streaming"),
        "stopped": (409, "job_ended"),
        "initializing": (409, "job_not_started"),
    }
    assert DataObject.objects.filter(job__name__in=["stopped", "not-yet"]).count() == 0
    assert DataObject.objects.filter(job__name="plain").count() == 1


def test_another_requesters_job_is_a_404(make_requester, storage_root):
    # given
    owner, stranger = make_requester(), make_requester()
    register(owner)
    job = start(owner)

    # when
    response = add(stranger, job["id"], [text(0)])

    # then
    assert response.status_code == 404
    assert DataObject.objects.filter(job_id=job["id"]).count() == 0


def test_an_idle_job_ends_once_its_objects_are_done_and_takes_no_more(make_requester, make_worker, storage_root):
    # given: a job idle for its whole idle period, one object still open
    requester = make_requester()
    register(requester)
    job = start(requester, streaming_idle_seconds=60)
    add_ok(requester, job["id"], [text(0), text(1)])
    worker = make_worker()
    answer_one(worker)
    LabelingJob.objects.filter(pk=job["id"]).update(last_object_at=timezone.now() - timedelta(seconds=61))

    # when: idle, but an object is still out
    run_labeling_sweeps()

    # then
    assert get_job(requester, job["id"])["status"] == "in_progress"
    answer_one(worker)
    run_labeling_sweeps()
    ended = get_job(requester, job["id"])
    assert ended["status"] == "completed"
    assert ended["label_counters"]["human_labeled"] == 2
    assert ended["output_manifest_uri"] == "file://acme/out/stream-1/manifests/output/output.manifest"
    refused = add(requester, job["id"], [text(2)])
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "job_ended")
    assert requester_balance(requester.organization).on_hold_micros == 2 * SLOT_MICROS  # answers await approval


def test_a_job_that_is_not_idle_never_ends_on_its_own(make_requester, make_worker, storage_root):
    # given: every object answered
    requester = make_requester()
    register(requester)
    job = start(requester)
    add_ok(requester, job["id"], [text(0)])
    answer_one(make_worker())

    # when
    for _ in range(3):
        run_labeling_sweeps()

    # then
    after = get_job(requester, job["id"])
    assert (after["status"], after["label_counters"]["human_labeled"]) == ("in_progress", 1)
    assert add_ok(requester, job["id"], [text(1)])["added"] == 1


def test_stopping_ends_held_objects_and_gives_their_escrow_back(make_requester, make_worker, storage_root):
    # given: one object answered, one out, three held
    requester = make_requester()
    register(requester)
    job = start(requester, max_concurrent_task_count=2)
    add_ok(requester, job["id"], [text(i) for i in range(5)])
    answer_one(make_worker())

    # when
    assert client_with(requester.api_key).post(f"{JOBS_URL}/{job['id']}/stop").status_code == 200
    run_labeling_sweeps()

    # then
    ended = get_job(requester, job["id"])
    assert ended["status"] == "stopped"
    assert task_statuses(job["id"]) == ["complete", "stopped", "stopped", "stopped", "stopped"]
    assert requester_balance(requester.organization).on_hold_micros == SLOT_MICROS  # the answer awaiting approval
    assert ledger_violations() == []


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"input_mode": "manifest"}, "input_manifest_uri", "is required"),
        (
            {"input_mode": "manifest", "input_manifest_uri": "file://acme/in.jsonl", "max_concurrent_task_count": 5},
            "max_concurrent_task_count",
            "only applies to a streaming job (input_mode streaming)",
        ),
        ({"input_mode": "batch"}, "input_mode", "must be one of manifest, streaming"),
        ({"max_concurrent_task_count": 0}, "max_concurrent_task_count", None),
        ({"max_concurrent_task_count": 5001}, "max_concurrent_task_count", None),
        ({"streaming_idle_seconds": 59}, "streaming_idle_seconds", None),
        (
            {"input_watch_uri": "file://acme/out/stream-1/"},
            "input_watch_uri",
            "must not overlap output_uri (the job would read its own output)",
        ),
    ],
)
def test_bad_streaming_fields_are_a_400_naming_the_field(make_requester, storage_root, overrides, field, message):
    # given
    requester = make_requester()
    register(requester)

    # when
    response = client_with(requester.api_key).post(JOBS_URL, body(**overrides), format="json")

    # then
    assert response.status_code == 400, response.content
    fields = response.json()["error"]["fields"]
    assert field in fields
    if message:
        assert fields[field] == [message]
    assert LabelingJob.objects.count() == 0
