"""A streaming job's watched storage prefix: each manifest file dropped under it is read once by
the job's background pass, all or nothing; a bad file is recorded with its reason and adds
nothing (file:// and S3 through moto's server)."""

from __future__ import annotations

import json

import pytest

from labeling.models import DataObject, WatchedInputFile
from labeling.services.storage_registration import storage_register
from labeling.services.sweeps import run_labeling_sweeps
from marketplace.selectors.ledger import requester_balance

from .helpers import get_job, register, start, text

pytestmark = pytest.mark.django_db


def jsonl(lines: list) -> str:
    return "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines)


def sources(job_id: int) -> list[str]:
    lines = DataObject.objects.filter(job_id=job_id).order_by("object_index").values_list("source_line", flat=True)
    return [json.loads(line)["source"] for line in lines]


def test_each_file_dropped_under_the_watched_prefix_is_read_once(make_requester, storage_root):
    # given
    requester = make_requester()
    register(requester)
    inbox = storage_root / "acme" / "inbox"
    inbox.mkdir()
    job = start(requester, input_watch_uri="file://acme/inbox/")

    # when: a file arrives, then another in a sub-folder, and a writer's hidden temporary file
    (inbox / "001.jsonl").write_text(jsonl([text(0), text(1)]))
    run_labeling_sweeps()
    run_labeling_sweeps()
    (inbox / "day-2").mkdir()
    (inbox / "day-2" / "002.jsonl").write_text(jsonl([text(2), {**text(3), "dataset_object_id": "d3"}]))
    (inbox / ".003.jsonl.partial").write_text(jsonl([text(4)]))
    run_labeling_sweeps()
    (inbox / "004.jsonl").write_text(jsonl([{**text(3), "dataset_object_id": "d3"}]))
    run_labeling_sweeps()

    # then
    assert sources(job["id"]) == ["object 0: cat", "object 1: dog", "object 2: cat", "object 3: dog"]
    assert get_job(requester, job["id"])["label_counters"]["unlabeled"] == 4
    read = {row.key: (row.objects_added, row.objects_repeated, row.error) for row in WatchedInputFile.objects.all()}
    assert read == {"001.jsonl": (2, 0, ""), "day-2/002.jsonl": (2, 0, ""), "004.jsonl": (0, 1, "")}


def test_a_file_with_a_bad_line_is_recorded_with_its_reason_and_adds_nothing(make_requester, storage_root):
    # given
    requester = make_requester()
    register(requester)
    inbox = storage_root / "acme" / "inbox"
    inbox.mkdir()
    job = start(requester, input_watch_uri="file://acme/inbox/")
    before = requester_balance(requester.organization)

    # when
    (inbox / "bad.jsonl").write_text(jsonl([text(0), "{not json", text(2)]))
    run_labeling_sweeps()
    run_labeling_sweeps()

    # then
    assert DataObject.objects.filter(job_id=job["id"]).count() == 0
    (row,) = WatchedInputFile.objects.filter(job_id=job["id"])
    assert (row.key, row.objects_added) == ("bad.jsonl", 0)
    assert row.error.startswith("watched file bad.jsonl line 2: ")
    assert requester_balance(requester.organization) == before
    assert get_job(requester, job["id"])["status"] == "in_progress"


def test_files_under_a_watched_s3_prefix_are_read_once(make_requester, s3):
    # given
    requester = make_requester()
    storage_register(organization=requester.organization, uri_prefix=s3.uri(""))
    job = start(requester, output_uri=s3.uri("out/"), input_watch_uri=s3.uri("inbox/"))

    # when
    s3.put("inbox/a.jsonl", jsonl([text(0)]).encode())
    s3.put("inbox/b/c.jsonl", jsonl([text(1), text(2)]).encode())
    s3.put("elsewhere/d.jsonl", jsonl([text(3)]).encode())
    run_labeling_sweeps()
    run_labeling_sweeps()

    # then
    assert sources(job["id"]) == ["object 0: cat", "object 1: dog", "object 2: cat"]
    assert sorted(WatchedInputFile.objects.values_list("key", flat=True)) == ["a.jsonl", "b/c.jsonl"]
