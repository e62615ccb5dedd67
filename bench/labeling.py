"""Time and peak memory to ingest a large input manifest and to write its output manifest.

Run:  python bench/labeling.py [--objects 100000] [--compare 10000]

Needs PostgreSQL (``BENCH_DATABASE_URL``, default
``postgres://postgres@127.0.0.1:5432/groundwork_bench_labeling``, created if missing and wiped on
every run). A moto S3 server runs as its own process (so its storage does not count against
ours). For each size (``--compare`` first, then ``--objects``) a fresh process:

1. puts an ``image_classification`` manifest of that many ``source-ref`` lines (with a visible
   ``caption`` and an extra key carried to the output) into the bucket;
2. **ingest**: creates the job and runs ``job_ingest`` (both streaming passes, all tasks and
   data objects created);
3. loads 3 answers per object from 30 simulated workers (not timed; inserted in bulk) and closes
   the tasks, then **consolidate + finish**: ``job_advance`` (Dawid-Skene over every answer,
   counters, and the output written: the manifests, and one worker-response file per object);
4. **output**: ``job_write_output`` alone, once more (the manifests; the per-object files are
   already up, so they are not written again).

Peak memory is the process's peak resident set during the phase (``VmHWM``, reset before each
phase through ``/proc/self/clear_refs``) minus its resident set when the phase began: what the
phase itself needed. Comparing the two sizes shows whether memory grows with the job.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/groundwork_bench_labeling"
BUCKET = "bench-labeling"
WORKERS = 30
ANSWERS_PER_OBJECT = 3


def _status_kib(field: str) -> int:
    return int(re.search(rf"{field}:\s+(\d+)", Path("/proc/self/status").read_text()).group(1))


class Phase:
    """Times a block and measures the peak resident memory it added."""

    def __init__(self, name: str, results: dict) -> None:
        self.name, self.results = name, results

    def __enter__(self) -> Phase:
        Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
        self.rss_before = _status_kib("VmRSS")
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        seconds = time.perf_counter() - self.started
        peak_mib = (_status_kib("VmHWM") - self.rss_before) / 1024
        self.results[self.name] = {"seconds": round(seconds, 2), "peak_mib": round(peak_mib, 1)}


def _manifest_file(objects: int) -> Path:
    handle = tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False)
    with handle:
        for index in range(objects):
            handle.write(
                json.dumps(
                    {
                        "source-ref": f"s3://{BUCKET}/images/{index:07d}.jpg",
                        "caption": f"photo {index}",
                        "camera": "bench",
                    }
                )
                + "\n"
            )
    return Path(handle.name)


def _load_answers(job, rng) -> None:
    """3 answers per object from 30 workers of accuracy 0.6-0.95, and every task closed."""
    from django.db import connection
    from django.utils import timezone

    from marketplace.models import Assignment, Task
    from marketplace.services.workers import worker_create

    workers = [worker_create(username=f"bench-{job.pk}-{i}")[0] for i in range(WORKERS)]
    accuracy = rng.uniform(0.6, 0.95, size=WORKERS)
    labels = job.label_categories
    now = timezone.now()
    task_ids = list(Task.objects.filter(batch=job.batch).order_by("id").values_list("id", flat=True))
    truth = rng.integers(0, len(labels), size=len(task_ids))
    chunk: list[Assignment] = []
    for position, task_id in enumerate(task_ids):
        for worker_index in rng.choice(WORKERS, size=ANSWERS_PER_OBJECT, replace=False):
            right = rng.random() < accuracy[worker_index]
            label = truth[position] if right else (truth[position] + 1 + rng.integers(0, len(labels) - 1)) % len(labels)
            chunk.append(
                Assignment(
                    task_id=task_id,
                    worker=workers[worker_index],
                    status="submitted",
                    answer={"label": labels[label]},
                    accepted_at=now,
                    deadline=now,
                    submitted_at=now,
                )
            )
        if len(chunk) >= 6000:
            Assignment.objects.bulk_create(chunk)
            chunk = []
    Assignment.objects.bulk_create(chunk)
    Task.objects.filter(batch=job.batch).update(
        status="complete", slots_used=ANSWERS_PER_OBJECT, slots_submitted=ANSWERS_PER_OBJECT
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _profiled(phase: str, function, **kwargs):
    """``BENCH_PROFILE=<phase>`` prints that phase's cProfile to stderr (the timing is then off)."""
    if os.environ.get("BENCH_PROFILE") != phase:
        return function(**kwargs)
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    result = profiler.runcall(function, **kwargs)
    pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(30)
    return result


