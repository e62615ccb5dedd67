"""Calibration rows for the geometric task types (issue 23): boxes, entity spans, masks.

Imported by ``bench/calibration.py``: ``rows(before, seeds)``. Each setting is one simulated
labeling job driven through the task type's own ``consolidate`` (answers in the API's format, the
result and confidences exactly as Groundwork writes them): ``JOB_ITEMS`` items, each answered by
1, 2, 3 or 5 workers drawn from a pool of ``POOL`` workers, without gold or with ``GOLD_SHARE`` of
the items as gold (confidences are scored on the other items). Every job passes each worker's
records from earlier work, as labeling does whatever the redundancy: their mean score over
``RECORD_ITEMS`` earlier items against the truth (as the reputation record would hold it) and
those answers counted against the truth (``GoldTally``: the earlier items are gold of earlier
jobs, new items of the same crowd, never the job's, each answered by ``RECORD_ANNOTATORS`` pool
workers, so the tallies hold the strays drawn alike that show decoys). Jobs of 3 or more workers
draw the records from a generator of their own, so that their items are those measured before
they got records.

Crowds: ``project`` is ``bench/consolidation.py``'s crowd (30% sloppy workers: jitter, misses,
stray boxes or spans, wrong labels). ``hard`` adds per-object difficulty (objects most of the
crowd misses), correlated false positives (a distractor several workers draw alike), and for
spans ambiguous boundaries many workers get wrong the same way. Masks: ``project`` is the
benchmark's shifted-and-noisy masks; ``hard`` adds boundary-biased workers (each dilates or
erodes every object by a pixel or two) and small objects.

Events (what each confidence is the probability of): a box matches a true object at IoU >= 0.5
with the right class; an image's boxes are all right (``is_correct``: one-to-one, nothing
missing, nothing extra); a span is exactly right; a text's spans are exactly the true set; a
mask class's confidence is its expected IoU (outcome: the realised IoU of that class); a mask
image's, its expected mean IoU over the classes present in the output or the truth.

``before=True`` runs the task types and consolidation package as they were at
``calibration_common.BEFORE_COMMIT`` (read from git into ``labeling_before`` /
``consolidation_before``, see ``_before_task_types``), without records (that code takes none).
"""

from __future__ import annotations

import base64
import importlib
import io
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
# The project root before bench/: ``bench/labeling.py`` must not shadow the ``labeling`` package.
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from calibration_common import BEFORE_COMMIT, Row, before_package, make_row  # noqa: E402

POOL = 20
JOB_ITEMS = 150
GOLD_SHARE = 0.1
RECORD_ITEMS = 60
# Annotators of each earlier gold item (a divisor of ``POOL``): the records' strays another
# annotator drew alike are how a job without gold sees decoys.
RECORD_ANNOTATORS = 4
WORKERS = (1, 2, 3, 5)
LABELS = ["car", "person", "sign"]
WIDTH, HEIGHT = 640, 480
TEXT_LENGTH = 300
MASK_SIDE = 48
# Dynamic redundancy's target: an item closes once its confidence reaches it.
REDUNDANCY_TARGET = 0.8
# Jobs with more workers per item than this get no records (``--records-up-to``; production
# passes them at every redundancy).
RECORDS_UP_TO = 1000


