"""Automated labeling against the same labeling job without it, on real data with known truth.

Run:  python bench/automation.py [--datasets digits sentiment] [--runs human builtin embedding prediction]
                                 [--objects N] [--seed 0]

Needs PostgreSQL (``BENCH_DATABASE_URL``, default
``postgres://postgres@127.0.0.1:5432/groundwork_bench_automation``, created if missing and wiped
on every run). The service runs in this process on that database (Django's real URL routes, through
DRF's test client; background work is the labeling sweep, called between the crowd's passes as the
periodic sweep would run it), with ``file://`` storage in a temporary storage root.

Datasets (both with every object's true label):
- ``digits``: scikit-learn's ``load_digits``, 1,797 real handwritten digits (8x8 scans), written as
  32x32 PNG images, ``image_classification`` with the labels "0".."9";
- ``sentiment``: the UCI "Sentiment Labelled Sentences" vendored in ``bench/data/`` (3,000 review
  sentences, CC BY 4.0), ``text_classification`` with "negative" and "positive".

Runs on each dataset, each a separate labeling job of the same objects:
- ``human``: no automation (the baseline);
- ``builtin``: automation on the built-in features (Pillow/numpy image features, hashed n-grams);
- ``embedding``: automation on an ``embedding_key`` computed here (digits: PCA of the pixels to 20
  dimensions; sentences: TF-IDF then truncated SVD to 100 dimensions);
- ``prediction``: automation on a ``prediction_key``: a deliberately over-confident predictor, a
  logistic regression cross-fitted here on the true labels (each half predicted by a model of the
  other half) whose log-probabilities are multiplied by 4, so it claims far more than it achieves.

The crowd: 30 simulated workers of accuracy spread evenly from 0.6 to 0.9, each answering through
the worker API (``POST /api/v1/worker/tasks/next`` then ``.../submit``): right with its accuracy,
otherwise a uniformly drawn wrong label; 3 answers per object. An object's answer from a worker is
a fixed draw (seeded by worker and object), so the runs differ only in which objects humans see.

Printed per run: objects, machine-labeled share, machine-label accuracy against the truth, whole-job
accuracy (every object's final label against the truth), human answers spent (and their share of
the human-only run's), and wall time (job creation to completion, the crowd's simulated work
included).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/groundwork_bench_automation"
SENTENCES = ROOT / "bench" / "data" / "sentiment_sentences" / "sentences.csv"
WORKERS = 30
ANSWERS_PER_OBJECT = 3
TARGETS = {"digits": 0.80, "sentiment": 0.80}
RUNS = ("human", "builtin", "embedding", "prediction")
MAX_PASSES = 400


@dataclass
class Dataset:
    name: str
    task_type: str
    labels: list[str]
    lines: list[dict]  # manifest lines, each with a visible "item" id
    truth: dict[str, str]  # item -> true label
    files: dict[str, bytes] = field(default_factory=dict)  # path under the run's folder -> bytes


def _over_confident(probabilities, sharpen: float = 4.0):
    import numpy as np

    logits = sharpen * np.log(np.clip(probabilities, 1e-12, 1.0))
    logits -= logits.max(axis=1, keepdims=True)
    sharp = np.exp(logits)
    return sharp / sharp.sum(axis=1, keepdims=True)


def _cross_fitted(features, truth, seed: int):
    """Each half's class probabilities from a logistic regression fitted on the other half (the
    requester's own model, trained on data Groundwork never sees)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(seed)
    half = rng.permutation(truth.size) < truth.size // 2
    out = np.zeros((truth.size, int(truth.max()) + 1))
    for side in (half, ~half):
        model = LogisticRegression(C=1.0, max_iter=500).fit(features[~side], truth[~side])
        out[side] = model.predict_proba(features[side])
    return out


