"""Automated labeling in a running job, end to end: ingestion holds the work, rounds machine-label
what the model proves, the audit, the output and the money (docs/automation.md)."""

from __future__ import annotations

import io
import json

import numpy as np

from labeling.automation import initial_sample_size
from labeling.models import AutomationRound, DataObject, JobAutomation
from labeling.services import automation_rounds
from labeling.services.sweeps import run_labeling_sweeps
from marketplace.models import LedgerAccount, LedgerTransaction, Task
from tests.labeling.automated_jobs.helpers import (
    ATTRIBUTE,
    LABELS,
    OBJECTS,
    answer_everything,
    drive,
    get_job,
    job_body,
    machine_lines,
    manifest_lines,
    objects_of,
    open_texts,
    output_lines,
    predicted,
    start_job,
    stop_job,
    text,
)
from tests.marketplace.ledger_invariants import ledger_violations


def label_of(i: int) -> str:
    return LABELS[(i * 7 + i // 3) % 2]


TRUTH = {text(i): label_of(i) for i in range(OBJECTS)}


def right_prediction(i: int) -> list[float]:
    return predicted(0.97 if label_of(i) == "cat" else 0.03)


def gold_manifest(bucket, n: int = 10) -> str:
    lines = [json.dumps({"source": f"gold {i}", "p": predicted(0.97), ATTRIBUTE: {"label": "cat"}}) for i in range(n)]
    bucket.put("gold.jsonl", ("\n".join(lines) + "\n").encode())
    for i in range(n):
        TRUTH[f"gold {i}"] = "cat"
    return bucket.uri("gold.jsonl")


def test_a_proven_model_machine_labels_the_held_objects_and_the_output_says_so(requester, bucket, make_worker):
    # given: the requester's predictions are right and confident; 10 gold objects
    body = job_body(bucket, manifest_lines(OBJECTS, right_prediction), gold_manifest_uri=gold_manifest(bucket))
    job = start_job(requester, body)
    sample = open_texts(job["id"])
    # then: only a random sample (and gold in proportion) is offered at first
    regular_sample = {source for source in sample if source.startswith("object")}
    assert len(regular_sample) == initial_sample_size(OBJECTS)
    assert regular_sample != {text(i) for i in range(200)}
    assert get_job(requester, job["id"])["automated_labeling"]["status"] == "waiting_for_sample"
    assert Task.objects.filter(status=Task.Status.HELD).count() == OBJECTS + 10 - len(sample)
    # when
    job = drive(requester, job["id"], make_worker(), TRUTH.__getitem__)
    # then
    automation = job["automated_labeling"]
    counters = job["label_counters"]
    assert job["status"] == "completed"
    assert automation["status"] == "complete"
    assert counters["machine_labeled"] == automation["machine_labeled"] > 0
    assert counters["human_labeled"] + counters["machine_labeled"] == OBJECTS == counters["total_labeled"]
    assert automation["threshold"] is not None
    assert automation["accuracy_lower_bound"] >= 0.9
    assert automation["audit"]["audited"] >= 20
    assert automation["audit"]["agreed"] == automation["audit"]["audited"]
    assert automation["audit"]["passed"] is True
    # every machine label is in the output as Ground Truth writes one, and right
    lines = output_lines(bucket, job)
    machine = machine_lines(lines)
    assert len(machine) == counters["machine_labeled"]
    for line in machine:
        metadata = line[f"{ATTRIBUTE}-metadata"]
        assert metadata["class-name"] == TRUTH[line["source"]] == LABELS[line[ATTRIBUTE]]
        assert metadata["job-name"] == "labeling-job/auto-1/automated-round-1"
        assert metadata["type"] == "groundtruth/text-classification"
        assert automation["threshold"] - 1e-4 <= metadata["confidence"] <= 1.0  # written to 4 decimals
    machine_objects = objects_of(job["id"]).filter(is_machine_labeled=True)
    assert machine_objects.count() == len(machine)
    # audited objects are written as human labels
    audited = objects_of(job["id"]).filter(audit="agreed")
    assert audited.count() == automation["audit"]["audited"]
    audited_sources = {json.loads(line)["source"] for line in audited.values_list("source_line", flat=True)}
    human_lines = {line["source"]: line for line in lines if line not in machine}
    assert all(human_lines[source][f"{ATTRIBUTE}-metadata"]["human-annotated"] == "yes" for source in audited_sources)
    # gold is never machine-labeled: every gold object got its human answer
    gold = objects_of(job["id"]).filter(is_gold=True)
    assert gold.filter(is_machine_labeled=False, answers=1).count() == 10
    # machine-labeled tasks closed without an answer and hold no escrow; the ledger balances
    tasks = Task.objects.filter(data_object__in=machine_objects)
    assert set(tasks.values_list("status", "slots_used", "escrow_slots").distinct()) == {("complete", 0, 0)}
    assert ledger_violations() == []
    payments = LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.ASSIGNMENT_PAYMENT).count()
    assert payments == 0  # nothing approved yet: what humans answered is still reserved, not paid twice
    assert automation["money_saved"] == _dollars(len(machine) * 1 * (50_000 + _fee(job)))
    # the final model's arrays and card beside the output, readable without pickle
    card = json.loads(bucket.get("out/auto-1/models/model.json"))
    assert (card["classes"], card["round"], card["job"], card["features"]["kind"]) == (
        LABELS,
        1,
        "auto-1",
        "prediction",
    )
    arrays = np.load(io.BytesIO(bucket.get("out/auto-1/models/model.npz")), allow_pickle=False)
    assert sorted(arrays.files) == sorted(card["arrays"])


def _fee(job: dict) -> int:
    return Task.objects.filter(batch_id=job["batch_id"]).values_list("fee_micros", flat=True).first()


def _dollars(micros: int) -> str:
    from marketplace.money import format_micros

    return format_micros(micros)


def test_a_model_no_better_than_chance_machine_labels_nothing(requester, bucket, make_worker):
    # given: the predictions are noise, unrelated to the truth
    rng = np.random.default_rng(7)
    noise = rng.uniform(0.02, 0.98, OBJECTS)
    job = start_job(requester, job_body(bucket, manifest_lines(OBJECTS, lambda i: predicted(noise[i]))))
    # when: three rounds have run, then the requester stops the job
    job = drive(
        requester, job["id"], make_worker(), TRUTH.__getitem__, until=lambda j: j["automated_labeling"]["rounds"] >= 3
    )
    assert stop_job(requester, job["id"]).status_code == 200
    run_labeling_sweeps()
    job = get_job(requester, job["id"])
    # then
    automation = job["automated_labeling"]
    assert job["status"] == "stopped"
    assert (automation["status"], automation["threshold"], automation["machine_labeled"]) == ("labeling", None, 0)
    assert "did not reach 0.9" in automation["reason"]
    assert automation["accuracy_lower_bound"] < 0.9
    assert job["label_counters"]["machine_labeled"] == 0
    assert machine_lines(output_lines(bucket, job)) == []
    assert not objects_of(job["id"]).filter(is_machine_labeled=True).exists()
    assert automation["money_saved"] == "0.00"
    assert ledger_violations() == []


def test_the_audit_stops_automation_when_the_predictor_goes_bad_and_its_labels_go_back_to_humans(
    requester, bucket, make_worker
):
    # given: the predictions match what humans say on the initial sample, and are wrong on
    # every other object (the predictor goes bad after what humans checked first)
    job = start_job(requester, job_body(bucket, manifest_lines(OBJECTS, right_prediction)))
    sample = open_texts(job["id"])
    truth = {source: label if source in sample else LABELS[1 - LABELS.index(label)] for source, label in TRUTH.items()}
    worker = make_worker()
    # when: the first round machine-labels, then the audit comes back
    job = drive(requester, job["id"], worker, truth.__getitem__, until=lambda j: j["label_counters"]["machine_labeled"])
    machine_before = job["label_counters"]["machine_labeled"]
    job = drive(
        requester,
        job["id"],
        worker,
        truth.__getitem__,
        until=lambda j: j["automated_labeling"]["status"] == "stopped_by_audit",
    )
    # then: the machine labels went back to humans, their tasks offered again with escrow reserved
    reverted = objects_of(job["id"]).filter(machine_round__isnull=False, audit="")
    assert reverted.count() == machine_before
    assert not reverted.filter(is_machine_labeled=True).exists()
    assert set(
        Task.objects.filter(data_object__in=reverted).values_list("status", "slots_used", "escrow_slots").distinct()
    ) == {("open", 0, 1)}
    assert ledger_violations() == []
    job = drive(requester, job["id"], worker, truth.__getitem__)
    automation = job["automated_labeling"]
    assert machine_before > 0
    assert automation["status"] == "stopped_by_audit"
    assert "went back to human labeling" in automation["reason"]
    assert automation["audit"]["passed"] is False
    assert automation["audit"]["agreed"] < automation["audit"]["audited"]
    assert job["status"] == "completed"
    assert (job["label_counters"]["machine_labeled"], automation["machine_labeled"]) == (0, 0)
    assert job["label_counters"]["human_labeled"] == OBJECTS
    assert automation["money_saved"] == "0.00"
    lines = output_lines(bucket, job)
    assert machine_lines(lines) == []
    assert all(line[f"{ATTRIBUTE}-metadata"]["class-name"] == truth[line["source"]] for line in lines)
    # and humans answered them: paid from the reserve taken again, never lost or counted twice
    assert set(Task.objects.filter(data_object__in=reverted).values_list("status", "slots_used").distinct()) == {
        ("complete", 1)
    }
    assert ledger_violations() == []
    assert JobAutomation.objects.get(job_id=job["id"]).saved_micros == 0
    assert not DataObject.objects.filter(job_id=job["id"], is_machine_labeled=True).exists()


def test_a_round_that_dies_before_its_commit_leaves_nothing_and_runs_once_on_the_next_pass(
    requester, bucket, make_worker, monkeypatch
):
    # given: the sample is labeled; the round's last write fails (a process dying half way)
    job = start_job(requester, job_body(bucket, manifest_lines(OBJECTS, right_prediction)))
    worker = make_worker()
    answer_everything(worker, TRUTH.__getitem__)
    held_before = Task.objects.filter(status=Task.Status.HELD).count()
    escrow_before = _escrow_micros(job)

    def dies(*args, **kwargs):
        raise RuntimeError("the process died")

    monkeypatch.setattr(automation_rounds, "_write_objects", dies)
    # when
    run_labeling_sweeps()
    # then: nothing of the round stayed, but its status
    after_crash = get_job(requester, job["id"])
    assert after_crash["automated_labeling"]["status"] == "training"
    assert (after_crash["automated_labeling"]["rounds"], after_crash["label_counters"]["machine_labeled"]) == (0, 0)
    assert Task.objects.filter(status=Task.Status.HELD).count() == held_before
    assert _escrow_micros(job) == escrow_before
    assert not AutomationRound.objects.exists()
    assert ledger_violations() == []
    # when: the next pass runs without the failure
    monkeypatch.undo()
    run_labeling_sweeps()
    run_labeling_sweeps()
    # then: the round ran once
    job = get_job(requester, job["id"])
    assert job["automated_labeling"]["rounds"] == 1
    assert AutomationRound.objects.count() == 1
    machine = objects_of(job["id"]).filter(is_machine_labeled=True).count()
    assert job["label_counters"]["machine_labeled"] == machine > 0
    assert _escrow_micros(job) < escrow_before  # the machine-labeled objects' escrow went back
    assert ledger_violations() == []


def _escrow_micros(job: dict) -> int:
    return LedgerAccount.objects.get(kind=LedgerAccount.Kind.BATCH_ESCROW, batch_id=job["batch_id"]).balance_micros