# --------------------------------------------------------------------------- code under test
def _before_task_types():
    """``labeling.task_types`` at ``BEFORE_COMMIT`` as ``labeling_before.task_types``, importing
    the frozen ``consolidation_before``."""
    if "labeling_before.task_types" in sys.modules:
        return sys.modules["labeling_before.task_types"]
    before_package("consolidation")
    listing = subprocess.run(
        ["git", "-C", str(ROOT), "ls-tree", "-r", "--name-only", BEFORE_COMMIT, "labeling/task_types"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    target = Path(tempfile.mkdtemp(prefix="calibration-before-labeling-"))
    (target / "labeling_before").mkdir()
    (target / "labeling_before" / "__init__.py").write_text("")
    for path in listing:
        if not path.endswith(".py"):
            continue
        source = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{BEFORE_COMMIT}:{path}"], check=True, capture_output=True, text=True
        ).stdout
        lines = []
        for line in source.splitlines():
            if line.lstrip().startswith(("from ", "import ")):
                line = re.sub(r"\blabeling\b(?=[. ])", "labeling_before", line)
                line = re.sub(r"\bconsolidation\b(?=[. ])", "consolidation_before", line)
            lines.append(line)
        destination = target / path.replace("labeling", "labeling_before", 1)
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text("\n".join(lines) + "\n")
    sys.path.insert(0, str(target))
    return importlib.import_module("labeling_before.task_types")


def _task_type(name: str, before: bool):
    if before:
        return _before_task_types().get_task_type(name)
    from labeling.task_types import get_task_type

    return get_task_type(name)


def _consolidate(task_type, objects, *, n_workers, gold, records, before):
    kwargs = {}
    if not before and records is not None:
        accuracy, tallies = records
        kwargs = {"worker_records": accuracy, "worker_gold_records": tallies}
    return task_type.consolidate(objects, n_workers=n_workers, labels=LABELS, gold=gold, **kwargs)


# --------------------------------------------------------------------------- crowds
def _pool(rng: np.random.Generator) -> dict[str, np.ndarray]:
    sloppy = rng.random(POOL) < 0.3
    return {
        "sloppy": sloppy,
        "jitter": np.where(sloppy, 0.12, 0.03),
        "miss": np.where(sloppy, 0.3, 0.05),
        "false_positives": np.where(sloppy, 0.8, 0.1),
        "wrong_label": np.where(sloppy, 0.15, 0.03),
        "shift": np.where(sloppy, 0.5, 0.15),
        "bias": rng.choice([-2, -1, 0, 1, 2], size=POOL),
    }


def _truth_boxes(rng, hard):
    n = int(rng.poisson(2)) + 1
    size = rng.uniform(30, 150, size=(n, 2))
    corner = rng.uniform(0, 1, size=(n, 2)) * (np.array([WIDTH, HEIGHT]) - size)
    boxes = np.concatenate([corner, size], axis=1)
    classes = rng.integers(len(LABELS), size=n)
    difficulty = np.where(rng.random(n) < 0.4, rng.uniform(0.2, 0.8, n), 0.0) if hard else np.zeros(n)
    distractors = []
    if hard:
        for _ in range(int(rng.poisson(0.5))):
            s = rng.uniform(20, 100, size=2)
            distractors.append((np.r_[rng.uniform(0, 1, 2) * (np.array([WIDTH, HEIGHT]) - s), s], rng.integers(3)))
    return {"boxes": boxes, "classes": classes, "difficulty": difficulty, "distractors": distractors}


def _box_dict(box, klass):
    left, top = max(box[0], 0.0), max(box[1], 0.0)
    right, bottom = min(box[0] + box[2], WIDTH), min(box[1] + box[3], HEIGHT)
    right, bottom = max(right, left + 1), max(bottom, top + 1)
    right, bottom = min(right, WIDTH), min(bottom, HEIGHT)
    left, top = min(left, right - 1), min(top, bottom - 1)
    return {"label": LABELS[int(klass)], "left": left, "top": top, "width": right - left, "height": bottom - top}


def _answer_boxes(truth, pool, w, rng):
    drawn = []
    for box, klass, difficulty in zip(truth["boxes"], truth["classes"], truth["difficulty"], strict=True):
        if rng.random() < 1 - (1 - pool["miss"][w]) * (1 - difficulty):
            continue
        noisy = box + rng.normal(0, pool["jitter"][w], size=4) * np.r_[box[2:], box[2:]]
        noisy[2:] = np.maximum(noisy[2:], 2)
        if rng.random() < pool["wrong_label"][w]:
            klass = (klass + rng.integers(1, 3)) % 3
        drawn.append(_box_dict(noisy, klass))
    for box, klass in truth["distractors"]:
        if rng.random() < 0.35:
            drawn.append(_box_dict(box + rng.normal(0, 0.03, size=4) * np.r_[box[2:], box[2:]], klass))
    for _ in range(int(rng.poisson(pool["false_positives"][w]))):
        s = rng.uniform(20, 100, size=2)
        drawn.append(_box_dict(np.r_[rng.uniform(0, 1, 2) * (np.array([WIDTH, HEIGHT]) - s), s], rng.integers(3)))
    return {"boxes": drawn, "image_size": {"width": WIDTH, "height": HEIGHT}}


def _truth_answer_boxes(truth):
    return {
        "boxes": [_box_dict(b, k) for b, k in zip(truth["boxes"], truth["classes"], strict=True)],
        "image_size": {"width": WIDTH, "height": HEIGHT},
    }


def _truth_spans(rng, hard):
    n = int(rng.integers(3, 7))
    cuts = np.sort(rng.choice(np.arange(0, TEXT_LENGTH - 20, 20), size=n, replace=False))
    spans = [(int(c) + 2, int(c) + 2 + int(rng.integers(3, 15)), int(rng.integers(3))) for c in cuts]
    difficulty = np.where(rng.random(n) < 0.4, rng.uniform(0.2, 0.8, n), 0.0) if hard else np.zeros(n)
    # An ambiguous entity: another reading (one more word) that each worker picks with 30%.
    alternative = [(s, e + 3, lab) if hard and rng.random() < 0.3 else None for s, e, lab in spans]
    distractors = []
    if hard and rng.random() < 0.4:
        s = int(rng.integers(0, TEXT_LENGTH - 10))
        distractors.append((s, s + int(rng.integers(2, 8)), int(rng.integers(3))))
    return {"spans": spans, "difficulty": difficulty, "alternative": alternative, "distractors": distractors}


def _answer_spans(truth, pool, w, rng):
    given = set()
    for (s, e, lab), difficulty, other in zip(truth["spans"], truth["difficulty"], truth["alternative"], strict=True):
        if rng.random() < 1 - (1 - pool["miss"][w]) * (1 - difficulty):
            continue
        if other is not None and rng.random() < 0.3:
            s, e, lab = other
        if rng.random() < pool["shift"][w]:
            s = max(0, s + int(rng.integers(-2, 3)))
        if rng.random() < pool["shift"][w]:
            e = max(s + 1, e + int(rng.integers(-2, 3)))
        if rng.random() < pool["wrong_label"][w]:
            lab = int((lab + rng.integers(1, 3)) % 3)
        given.add((s, min(e, TEXT_LENGTH), lab))
    for span in truth["distractors"]:
        if rng.random() < 0.35:
            given.add(span)
    for _ in range(int(rng.poisson(pool["false_positives"][w]))):
        s = int(rng.integers(0, TEXT_LENGTH - 10))
        given.add((s, s + int(rng.integers(2, 8)), int(rng.integers(3))))
    return {"entities": [{"label": LABELS[lab], "start": s, "end": e} for s, e, lab in sorted(given) if e > s]}


def _truth_answer_spans(truth):
    return {"entities": [{"label": LABELS[lab], "start": s, "end": e} for s, e, lab in truth["spans"]]}


_YY, _XX = np.mgrid[:MASK_SIDE, :MASK_SIDE]


def _truth_mask(rng, hard):
    truth = np.zeros((MASK_SIDE, MASK_SIDE), dtype=np.uint8)
    cy, cx = rng.integers(10, MASK_SIDE - 10, size=2)
    radius = int(rng.integers(2, 6)) if hard and rng.random() < 0.5 else int(rng.integers(5, 11))
    truth[(_YY - cy) ** 2 + (_XX - cx) ** 2 <= radius**2] = 1
    top, left = rng.integers(0, MASK_SIDE - 20, size=2)
    truth[top : top + int(rng.integers(4, 18)), left : left + int(rng.integers(4, 18))] = 2
    return {"mask": truth, "hard": hard}


def _grow(mask, klass, steps):
    """Dilate (steps > 0) or erode (steps < 0) class ``klass`` by ``|steps|`` pixels."""
    region = mask == klass
    for _ in range(abs(steps)):
        shifted = [np.roll(region, shift, axis) for shift in (1, -1) for axis in (0, 1)]
        region = np.logical_or.reduce([region, *shifted]) if steps > 0 else np.logical_and.reduce([region, *shifted])
    out = mask.copy()
    if steps > 0:
        out[region & (mask == 0)] = klass
    else:
        out[(mask == klass) & ~region] = 0
    return out


def _answer_mask(truth, pool, w, rng):
    drawn = truth["mask"]
    sloppy = pool["sloppy"][w]
    if truth["hard"] and pool["bias"][w]:
        for klass in (1, 2):
            drawn = _grow(drawn, klass, int(pool["bias"][w]))
    dy, dx = rng.integers(-3, 4, size=2) if sloppy else rng.integers(-1, 2, size=2)
    drawn = np.roll(drawn, (int(dy), int(dx)), axis=(0, 1))
    noise = rng.random(drawn.shape) < (0.1 if sloppy else 0.01)
    drawn = np.where(noise, rng.integers(0, 3, size=drawn.shape), drawn).astype(np.uint8)
    return {"mask": _png(drawn)}


def _png(mask):
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(mask, dtype=np.uint8), mode="L").save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _decode(text):
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(text))), dtype=np.int64)