def run_size(objects: int, endpoint: str, database_url: str) -> dict:
    """One size, in this (fresh) process."""
    import numpy as np

    # DEBUG off: with it on, Django keeps every query's SQL (bulk inserts included) in memory.
    os.environ.update(
        {
            "DATABASE_URL": database_url,
            "DEBUG": "0",
            "SECRET_KEY": "bench",
            "ALLOWED_HOSTS": "localhost",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "LOG_LEVEL": "WARNING",
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_REGION": "us-east-1",
        }
    )
    os.environ.pop("REDIS_URL", None)
    import boto3
    import django

    django.setup()
    from labeling.inputs import job_spec
    from labeling.models import LabelingJob
    from labeling.services.ingest import job_ingest
    from labeling.services.jobs import job_create
    from labeling.services.output import job_write_output
    from labeling.services.progress import job_advance
    from labeling.services.storage_registration import storage_register
    from marketplace.services.ledger import deposit
    from marketplace.services.organizations import requester_create

    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    prefix = f"s3://{BUCKET}/"
    manifest = _manifest_file(objects)
    s3.upload_file(str(manifest), BUCKET, f"in/{objects}.jsonl")
    manifest_mib = manifest.stat().st_size / 2**20
    manifest.unlink()
    requester = requester_create(name=f"bench-{objects}")
    deposit(
        organization_id=requester.organization.pk, amount_micros=10**12, reference=f"bench-{requester.organization.pk}"
    )
    storage_register(organization=requester.organization, uri_prefix=prefix)
    spec = job_spec(
        {
            "name": f"bench-{objects}",
            "label_attribute_name": "species",
            "task_type": "image_classification",
            "input_manifest_uri": f"{prefix}in/{objects}.jsonl",
            "output_uri": f"{prefix}out/",
            "label_categories": ["cat", "dog", "bird", "fish"],
            "title": "What animal?",
            "reward": "0.01",
            "workers_per_object": ANSWERS_PER_OBJECT,
            "worker_visible_keys": ["caption"],
        }
    )
    results: dict = {"objects": objects, "manifest_mib": round(manifest_mib, 1)}
    with Phase("ingest", results):
        job = job_create(requester=requester.organization, spec=spec)
        status = _profiled("ingest", job_ingest, job_id=job.pk)
    assert status == "in_progress", LabelingJob.objects.get(pk=job.pk).failure_reason
    job.refresh_from_db()
    _load_answers(job, np.random.default_rng(7))
    with Phase("consolidate_and_finish", results):
        status = _profiled("consolidate_and_finish", job_advance, job_id=job.pk)
    job.refresh_from_db()
    assert status == "completed", job.failure_reason
    with Phase("output", results):
        uri = job_write_output(job)
    key = uri.removeprefix(prefix)
    results["output_mib"] = round(s3.head_object(Bucket=BUCKET, Key=key)["ContentLength"] / 2**20, 1)
    results["labeled"] = job.human_labeled
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--compare", type=int, default=10_000, help="a smaller size run first (0: none)")
    parser.add_argument("--child", nargs=3, metavar=("OBJECTS", "ENDPOINT", "DATABASE_URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_size(int(args.child[0]), args.child[1], args.child[2])))
        return

    from dispatch import ensure_database, free_port

    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    ensure_database(database_url)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"],
        cwd=ROOT,
        check=True,
        env={**os.environ, "DATABASE_URL": database_url, "DEBUG": "1"},
    )
    port = free_port()
    moto = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        import boto3

        for _ in range(100):
            try:
                boto3.client(
                    "s3",
                    endpoint_url=endpoint,
                    region_name="us-east-1",
                    aws_access_key_id="bench",
                    aws_secret_access_key="bench",
                ).create_bucket(Bucket=BUCKET)
                break
            except Exception:
                time.sleep(0.1)
        print(
            f"labeling bench: PostgreSQL {database_url.rsplit('/', 1)[-1]}, moto S3 at {endpoint}, "
            f"{ANSWERS_PER_OBJECT} answers per object"
        )
        print(f"{'objects':>8} {'manifest':>9} {'phase':>24} {'seconds':>8} {'objects/s':>10} {'peak MiB':>9}")
        for size in [s for s in (args.compare, args.objects) if s]:
            child = subprocess.run(
                [sys.executable, __file__, "--child", str(size), endpoint, database_url],
                cwd=ROOT,
                capture_output=True,
                text=True,
            )
            if child.returncode != 0:
                sys.exit(child.stderr)
            result = json.loads(child.stdout.strip().splitlines()[-1])
            for phase in ("ingest", "consolidate_and_finish", "output"):
                figures = result[phase]
                rate = size / figures["seconds"] if figures["seconds"] else float("inf")
                print(
                    f"{size:>8} {result['manifest_mib']:>7.1f}MB {phase:>24} {figures['seconds']:>8.2f} "
                    f"{rate:>10.0f} {figures['peak_mib']:>9.1f}"
                )
            print(f"{'':>8} output manifest {result['output_mib']} MB, {result['labeled']} objects labeled")
    finally:
        moto.terminate()
        moto.wait(timeout=10)


if __name__ == "__main__":
    main()