def digits(seed: int, limit: int | None) -> Dataset:
    import numpy as np
    from PIL import Image
    from sklearn.datasets import load_digits
    from sklearn.decomposition import PCA

    loaded = load_digits()
    images, truth = loaded.images[:limit], loaded.target[:limit]
    pixels = images.reshape(len(images), -1)
    embedding = PCA(n_components=20, random_state=seed).fit_transform(pixels)
    prediction = _over_confident(_cross_fitted(pixels / 16.0, truth, seed))
    labels = [str(d) for d in range(10)]
    dataset = Dataset("digits", "image_classification", labels, [], {})
    for index, (image, digit) in enumerate(zip(images, truth, strict=True)):
        ink = (255 - image / 16.0 * 255).astype(np.uint8)  # dark strokes on white paper
        buffer = io.BytesIO()
        Image.fromarray(ink, mode="L").resize((32, 32), Image.Resampling.BILINEAR).save(buffer, "PNG")
        item = f"digit-{index:04d}"
        dataset.files[f"images/{item}.png"] = buffer.getvalue()
        dataset.truth[item] = labels[int(digit)]
        dataset.lines.append(
            {
                "item": item,
                "source-ref": f"images/{item}.png",  # made absolute per run
                "embedding": [round(float(v), 4) for v in embedding[index]],
                "prediction": [round(float(v), 6) for v in prediction[index]],
            }
        )
    return dataset


def sentiment(seed: int, limit: int | None) -> Dataset:
    import numpy as np
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    with SENTENCES.open(newline="") as handle:
        rows = list(csv.DictReader(handle))[:limit]
    texts = [row["text"] for row in rows]
    truth = np.array([int(row["label"]) for row in rows])
    tfidf = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True).fit_transform(texts)
    embedding = TruncatedSVD(n_components=100, random_state=seed).fit_transform(tfidf)
    prediction = _over_confident(_cross_fitted(tfidf, truth, seed))
    labels = ["negative", "positive"]
    dataset = Dataset("sentiment", "text_classification", labels, [], {})
    for index, text in enumerate(texts):
        item = f"sentence-{index:04d}"
        dataset.truth[item] = labels[int(truth[index])]
        dataset.lines.append(
            {
                "item": item,
                "source": text,
                "embedding": [round(float(v), 5) for v in embedding[index]],
                "prediction": [round(float(v), 6) for v in prediction[index]],
            }
        )
    return dataset


def setup_django(database_url: str, storage_root: str) -> None:
    os.environ.update(
        {
            "DATABASE_URL": database_url,
            "DEBUG": "0",
            "SECRET_KEY": "bench-automation",
            "ALLOWED_HOSTS": "testserver,localhost",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "LOG_LEVEL": "WARNING",
            "GROUNDWORK_STORAGE_ROOT": storage_root,
            # The simulated crowd answers as fast as the process can: no per-worker rate limit.
            "WORKER_RATE_PER_SECOND": "1000000",
            "WORKER_RATE_BURST": "1000000",
            "API_KEY_WRITE_RATE_PER_SECOND": "1000000",
            "API_KEY_WRITE_RATE_BURST": "1000000",
        }
    )
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


@dataclass
class Crowd:
    clients: list  # one APIClient per worker
    accuracy: list[float]
    seed: int


def make_crowd(seed: int, tag: str) -> Crowd:
    import numpy as np
    from rest_framework.test import APIClient

    from marketplace.services.workers import worker_create

    accuracy = np.random.default_rng(seed).permutation(np.linspace(0.6, 0.9, WORKERS)).tolist()
    clients = []
    for index in range(WORKERS):
        _, token = worker_create(username=f"bench-{tag}-{index}")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        clients.append(client)
    return Crowd(clients, accuracy, seed)


def _answer(crowd: Crowd, worker: int, item: str, truth: str, labels: list[str]) -> str:
    import numpy as np

    rng = np.random.default_rng([crowd.seed, worker, zlib.crc32(item.encode())])
    if rng.random() < crowd.accuracy[worker]:
        return truth
    return str(rng.choice([label for label in labels if label != truth]))


def crowd_pass(crowd: Crowd, dataset: Dataset, order_rng) -> int:
    """Every worker claims and answers until none is offered anything; returns answers given."""
    active = list(range(WORKERS))
    answered = 0
    while active:
        still = []
        for worker in order_rng.permutation(active).tolist():
            client = crowd.clients[worker]
            response = client.post("/api/v1/worker/tasks/next")
            if response.status_code == 204:
                continue
            if response.status_code != 200:
                raise RuntimeError(f"tasks/next: {response.status_code} {response.content[:300]!r}")
            task = response.json()
            item = task["input"]["item"]
            label = _answer(crowd, worker, item, dataset.truth[item], dataset.labels)
            submitted = client.post(
                f"/api/v1/worker/assignments/{task['assignment_id']}/submit",
                {"answer": {"label": label}},
                format="json",
            )
            if submitted.status_code != 200:
                raise RuntimeError(f"submit: {submitted.status_code} {submitted.content[:300]!r}")
            answered += 1
            still.append(worker)
        active = still
    return answered