# --------------------------------------------------------------------------- outcomes
def _box_outcomes(task_type, result, truth_answer):
    from labeling.task_types.boxes import _Boxes, _matches

    expected = np.array(
        [[b["left"], b["top"], b["width"], b["height"]] for b in truth_answer["boxes"]], dtype=np.float64
    ).reshape(-1, 4)
    reference = _Boxes(
        expected, np.array([LABELS.index(b["label"]) for b in truth_answer["boxes"]]), (WIDTH, HEIGHT, 3)
    )
    got = np.array([[b["left"], b["top"], b["width"], b["height"]] for b in result["boxes"]], dtype=np.float64)
    matched = _matches(
        got.reshape(-1, 4), np.array([b["class_id"] for b in result["boxes"]], dtype=np.int64), reference
    )
    return [b["confidence"] for b in result["boxes"]], matched.tolist(), int(matched.sum()), len(expected)


def _span_outcomes(task_type, result, truth_answer):
    expected = {(e["start"], e["end"], LABELS.index(e["label"])) for e in truth_answer["entities"]}
    got = [(e["start"], e["end"], e["label"]) for e in result["entities"]]
    hits = [span in expected for span in got]
    return [e["confidence"] for e in result["entities"]], hits, int(sum(hits)), len(expected)


def _mask_ious(result, truth):
    got = _decode(result["mask"])
    ious = {}
    for klass in range(len(LABELS)):
        union = ((got == klass) | (truth == klass)).sum()
        if union:
            ious[klass] = float(((got == klass) & (truth == klass)).sum() / union)
    return ious


