"""Streaming labeling jobs: how fast objects are taken, and what a background pass costs to send
each newly labeled object out (its ``labeling_job.object_labeled`` event and its output-part line).

Run:  python bench/streaming.py [--objects 20000] [--per-call 1000] [--labeled-per-pass 1000]

Needs PostgreSQL (``BENCH_DATABASE_URL``, default
``postgres://postgres@127.0.0.1:5432/groundwork_bench_streaming``, created if missing and wiped
on every run); storage is a ``file://`` folder in a temporary storage root.

1. **add**: ``job_objects_add`` (what ``POST /labeling-jobs/{id}/objects`` runs: the line
   checks, the repeat lookup, held tasks and data objects inserted, escrow reserved, the first
   ``max_concurrent_task_count`` released) in calls of ``--per-call`` objects with a
   ``dataset_object_id`` each, until ``--objects``; then every call sent again (all repeats).
   Figures: objects per second, and each call's p50 / p99 in milliseconds.
2. **labels out**: one answer per object is loaded in bulk for ``--labeled-per-pass`` objects at
   a time (not timed; their tasks closed), then ``job_advance`` runs (the whole job consolidated,
   the objects marked labeled with one event each, the output part written). Figures: the pass's
   seconds, of which the events and the part, for the first and the last pass (the job grows).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/groundwork_bench_streaming"


def _timed(function, totals: dict, name: str):
    """``function`` wrapped to add its wall time to ``totals[name]``."""

    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            totals[name] = totals.get(name, 0.0) + time.perf_counter() - started

    return wrapper


def _answer(job, object_ids: list[int], worker, now) -> None:
    """One answer per object, inserted in bulk, and the objects' tasks complete."""
    from marketplace.models import Assignment, Task

    tasks = list(Task.objects.filter(data_object__pk__in=object_ids).values_list("pk", "input"))
    Assignment.objects.bulk_create(
        Assignment(
            task_id=task_id,
            worker=worker,
            status="submitted",
            answer={"label": task_input["source"].rsplit(" ", 1)[1]},
            accepted_at=now,
            deadline=now,
            submitted_at=now,
        )
        for task_id, task_input in tasks
    )
    Task.objects.filter(pk__in=[task_id for task_id, _ in tasks]).update(
        status="complete", slots_used=1, slots_submitted=1
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=20_000)
    parser.add_argument("--per-call", type=int, default=1000)
    parser.add_argument("--labeled-per-pass", type=int, default=1000)
    args = parser.parse_args()

    from dispatch import ensure_database, setup_django

    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    ensure_database(database_url)
    storage = Path(tempfile.mkdtemp(prefix="gw-bench-streaming-"))
    os.environ["GROUNDWORK_STORAGE_ROOT"] = str(storage)
    os.environ["DEBUG"] = "0"
    os.environ["SECRET_KEY"] = "bench"
    os.environ["ALLOWED_HOSTS"] = "localhost"
    setup_django(database_url)

    from django.conf import settings
    from django.utils import timezone

    from labeling.inputs import job_spec
    from labeling.models import DataObject, LabelingJob
    from labeling.services import streaming_output
    from labeling.services.ingest import job_ingest
    from labeling.services.jobs import job_create
    from labeling.services.progress import job_advance
    from labeling.services.storage_registration import storage_register
    from labeling.services.streaming import job_objects_add
    from marketplace.encryption import encrypt_secret
    from marketplace.events.signing import new_secret
    from marketplace.models import Event, WebhookEndpoint
    from marketplace.services.ledger import deposit
    from marketplace.services.organizations import requester_create
    from marketplace.services.workers import worker_create

    settings.STORAGE_ROOT = storage
    requester = requester_create(name="bench-streaming").organization
    deposit(organization_id=requester.pk, amount_micros=10**13, reference="bench-streaming")
    storage_register(organization=requester, uri_prefix="file://bench/")
    WebhookEndpoint.objects.create(
        organization=requester,
        url="https://receiver.invalid/labels",  # rows only: nothing is delivered in this bench
        events=["labeling_job.object_labeled"],
        secret_encrypted=encrypt_secret(new_secret()),
    )
    spec = job_spec(
        {
            "name": "bench-stream",
            "input_mode": "streaming",
            "label_attribute_name": "species",
            "task_type": "text_classification",
            "output_uri": "file://bench/out/",
            "label_categories": ["cat", "dog"],
            "title": "Cat or dog?",
            "reward": "0.01",
            "workers_per_object": 1,
            "max_concurrent_task_count": 5000,
        }
    )
    job = job_create(requester=requester, spec=spec)
    assert job_ingest(job_id=job.pk) == "in_progress"
    job = LabelingJob.objects.get(pk=job.pk)

    calls = [
        [
            {"source": f"object {i} {'cat' if i % 2 else 'dog'}", "dataset_object_id": f"id-{i}"}
            for i in range(start, min(start + args.per_call, args.objects))
        ]
        for start in range(0, args.objects, args.per_call)
    ]
    print(f"streaming bench: PostgreSQL {database_url.rsplit('/', 1)[-1]}, {args.objects} objects")
    for label in ("add", "add again (all repeats)"):
        durations = []
        started = time.perf_counter()
        for call in calls:
            before = time.perf_counter()
            job_objects_add(job=job, objects=call)
            durations.append((time.perf_counter() - before) * 1000)
        seconds = time.perf_counter() - started
        durations.sort()
        print(
            f"  {label}: {args.objects / seconds:,.0f} objects/s over {len(calls)} calls of {args.per_call}; "
            f"per call p50 {statistics.median(durations):.0f} ms, "
            f"p99 {durations[int(0.99 * (len(durations) - 1))]:.0f} ms"
        )

    worker = worker_create(username="bench-streaming-worker")[0]
    totals: dict = {}
    streaming_output.objects_labeled = _timed(streaming_output.objects_labeled, totals, "events")
    streaming_output.job_write_parts = _timed(streaming_output.job_write_parts, totals, "part")
    ids = list(DataObject.objects.filter(job=job).order_by("object_index").values_list("pk", flat=True))
    passes = []
    for start in range(0, len(ids), args.labeled_per_pass):
        _answer(job, ids[start : start + args.labeled_per_pass], worker, timezone.now())
        totals.clear()
        before = time.perf_counter()
        job_advance(job_id=job.pk)
        passes.append((time.perf_counter() - before, totals.get("events", 0.0), totals.get("part", 0.0)))
    events = Event.objects.filter(type="labeling_job.object_labeled").count()
    parts = sorted((storage / "bench/out/bench-stream/manifests/output/parts").glob("part-*.jsonl"))
    print(
        f"  labels out: {len(passes)} passes of {args.labeled_per_pass} newly labeled objects; "
        f"{events} events, {len(parts)} parts"
    )
    for name, (seconds, event_seconds, part_seconds) in (("first", passes[0]), ("last", passes[-1])):
        print(
            f"    {name} pass: {seconds:.2f} s (events {event_seconds:.2f} s = "
            f"{args.labeled_per_pass / max(event_seconds, 1e-9):,.0f}/s, part {part_seconds:.2f} s)"
        )


if __name__ == "__main__":
    main()
