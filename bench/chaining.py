"""A chained job's input: how fast ingestion writes it from the earlier job's output manifest, and
whether its memory grows with the manifest (it should not: the manifest is streamed).

Run:  python bench/chaining.py [--objects 100000] [--compare 10000]

Needs PostgreSQL (``BENCH_DATABASE_URL``, default
``postgres://postgres@127.0.0.1:5432/groundwork_bench_chaining``, created if missing and wiped on
every run); storage is a ``file://`` folder in a temporary storage root. For each size
(``--compare`` first, then ``--objects``):

1. the output manifest of an ended ``label_verification`` job of that many lines is written (each
   line an image with three boxes under ``animals`` and a verdict under ``animals-verified``,
   half of them ``incorrect``: about 900 bytes a line, as Ground Truth writes them);
2. an adjustment job is created chained on it with ``{"verdict": "incorrect"}`` (the request's
   checks and defaults, ``job_create``);
3. **chain**: ``chaining.chain_input_write`` alone, what ingestion runs first: the source's
   output streamed, each line parsed and judged, the kept ones written to the new job's input.

Figures: lines read per second, MB read per second, and the phase's peak resident memory minus
its resident memory when it began (``VmHWM`` reset through ``/proc/self/clear_refs``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/groundwork_bench_chaining"


def _status_kib(field: str) -> int:
    return int(re.search(rf"{field}:\s+(\d+)", Path("/proc/self/status").read_text()).group(1))


def _line(i: int) -> dict:
    verdict = i % 2
    boxes = [{"class_id": k % 2, "left": 10 * k, "top": 20, "width": 30, "height": 40} for k in range(3)]
    return {
        "source-ref": f"file://bench/images/{i:07d}.png",
        "shot": f"camera-{i % 17}",
        "animals": {"image_size": [{"width": 640, "height": 480, "depth": 3}], "annotations": boxes},
        "animals-metadata": {
            "objects": [{"confidence": 0.91}, {"confidence": 0.87}, {"confidence": 0.78}],
            "class-map": {"0": "cat", "1": "dog"},
            "type": "groundtruth/object-detection",
            "human-annotated": "yes",
            "creation-date": "2026-12-05T19:00:00.000000",
            "job-name": "labeling-job/boxes",
        },
        "animals-verified": str(verdict),
        "animals-verified-metadata": {
            "class-name": ["correct", "incorrect"][verdict],
            "confidence": 0.93,
            "type": "groundtruth/label-verification",
            "human-annotated": "yes",
            "creation-date": "2026-12-05T19:30:00.000000",
            "job-name": "labeling-job/verify-boxes",
        },
    }


def run(objects: int, requester, storage: Path) -> dict:
    from labeling.inputs import job_spec
    from labeling.models import LabelingJob
    from labeling.services.chaining import chain_input_write
    from labeling.services.jobs import job_create
    from marketplace.services.workteams import public_workforce

    name = f"verify-{objects}"
    output = storage / "bench" / "out" / name / "manifests" / "output" / "output.manifest"
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w") as stream:
        for i in range(objects):
            stream.write(json.dumps(_line(i)) + "\n")
    source = LabelingJob.objects.create(
        requester=requester,
        name=name,
        status=LabelingJob.Status.COMPLETED,
        task_type="label_verification",
        label_attribute_name="animals-verified",
        source_label_attribute_name="animals",
        label_categories=["correct", "incorrect"],
        output_uri="file://bench/out/",
        output_manifest_uri=f"file://bench/out/{name}/manifests/output/output.manifest",
        title="Are the boxes right?",
        workteam=public_workforce(),
        workers_per_object=1,
        min_workers_per_object=1,
        max_workers_per_object=1,
        task_time_limit_seconds=300,
        task_availability_lifetime_seconds=3600,
        reward_micros=10_000,
        auto_approval_delay_seconds=3600,
    )
    job = job_create(
        requester=requester,
        spec=job_spec(
            {
                "name": f"adjust-{objects}",
                "task_type": "bounding_box_adjustment",
                "label_attribute_name": "animals-adjusted",
                "label_categories": ["cat", "dog"],
                "chain_from_job_id": source.pk,
                "chain_select": {"verdict": "incorrect"},
                "output_uri": "file://bench/out/",
                "title": "Fix the boxes",
                "reward": "0.05",
            }
        ),
    )
    job = LabelingJob.objects.select_related("chained_from", "requester").get(pk=job.pk)
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current resident set
    rss_before = _status_kib("VmRSS")
    started = time.perf_counter()
    kept = chain_input_write(job)
    seconds = time.perf_counter() - started
    peak_kib = _status_kib("VmHWM") - rss_before
    assert kept == objects // 2, kept
    return {"seconds": seconds, "bytes": output.stat().st_size, "peak_mib": peak_kib / 1024, "kept": kept}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--compare", type=int, default=10_000)
    args = parser.parse_args()

    from dispatch import ensure_database, setup_django

    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    ensure_database(database_url)
    storage = Path(tempfile.mkdtemp(prefix="gw-bench-chaining-"))
    os.environ["GROUNDWORK_STORAGE_ROOT"] = str(storage)
    os.environ["DEBUG"] = "0"
    os.environ["SECRET_KEY"] = "bench"
    os.environ["ALLOWED_HOSTS"] = "localhost"
    setup_django(database_url)

    from django.conf import settings

    from labeling.services.storage_registration import storage_register
    from marketplace.services.organizations import requester_create

    settings.STORAGE_ROOT = storage
    requester = requester_create(name="bench-chaining").organization
    storage_register(organization=requester, uri_prefix="file://bench/")
    print(f"chain_input_write, a verdict selection keeping half the lines (storage: file:// under {storage})")
    for objects in (args.compare, args.objects):
        result = run(objects, requester, storage)
        mb = result["bytes"] / 1e6
        print(
            f"{objects:>7} lines ({mb:.1f} MB): {result['seconds']:.2f} s, "
            f"{objects / result['seconds']:,.0f} lines/s, {mb / result['seconds']:.1f} MB/s, "
            f"{result['kept']} kept; peak memory +{result['peak_mib']:.1f} MiB"
        )


if __name__ == "__main__":
    main()