# --------------------------------------------------------------------------- jobs
KINDS = {
    "bounding_box": (_truth_boxes, _answer_boxes, _truth_answer_boxes),
    "named_entity_recognition": (_truth_spans, _answer_spans, _truth_answer_spans),
    "semantic_segmentation": (_truth_mask, _answer_mask, lambda truth: {"mask": _png(truth["mask"])}),
}


def _records(kind, pool, rng, hard, task_type):
    """Each pool worker's records from ``RECORD_ITEMS`` earlier items of the same crowd (new
    items, never the job's), whose truth is known (gold of earlier jobs), each answered by
    ``RECORD_ANNOTATORS`` pool workers: ``(accuracy, answers)``, the mean of the task type's own
    ``_score`` against the truth, and the ``GoldTally`` of those answers (``_worker_gold``,
    what ``Consolidation.worker_gold`` keeps for production's records)."""
    from labeling.task_types import ObjectAnswers
    from labeling.task_types.base import GoldTally

    make_truth, answer, truth_answer = KINDS[kind]
    scores: dict[int, list[float]] = {w: [] for w in range(POOL)}
    tallies: dict[int, GoldTally] = {w: GoldTally() for w in range(POOL)}
    for _ in range(RECORD_ITEMS if kind != "semantic_segmentation" else 10):
        for group in rng.permutation(POOL).reshape(-1, RECORD_ANNOTATORS):
            truth = make_truth(rng, hard)
            answers = [answer(truth, pool, int(w), rng) for w in group]
            gold = {0: truth_answer(truth)}
            item = ObjectAnswers(0, tuple(int(w) for w in group), tuple(answers), {})
            for w, tally in task_type._worker_gold([item], labels=LABELS, gold=gold).items():
                tallies[w] = tallies[w] + tally
            reference = task_type._parse(gold[0], LABELS)
            if kind == "named_entity_recognition":
                from labeling.task_types.spans import _Spans

                reference = _Spans(reference)
            for w, given in zip(group, answers, strict=True):
                scores[int(w)].append(task_type._score(task_type._parse(given, LABELS), reference))
    records = {w: (float(np.mean(scores[w])), RECORD_ITEMS) for w in range(POOL)}
    return records, tallies