def run_job(dataset: Dataset, run: str, *, seed: int, storage_root: Path, target: float) -> dict:
    import numpy as np
    from rest_framework.test import APIClient

    from labeling.services.storage_registration import storage_register
    from labeling.services.sweeps import run_labeling_sweeps
    from marketplace.services.ledger import deposit
    from marketplace.services.organizations import requester_create

    tag = f"{dataset.name}-{run}-{seed}"
    requester = requester_create(name=f"bench-{tag}")
    deposit(organization_id=requester.organization.pk, amount_micros=10**12, reference=f"bench-{tag}")
    requester_client = APIClient()
    requester_client.credentials(HTTP_AUTHORIZATION=f"Bearer {requester.api_key}")
    folder = f"bench-automation/{tag}/"
    for path, data in dataset.files.items():
        target_path = storage_root / folder / path
        target_path.parent.mkdir(parents=True, exist_ok=True)
        target_path.write_bytes(data)
    lines = []
    for line in dataset.lines:
        written = {key: value for key, value in line.items() if key not in ("embedding", "prediction")}
        if "source-ref" in written:
            written["source-ref"] = f"file://{folder}{written['source-ref']}"
        if run == "embedding":
            written["embedding"] = line["embedding"]
        if run == "prediction":
            written["prediction"] = line["prediction"]
        lines.append(written)
    (storage_root / folder).mkdir(parents=True, exist_ok=True)
    (storage_root / folder / "manifest.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    storage_register(organization=requester.organization, uri_prefix=f"file://{folder}")
    crowd = make_crowd(seed, tag)

    body: dict = {
        "name": f"bench-{tag}"[:63],
        "label_attribute_name": "label",
        "task_type": dataset.task_type,
        "label_categories": dataset.labels,
        "title": f"Label the {dataset.name}",
        "instructions": "Choose the label that fits.",
        "workers_per_object": ANSWERS_PER_OBJECT,
        "reward": "0.01",
        "input_manifest_uri": f"file://{folder}manifest.jsonl",
        "output_uri": f"file://{folder}out/",
        "worker_visible_keys": ["item"],
    }
    if run != "human":
        body["automated_labeling"] = {"target_accuracy": target}
        if run == "embedding":
            body["automated_labeling"]["embedding_key"] = "embedding"
        if run == "prediction":
            body["automated_labeling"]["prediction_key"] = "prediction"

    started = time.perf_counter()
    created = requester_client.post("/api/v1/labeling-jobs", body, format="json")
    if created.status_code != 201:
        raise RuntimeError(f"job create: {created.status_code} {created.content[:500]!r}")
    job_url = f"/api/v1/labeling-jobs/{created.json()['id']}"
    order_rng = np.random.default_rng(seed)
    answers = 0
    idle = 0
    job = created.json()
    for _ in range(MAX_PASSES):
        run_labeling_sweeps()
        job = requester_client.get(job_url).json()
        if job["status"] in ("completed", "stopped", "failed"):
            break
        given = crowd_pass(crowd, dataset, order_rng)
        answers += given
        idle = idle + 1 if given == 0 else 0
        if idle > 20:
            raise RuntimeError(f"{tag}: the job stalled in {job['status']}: {json.dumps(job)[:800]}")
    seconds = time.perf_counter() - started
    if job["status"] != "completed":
        raise RuntimeError(f"{tag}: ended {job['status']}: {job.get('failure_reason')}")

    output = storage_root / job["output_manifest_uri"].removeprefix("file://")
    # split on newlines only: str.splitlines also breaks at U+2028, \x85 and friends inside a text
    written_lines = [json.loads(text) for text in output.read_text().split("\n") if text.strip()]
    right = machine = machine_right = 0
    for line in written_lines:
        meta = line["label-metadata"]
        is_right = meta["class-name"] == dataset.truth[line["item"]]
        right += is_right
        if meta.get("human-annotated") == "no":
            machine += 1
            machine_right += is_right
    return {
        "dataset": dataset.name,
        "run": run,
        "target": None if run == "human" else target,
        "objects": len(dataset.lines),
        "written": len(written_lines),
        "machine": machine,
        "machine_accuracy": machine_right / machine if machine else None,
        "accuracy": right / len(dataset.lines),
        "answers": answers,
        "seconds": seconds,
        "counters": job.get("label_counters"),
        "automation": job.get("automated_labeling"),
    }


def _print(results: list[dict]) -> None:
    baseline = {r["dataset"]: r for r in results if r["run"] == "human"}
    print(
        f"{'dataset':<10} {'run':<11} {'target':>6} {'objects':>7} {'machine':>8} {'machine acc':>11} "
        f"{'job acc':>8} {'vs human':>8} {'answers':>8} {'of human':>8} {'wall s':>7}"
    )
    for r in results:
        base = baseline.get(r["dataset"])
        share = f"{r['machine'] / r['objects']:.1%}"
        machine_accuracy = "-" if r["machine_accuracy"] is None else f"{r['machine_accuracy']:.1%}"
        delta = "" if base is None or r is base else f"{(r['accuracy'] - base['accuracy']) * 100:+.1f}pt"
        spent = "" if base is None else f"{r['answers'] / base['answers']:.0%}"
        target = "-" if r["target"] is None else f"{r['target']:.2f}"
        print(
            f"{r['dataset']:<10} {r['run']:<11} {target:>6} {r['objects']:>7} {share:>8} {machine_accuracy:>11} "
            f"{r['accuracy']:>8.1%} {delta:>8} {r['answers']:>8} {spent:>8} {r['seconds']:>7.0f}"
        )


def _print_automation(results: list[dict]) -> None:
    for r in results:
        a = r["automation"]
        if not a:
            continue
        audit = a.get("audit") or {}
        bound = a.get("accuracy_lower_bound")
        print(
            f"  {r['dataset']} {r['run']}: {a['status']}, {a['rounds']} rounds, last threshold "
            f"{'-' if a.get('threshold') is None else round(a['threshold'], 3)}, validated "
            f"{a.get('validated_accuracy') or 0:.3f} (bound {'-' if bound is None else round(bound, 3)}) on "
            f"{a.get('validation_size')} objects; audit {audit.get('agreed')}/{audit.get('audited')}; "
            f"saved ${a.get('money_saved')}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["digits", "sentiment"], choices=["digits", "sentiment"])
    parser.add_argument("--runs", nargs="+", default=list(RUNS), choices=RUNS)
    parser.add_argument("--objects", type=int, default=None, help="only the first N objects of each dataset")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--report", nargs="+", type=Path, help="print one table from the --json files of earlier runs (nothing runs)"
    )
    args = parser.parse_args()
    if args.report:
        results = [r for path in args.report for r in json.loads(path.read_text())]
        order = {name: i for i, name in enumerate(("digits", "sentiment"))}
        results.sort(key=lambda r: (order[r["dataset"]], RUNS.index(r["run"])))
        _print(results)
        _print_automation(results)
        return

    from dispatch import ensure_database

    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    ensure_database(database_url)
    storage_root = Path(tempfile.mkdtemp(prefix="gw-bench-automation-"))
    setup_django(database_url, str(storage_root))
    print(
        f"automation bench: PostgreSQL {database_url.rsplit('/', 1)[-1]}, {WORKERS} workers of accuracy 0.6-0.9, "
        f"{ANSWERS_PER_OBJECT} answers per object, seed {args.seed}"
    )
    results = []
    for name in args.datasets:
        dataset = (digits if name == "digits" else sentiment)(args.seed, args.objects)
        for run in args.runs:
            result = run_job(dataset, run, seed=args.seed, storage_root=storage_root, target=TARGETS[name])
            results.append(result)
            print(f"  done: {name} {run} in {result['seconds']:.0f} s", file=sys.stderr, flush=True)
    _print(results)
    _print_automation(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
