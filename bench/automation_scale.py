"""The learning code alone, at scale: one automation round on 100,000 human-labeled text objects.

Run:  python bench/automation_scale.py [--objects 100000] [--pool 100000] [--cores 2]

No database, no service: ``labeling.automation`` only, as a background pass would call it. The
texts are the vendored sentiment sentences (``bench/data/sentiment_sentences``) joined two by two
at random, so every object is a distinct review of about two dozen words; the label is the first
sentence's, flipped for 10% of the objects (a crowd's mistakes), with confidences between 0.6 and
1. Phases, each timed: hashing the labeled texts into features, hashing the pool's, and the round
(train on the labeled objects, validate, calibrate, choose the threshold, score the pool, export),
in wall seconds and in the process's CPU seconds (on a shared machine the wall time also counts
other programs' turns; CPU seconds over the cores used bound the wall time on an idle one).
The process is pinned to ``--cores`` CPUs and its BLAS/OpenMP pools sized to match. Memory is the
process's peak resident set (``ru_maxrss``) against its resident set once everything is imported
and the texts are built, so the figure is what featurizing and learning added.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data" / "sentiment_sentences" / "sentences.csv"


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=100_000, help="human-labeled objects to train on")
    parser.add_argument("--pool", type=int, default=100_000, help="unlabeled objects to score")
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args()
    cores = sorted(os.sched_getaffinity(0))[: args.cores]
    os.sched_setaffinity(0, cores)
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = str(len(cores))

    sys.path.insert(0, str(ROOT))
    import numpy as np

    from labeling.automation import FeatureSpec, build_features, run_round

    with DATA.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    sentences = [row["text"] for row in rows]
    polarity = np.array([int(row["label"]) for row in rows])
    rng = np.random.default_rng(0)
    total = args.objects + args.pool
    first, second = rng.integers(0, len(rows), size=total), rng.integers(0, len(rows), size=total)
    texts = [f"{sentences[a]} {sentences[b]}" for a, b in zip(first.tolist(), second.tolist(), strict=True)]
    truth = polarity[first]
    flipped = rng.random(args.objects) < 0.10
    labels = np.where(flipped, 1 - truth[: args.objects], truth[: args.objects])
    weights = rng.uniform(0.6, 1.0, size=args.objects)
    words = sum(len(text.split()) for text in texts) / total

    spec = FeatureSpec("text", class_names=("negative", "positive"))
    baseline_mib = _rss_mib()
    timings: dict[str, tuple[float, float]] = {}

    def timed(phase: str, started: tuple[float, float]) -> None:
        timings[phase] = (time.perf_counter() - started[0], time.process_time() - started[1])

    started = (time.perf_counter(), time.process_time())
    labeled = build_features(spec, texts[: args.objects])
    timed("features (labeled)", started)
    started = (time.perf_counter(), time.process_time())
    pool = build_features(spec, texts[args.objects :])
    timed("features (pool)", started)
    started = (time.perf_counter(), time.process_time())
    result = run_round(
        labeled_features=labeled,
        labels=labels,
        weights=weights,
        unlabeled_features=pool,
        n_classes=2,
        target_accuracy=0.85,
        rng=np.random.default_rng(1),
        kind="text",
        class_names=spec.class_names,
        feature_recipe=spec.describe(),
    )
    timed("round (train, validate, score)", started)
    archive = result.model.npz_bytes()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(
        f"automation scale bench: {args.objects:,} labeled + {args.pool:,} pool text objects "
        f"({words:.0f} words each on average), {len(cores)} cores"
    )
    load = os.getloadavg()[0]
    print(f"  {'phase':<32} {'wall s':>7} {'CPU s':>7}   (load average {load:.1f}: CPU s is what the work cost)")
    for phase, (wall, cpu) in timings.items():
        print(f"  {phase:<32} {wall:7.1f} {cpu:7.1f}")
    walls, cpus = zip(*timings.values(), strict=True)
    print(f"  {'total':<32} {sum(walls):7.1f} {sum(cpus):7.1f}")
    print(
        f"  memory: peak resident {peak_mib:,.0f} MiB, {peak_mib - baseline_mib:,.0f} MiB above the "
        f"{baseline_mib:,.0f} MiB held before featurizing (texts and libraries)"
    )
    machine = result.machine_label
    right = np.mean(result.predicted[machine] == truth[args.objects :][machine]) if machine.any() else float("nan")
    print(
        f"  round: trained on {result.training_size:,}, validated on {result.validation_size:,}; "
        f"threshold {result.threshold if result.threshold is None else round(result.threshold, 3)}, "
        f"machine-labels {int(machine.sum()):,} of {args.pool:,} "
        f"({right:.3f} "
        f"right against the truth); model export {len(archive) / 2**20:.1f} MiB"
    )


if __name__ == "__main__":
    main()