def _job(kind, *, crowd, workers, gold, before, seed):
    from labeling.task_types import ObjectAnswers

    hard = crowd == "hard"
    rng = np.random.default_rng([seed, workers, int(gold), int(hard), len(kind)])
    pool = _pool(rng)
    make_truth, answer, truth_answer = KINDS[kind]
    task_type = _task_type(kind, before)
    # Labeling passes every worker's records whatever the redundancy (``services.progress``).
    # Jobs of 3 or more workers draw them from their own generator, so that the job's items
    # are those the rows measured before records were passed there.
    if workers <= 2:
        records = _records(kind, pool, rng, hard, _task_type(kind, False))
    elif workers <= RECORDS_UP_TO:
        records_rng = np.random.default_rng([seed, workers, int(gold), int(hard), len(kind), 1])
        records = _records(kind, pool, records_rng, hard, _task_type(kind, False))
    else:
        records = None
    truths, objects = [], []
    for index in range(JOB_ITEMS):
        truth = make_truth(rng, hard)
        chosen = rng.choice(POOL, size=workers, replace=False)
        answers = tuple(answer(truth, pool, int(w), rng) for w in chosen)
        truths.append(truth)
        objects.append(ObjectAnswers(index, tuple(int(w) for w in chosen), answers, {}))
    gold_items = {i: truth_answer(truths[i]) for i in range(int(GOLD_SHARE * JOB_ITEMS))} if gold else {}
    outcome = _consolidate(task_type, objects, n_workers=POOL, gold=gold_items, records=records, before=before)
    results = [o for o in outcome.objects if o.index not in gold_items]
    return task_type, truths, results, records is not None, objects


def _row_pair(kind, *, crowd, workers, gold, before, seeds):
    names = {"bounding_box": ("boxes", "boxes/image"), "named_entity_recognition": ("spans", "spans/text")}
    events = {
        "bounding_box": ("matches a true box, IoU>=0.5, same class", "every box right, none missed"),
        "named_entity_recognition": ("span exactly right", "every span right, none missed"),
        "semantic_segmentation": ("expected IoU of the class", "expected mean IoU over classes"),
    }
    object_conf, object_hit, item_conf, item_hit = [], [], [], []
    hits = found = real = 0
    with_records = False
    for seed in seeds:
        task_type, truths, results, with_records, _ = _job(
            kind, crowd=crowd, workers=workers, gold=gold, before=before, seed=seed
        )
        make_truth, answer, truth_answer = KINDS[kind]
        for result in results:
            truth = truths[result.index]
            if kind == "semantic_segmentation":
                ious = _mask_ious(result.result, truth["mask"])
                for klass, iou in ious.items():
                    confidence = result.result["class_confidence"][klass]
                    object_conf.append(0.0 if confidence is None else confidence)
                    object_hit.append(iou)
                item_conf.append(result.confidence)
                item_hit.append(float(np.mean(list(ious.values()))))
                continue
            outcomes = _box_outcomes if kind == "bounding_box" else _span_outcomes
            confidences, matched, n_hits, n_real = outcomes(task_type, result.result, truth_answer(truth))
            object_conf += confidences
            object_hit += matched
            hits, found, real = hits + n_hits, found + len(matched), real + n_real
            item_conf.append(result.confidence)
            item_hit.append(n_hits == len(matched) == n_real)
    note = "records of 60 earlier items" if with_records and not before else ""
    if kind == "semantic_segmentation":
        accuracy = float(np.mean(item_hit))
        object_name, item_name = "masks/class", "masks/image"
    else:
        precision, recall = hits / max(found, 1), hits / max(real, 1)
        accuracy = 2 * precision * recall / max(precision + recall, 1e-12)
        object_name, item_name = names[kind]
    common = {"crowd": crowd, "workers": workers, "gold": gold, "note": note}
    return [
        make_row(
            task_type=object_name,
            event=events[kind][0],
            confidence=object_conf,
            outcome=object_hit,
            accuracy=accuracy,
            **common,
        ),
        make_row(
            task_type=item_name,
            event=events[kind][1],
            confidence=item_conf,
            outcome=item_hit,
            accuracy=float(np.mean(item_hit)),
            **common,
        ),
    ]


def _redundancy_rows(before: bool, seeds: list[int]) -> list[Row]:
    """Dynamic redundancy as labeling runs it (``labeling.services.progress``) on the project's
    crowd: every item starts with one answer; after each round the whole job is consolidated,
    items whose confidence (the probability that every object in it is right) reaches
    ``REDUNDANCY_TARGET`` close, the others get one more answer from another worker, up to 5.
    The row's confidences are the items' final ones; ``note``: mean answers per item (workers'
    records are passed after issue 23, as labeling passes them)."""
    from labeling.task_types import ObjectAnswers

    out = []
    for kind, name in (("bounding_box", "boxes/dyn. red."), ("named_entity_recognition", "spans/dyn. red.")):
        make_truth, answer, truth_answer = KINDS[kind]
        confidence, right, spent = [], [], []
        for seed in seeds:
            rng = np.random.default_rng([31, seed, len(kind)])
            pool = _pool(rng)
            task_type = _task_type(kind, before)
            records = _records(kind, pool, rng, False, _task_type(kind, False))
            truths = [make_truth(rng, False) for _ in range(JOB_ITEMS)]
            chosen = [rng.choice(POOL, size=5, replace=False) for _ in range(JOB_ITEMS)]
            answers = [
                [answer(truth, pool, int(w), rng) for w in who] for truth, who in zip(truths, chosen, strict=True)
            ]
            given = np.ones(JOB_ITEMS, dtype=np.int64)
            for _ in range(5):
                objects = [
                    ObjectAnswers(i, tuple(int(w) for w in chosen[i][: given[i]]), tuple(answers[i][: given[i]]), {})
                    for i in range(JOB_ITEMS)
                ]
                outcome = _consolidate(task_type, objects, n_workers=POOL, gold={}, records=records, before=before)
                written = np.array([result.confidence for result in outcome.objects])
                unsure = (written < REDUNDANCY_TARGET) & (given < 5)
                if not unsure.any():
                    break
                given[unsure] += 1
            outcomes = _box_outcomes if kind == "bounding_box" else _span_outcomes
            for result in outcome.objects:
                _, matched, n_hits, n_real = outcomes(task_type, result.result, truth_answer(truths[result.index]))
                confidence.append(result.confidence)
                right.append(n_hits == len(matched) == n_real)
            spent.append(given.mean())
        out.append(
            make_row(
                task_type=name,
                crowd=f"project, target {REDUNDANCY_TARGET}",
                workers=5,
                gold=False,
                event="every object right, none missed",
                confidence=confidence,
                outcome=right,
                accuracy=float(np.mean(right)),
                note=f"answers per item {np.mean(spent):.2f}",
            )
        )
    return out


def rows(
    before: bool,
    seeds: list[int],
    kinds=tuple(KINDS),
    crowds=("project", "hard"),
    workers=WORKERS,
    golds=(False, True),
) -> list[Row]:
    """Every geometric setting's rows (see the module doc), then dynamic redundancy's (only
    when every setting is asked for)."""
    out = []
    for kind in kinds:
        for crowd in crowds:
            for count in workers:
                for gold in golds:
                    out += _row_pair(kind, crowd=crowd, workers=count, gold=gold, before=before, seeds=seeds)
    if kinds == tuple(KINDS) and crowds == ("project", "hard") and workers == WORKERS and golds == (False, True):
        out += _redundancy_rows(before, seeds)
    return out
