"""Calibrated confidences for drawn objects (boxes, spans): a Poisson model over candidates.

A *candidate* is one object some worker drew in an item (a cluster of matching boxes with its
voted label, an exact span). Whether it is a true object is latent. Per item, true objects come
as a Poisson count of rate ``mu``, and each worker who answered the item draws each one with
their own ``recall``. False candidates are *started* by one worker (a Poisson count of rate
``false_rate[w]`` per item they answer) and each other annotator *joins* (draws the same false
object: a distractor, a wrong boundary many pick) with probability ``join[w]``. So the expected
number of true and false candidates per item with a given pattern ``x`` of who drew it are

    true:  mu * prod_w recall^x (1 - recall)^(1 - x)
    false: sum_{o drew} false_rate[o] * prod_{w != o} join^x (1 - join)^(1 - x)

and a candidate's posterior is the first over their sum. Unlike a two-coin model over
candidates, this accounts for candidates existing only because someone drew them.

With ``decoys``, a false candidate may also be a *decoy*: something in the item that looks like
an object, which every annotator draws alike (with ``decoy_draw``), coming at ``decoy_rate`` per
item. It adds to the false ones

    decoy: decoy_rate * decoy_draw^k (1 - decoy_draw)^(n - k)    (k of the n annotators drew it)

A decoy three of five drew looks like a hard true object three of five drew; a job's own
agreement cannot tell them apart (without help the fit settles on almost no decoys), gold and
the workers' gold records can. With ``decoys`` (labeling's jobs with gold) EM fits them on the
gold items; with ``record_decoys`` their rate and draw come from the records
(``decoys_from_records``: strays another annotator of an earlier gold item drew alike), and since
those count every false object drawn alike, joins are left out then (the records' zero where
they show none, rather than the prior's mean).

Fitted by EM over every candidate of a job at once (the latent origin of a false candidate
included), with Beta/Gamma pseudo-counts (``PRIOR``) so small jobs stay finite:

* **Gold**: candidates of gold items have a known truth (matched to a gold object or not), and a
  gold object nobody drew is a true candidate with an all-zero pattern; they stay fixed and
  anchor the rates (recall below all the drawn ones only shows up there).
* **Records**: a worker's record from earlier work, a precision and a recall over ``n``
  answers, becomes pseudo-counts (``RECORD_WEIGHT * min(n, RECORD_CAP)``) on their recall and on
  the false rate that precision implies (``precision = mu r / (mu r + false_rate)``); a gold
  record gives the false rate itself (strays per item) and a recall over every true object,
  whose pseudo-objects are data of the detectability mixture (``record_mixture``).
  ``unseen_from_records`` counts the objects nobody drew from gold records, and
  ``decoys_from_records`` the decoys.

An item is all right when every output candidate is true, every candidate left out false, and
no true object was missed by everyone: ``item_all_right`` multiplies those (candidates
independent given the model), the last factor being ``exp(-mu * prod_w (1 - recall[w]))``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from consolidation.results import frozen

# Pseudo-counts when nothing else is known: recall Beta(2, 1), join Beta(0.5, 10), and a false
# rate of 0.1 per item over one item. Join's prior is weak and low (mean 0.05): two workers
# drawing the same false object is the exception, learnt from the data where distractors exist;
# a prior of Beta(1, 4) fed on itself (every pair it made doubtful counted as joins) and left
# objects two of three workers drew under-confident (box ECE 0.044 against 0.024 at 3 workers).
PRIOR = {
    "recall": (2.0, 1.0),
    "join": (0.5, 10.0),
    "false_rate": (0.1, 1.0),
    "hard_share": (1.0, 9.0),
    "hard_scale": (2.0, 3.0),
    "decoy_draw": (2.0, 4.0),
    "decoy_rate": (0.5, 10.0),
}
# Hard objects: a tenth of them at first, seen at 0.4 of a worker's recall.
HARD_START = (0.1, 0.4)
# A record's answers count at this weight, up to the cap: a worker moves between jobs.
RECORD_WEIGHT = 0.5
RECORD_CAP = 200.0
_CLIP = 1e-4
# The probability that an annotator draws a decoy stays in this range; from records, one
# pseudo-decoy drawn with ``DECOY_DRAW_PRIOR`` is added to what they show.
DECOY_DRAW_RANGE = (0.02, 0.95)
DECOY_DRAW_PRIOR = 0.3


@dataclass(frozen=True)
class DetectionFit:
    """``posterior`` per candidate (known ones at their truth) and ``model_posterior`` (known
    ones too as the model sees them: what gold recalibration compares with the truth); per
    worker ``recall``, ``false_rate`` (false objects started per item) and ``join``
    (probability of drawing another's false object); ``mu``, the rate of true objects per item
    (drawn or not); the share of hard objects and their scale of recall; decoys per item and the
    probability each annotator draws one (0 without ``decoys``)."""

    posterior: NDArray[np.float64]
    model_posterior: NDArray[np.float64]
    recall: NDArray[np.float64]
    false_rate: NDArray[np.float64]
    join: NDArray[np.float64]
    mu: float
    n_iter: int
    hard_share: float = 0.0
    hard_scale: float = 1.0
    decoy_rate: float = 0.0
    decoy_draw: float = 0.0


def detection_fit(
    pair_candidate: ArrayLike,
    pair_worker: ArrayLike,
    pair_drew: ArrayLike,
    *,
    n_candidates: int,
    answer_item: ArrayLike,
    answer_worker: ArrayLike,
    n_workers: int,
    known: ArrayLike | None = None,
    record_precision: ArrayLike | None = None,
    record_recall: ArrayLike | None = None,
    record_answers: ArrayLike | None = None,
    record_false_rate: ArrayLike | None = None,
    mixture: bool = True,
    record_mixture: bool = True,
    decoys: bool = False,
    record_decoys: tuple[ArrayLike, ArrayLike, ArrayLike, ArrayLike] | None = None,
    max_iter: int = 200,
    tol: float = 1e-4,
) -> DetectionFit:
    """Fit the model on one job's candidates.

    One *pair* per (candidate, worker who answered the candidate's item): ``pair_drew`` says
    whether that worker drew it. ``answer_item`` and ``answer_worker`` list every answer of the
    job (item, worker), candidates or not (items ``0..max``). ``known`` holds per candidate 1.0
    (true), 0.0 (false) or NaN (unknown; the default). ``record_*`` are per worker (NaN or 0
    answers: no record). ``record_false_rate`` is the stray objects the worker drew per item
    in earlier gold (NaN: implied by ``record_precision``); where it is given the record is a
    gold record and its ``record_recall`` is over every true object, hard ones included; an F1
    record's (against a crowd, which misses what it misses) is read as the recall on easy ones.
    With ``record_mixture`` (and ``mixture``) a gold record's objects are data of the
    detectability mixture, each found or missed and hard or easy unknown, fitted with the job's
    candidates: a record that misses more than the job's agreement explains raises the share of
    hard objects (EM's estimate from the job alone can settle on a few, the hard ones a worker
    or two drew read as strays). Without, the worker's recall on easy objects is the record's
    over ``1 - hard_share (1 - hard_scale)``. ``record_decoys`` is per worker ``(shared,
    shared_by, peers, items)`` of their gold record (``decoys_from_records``; NaN or 0 items:
    none): where any is given, the decoys' rate and draw are the records' (decoys on where they
    show some, ``decoys`` or not) and joins are left out.
    """
    cand = np.asarray(pair_candidate, dtype=np.int64)
    work = np.asarray(pair_worker, dtype=np.int64)
    drew = np.asarray(pair_drew, dtype=bool)
    answer_item = np.asarray(answer_item, dtype=np.int64)
    answer_worker = np.asarray(answer_worker, dtype=np.int64)
    if answer_item.shape != answer_worker.shape or answer_item.ndim != 1:
        raise ValueError("answer_item and answer_worker must be one-dimensional and of equal length")
    items = np.bincount(answer_worker, minlength=n_workers).astype(np.float64)
    answers = (answer_item, answer_worker)
    if not (cand.shape == work.shape == drew.shape) or cand.ndim != 1:
        raise ValueError("pair_candidate, pair_worker and pair_drew must be one-dimensional and of equal length")
    if cand.size and (cand.min() < 0 or cand.max() >= n_candidates or work.min() < 0 or work.max() >= n_workers):
        raise ValueError("pair ids out of range")
    fixed = np.full(n_candidates, np.nan) if known is None else np.asarray(known, dtype=np.float64)
    if fixed.shape != (n_candidates,):
        raise ValueError("known must have one entry per candidate")
    precision_rec, recall_rec, mass = _records(record_precision, record_recall, record_answers, n_workers)
    stray_rec = np.full(n_workers, np.nan) if record_false_rate is None else np.asarray(record_false_rate, float)
    if stray_rec.shape != (n_workers,):
        raise ValueError("record_false_rate needs one entry per worker")
    from_records = None
    if record_decoys is not None:
        from_records = decoys_from_records(*record_decoys, n_workers=n_workers)
        decoys = decoys or (from_records is not None and from_records[0] > 0)
    is_known = np.isfinite(fixed)
    annotated = np.bincount(answer_item).astype(np.float64)
    counts = _Counts(
        drawn=np.bincount(cand, weights=drew, minlength=n_candidates).astype(np.float64),
        asked=np.bincount(cand, minlength=n_candidates).astype(np.float64),
        item_annotators=annotated[annotated > 0],
    )
    # Start: a candidate most annotators drew is true.
    q = np.where(is_known, fixed, np.clip(counts.drawn / np.maximum(counts.asked, 1), 0.05, 0.95))
    model = _Model(
        recall=np.full(n_workers, 0.8),
        false_rate=np.full(n_workers, 0.2),
        join=np.full(n_workers, 0.1),
        mu=1.0,
        hard_share=HARD_START[0] if mixture else 0.0,
        hard_scale=HARD_START[1],
        # Decoys get their rates from the first M-step, every false candidate half a decoy.
        decoy_rate=0.0,
        decoy_draw=0.3,
    )
    origin = _origin(cand, work, drew, model, n_candidates)
    hard = np.full(n_candidates, model.hard_share)
    decoy = np.full(n_candidates, 0.5 if decoys else 0.0)
    n_iter = 0
    for n_iter in range(1, max_iter + 1):  # noqa: B007
        records = (precision_rec, recall_rec, stray_rec, mass)
        model = _m_step(
            q,
            hard,
            decoy,
            origin,
            cand,
            work,
            drew,
            counts,
            items,
            answers,
            records,
            model,
            mixture,
            record_mixture,
            decoys,
            from_records,
        )
        origin = _origin(cand, work, drew, model, n_candidates)
        posterior, hard, decoy = _posterior(cand, work, drew, counts, model)
        new_q = np.where(is_known, fixed, posterior)
        change = float(np.abs(new_q - q).max(initial=0.0))
        q = new_q
        if change < tol:
            break
    return DetectionFit(
        posterior=frozen(np.clip(q, 0.0, 1.0)),
        model_posterior=frozen(_posterior(cand, work, drew, counts, model)[0]),
        recall=frozen(model.recall),
        false_rate=frozen(model.false_rate),
        join=frozen(model.join),
        mu=model.mu,
        n_iter=n_iter,
        hard_share=model.hard_share,
        hard_scale=model.hard_scale,
        decoy_rate=model.decoy_rate,
        decoy_draw=model.decoy_draw,
    )


@dataclass(frozen=True)
class _Model:
    recall: NDArray[np.float64]
    false_rate: NDArray[np.float64]
    join: NDArray[np.float64]
    mu: float
    hard_share: float
    hard_scale: float
    decoy_rate: float
    decoy_draw: float


_Floats = NDArray[np.float64]
_Ints = NDArray[np.int64]
_Bools = NDArray[np.bool_]


@dataclass(frozen=True)
class _Counts:
    """What EM does not change: per candidate, how many annotators drew it and how many
    answered its item; per item with answers, its number of annotators."""

    drawn: _Floats
    asked: _Floats
    item_annotators: _Floats


def decoys_from_records(
    shared: ArrayLike, shared_by: ArrayLike, peers: ArrayLike, items: ArrayLike, *, n_workers: int
) -> tuple[float, float] | None:
    """``(decoy_rate, decoy_draw)`` as the workers' gold records show them (a rate of 0 where
    no stray was drawn alike), or ``None`` where no record had other annotators to show it. Per
    worker and gold item: ``shared``, their strays apart from every true object that another
    annotator of the item drew alike (two workers' own false objects rarely coincide, so these
    are decoys); ``shared_by``, those others counted; ``peers``, the other annotators;
    ``items``, the gold items of the record (0: no record). A decoy the worker drew
    is drawn alike by ``Binomial(peers, draw)`` others, so per item ``shared`` is
    ``rate draw (1 - (1 - draw)^peers)`` and ``shared_by`` is ``rate draw^2 peers``: their ratio
    gives ``draw`` (increasing in it, from 1 to ``peers``), then ``shared`` the rate."""
    counts = [np.asarray(values, dtype=np.float64) for values in (shared, shared_by, peers)]
    weight = np.asarray(items, dtype=np.float64)
    if any(values.shape != (n_workers,) for values in (*counts, weight)):
        raise ValueError("record_decoys needs one entry per worker in each of its arrays")
    known = np.all([np.isfinite(values) for values in (*counts, weight)], axis=0) & (counts[2] > 0) & (weight > 0)
    if np.any(np.concatenate([values[known] for values in counts]) < 0):
        raise ValueError("record_decoys must be non-negative")
    weight = np.where(known, weight, 0.0)
    if not known.any():
        return None
    shared_total, by_total = (float(np.sum(weight * np.nan_to_num(values))) for values in counts[:2])
    if shared_total <= 0:
        return 0.0, DECOY_DRAW_PRIOR
    others = np.where(known, counts[2], 0.0)
    peer_items = float(np.sum(weight * others))

    def seen(draw: float) -> float:  # over the records' items, the chance another drew a decoy one drew
        return float(np.sum(weight * (1.0 - (1.0 - draw) ** others)))

    # A pseudo-decoy drawn at ``DECOY_DRAW_PRIOR`` steadies the draw on a few shared strays
    # (one alone would put it at the range's floor, and its rate past one an item).
    mean_peers = peer_items / float(np.sum(weight))
    prior_by = DECOY_DRAW_PRIOR * mean_peers / (1.0 - (1.0 - DECOY_DRAW_PRIOR) ** mean_peers)
    ratio = (by_total + prior_by) / (shared_total + 1.0)
    low, high = DECOY_DRAW_RANGE
    for _ in range(50):  # bisection: draw * sum(items peers) / seen(draw) increases with draw
        middle = 0.5 * (low + high)
        if middle * peer_items / seen(middle) < ratio:
            low = middle
        else:
            high = middle
    draw = 0.5 * (low + high)
    return shared_total / (draw * seen(draw)), draw


def _records(
    precision: ArrayLike | None, recall: ArrayLike | None, answers: ArrayLike | None, n_workers: int
) -> tuple[_Floats, _Floats, _Floats]:
    if answers is None:
        # No records: zero mass (any finite value would do; NaN would poison the sums).
        half = np.full(n_workers, 0.5)
        return half, half, np.zeros(n_workers)
    answer_counts = np.asarray(answers, dtype=np.float64)
    precision_in = np.asarray(precision, dtype=np.float64)
    recall_in = np.asarray(recall, dtype=np.float64)
    if not (answer_counts.shape == precision_in.shape == recall_in.shape == (n_workers,)):
        raise ValueError("record_precision, record_recall and record_answers need one entry per worker")
    known = np.isfinite(precision_in) & np.isfinite(recall_in) & (answer_counts > 0)
    mass = np.where(known, RECORD_WEIGHT * np.minimum(np.nan_to_num(answer_counts), RECORD_CAP), 0.0)
    return (
        np.clip(np.nan_to_num(precision_in, nan=0.5), 0.05, 0.999),
        np.clip(np.nan_to_num(recall_in, nan=0.5), 0.05, 0.999),
        mass,
    )


def _origin(cand: _Ints, work: _Ints, drew: _Bools, model: _Model, n_candidates: int) -> _Floats:
    """Per pair, the probability that its worker started the candidate, were it false."""
    weight = np.where(drew, model.false_rate[work] / model.join[work], 0.0)
    total = np.bincount(cand, weights=weight, minlength=n_candidates)
    return np.divide(weight, total[cand], out=np.zeros_like(weight), where=total[cand] > 0)


def _m_step(
    q: _Floats,
    hard: _Floats,
    decoy: _Floats,
    origin: _Floats,
    cand: _Ints,
    work: _Ints,
    drew: _Bools,
    counts: _Counts,
    items: _Floats,
    answers: tuple[_Ints, _Ints],
    records: tuple[_Floats, _Floats, _Floats, _Floats],
    previous: _Model,
    mixture: bool,
    record_mixture: bool,
    decoys: bool,
    from_records: tuple[float, float] | None,
) -> _Model:
    precision_rec, recall_rec, stray_rec, mass = records
    n_workers = items.shape[0]
    true_weight = q[cand]
    # A false candidate is a stray (started by one, joined by others) or a decoy.
    false_weight = (1.0 - true_weight) * (1.0 - decoy[cand])
    easy_weight = true_weight * (1.0 - hard[cand])
    a_r, b_r = PRIOR["recall"]
    a_j, b_j = PRIOR["join"]
    a_f, b_f = PRIOR["false_rate"]
    # Recall from the easy objects (a hard one is seen at ``hard_scale`` times it).
    hits = np.bincount(work, weights=easy_weight * drew, minlength=n_workers)
    trials = np.bincount(work, weights=easy_weight, minlength=n_workers)
    # A gold record's recall (one with a false rate) is over every true object, hard ones
    # included, and the model's recall is on easy ones. With ``record_mixture`` the record's
    # objects are more data of the mixture, each found or missed, hard or easy unknown (E-step
    # at the previous model: a hard one is found at ``hard_scale`` times the recall), so a
    # record that misses more than the job's agreement shows says how many objects are hard;
    # otherwise its recall is divided by the share of objects seen. An F1 record's recall
    # (against a crowd, which misses what it misses) is a pseudo-count on the easy recall.
    gold_record = np.isfinite(stray_rec) & (mass > 0)
    record_objects = np.zeros(n_workers)
    record_found_hard = record_hard = np.zeros(n_workers)
    if record_mixture and mixture:
        h, s, r = previous.hard_share, previous.hard_scale, previous.recall
        record_objects = mass * gold_record
        found, missed = record_objects * recall_rec, record_objects * (1.0 - recall_rec)
        record_found_hard = found * h * s / max(h * s + 1.0 - h, 1e-12)
        record_hard = record_found_hard + missed * h * (1.0 - s * r) / np.maximum(
            h * (1.0 - s * r) + (1.0 - h) * (1.0 - r), 1e-12
        )
        f1_mass = np.where(gold_record, 0.0, mass)
        recall = (hits + a_r + found - record_found_hard + f1_mass * recall_rec) / (
            trials + a_r + b_r + record_objects - record_hard + f1_mass
        )
    else:
        seen_share = 1.0 - previous.hard_share * (1.0 - previous.hard_scale)
        easy_rec = np.where(gold_record, np.clip(recall_rec / max(seen_share, 1e-9), 0.05, 0.999), recall_rec)
        recall = (hits + a_r + mass * easy_rec) / (trials + a_r + b_r + mass)
    recall = np.clip(recall, _CLIP, 1 - _CLIP)
    joined = np.bincount(work, weights=false_weight * drew * (1 - origin), minlength=n_workers)
    join_trials = np.bincount(work, weights=false_weight * (1 - drew * origin), minlength=n_workers)
    join = np.clip((joined + a_j) / (join_trials + a_j + b_j), _CLIP, 1 - _CLIP)
    if from_records is not None:
        # The records' strays drawn alike are every false object drawn alike, all read as
        # decoys: joins on top would count them twice (and where the records show none, the
        # prior's mean of 0.05 is joins they disprove).
        join = np.full(n_workers, _CLIP)
    # Rate of true objects per item, undrawn ones included: the drawn true candidates plus the
    # expected undrawn ones (EM for a Poisson count seen through the annotators' recalls).
    answer_item, answer_worker = answers
    n_items = float(answer_item.max(initial=-1) + 1)
    previous_share = float(np.sum(q * hard) / max(float(q.sum()), 1e-9)) if mixture else 0.0
    scale = 1.0
    share = 0.0
    if mixture:
        # A hard object's recall is ``scale`` times the worker's: matched in expectation.
        hard_weight = true_weight * hard[cand]
        seen = float(np.sum(hard_weight * drew)) + float(record_found_hard.sum())
        expected = float(np.sum(hard_weight * recall[work])) + float(np.sum(record_hard * recall))
        a_h, b_h = PRIOR["hard_scale"]
        scale = float(np.clip((seen + a_h) / (expected + a_h + b_h), 0.02, 0.95))
    log_easy = np.bincount(answer_item, weights=np.log1p(-recall[answer_worker]))
    log_hard = np.bincount(answer_item, weights=np.log1p(-scale * recall[answer_worker]))
    if mixture:
        share = previous_share
        undrawn_easy = (1.0 - share) * np.exp(log_easy)
        undrawn_hard = share * np.exp(log_hard)
        # Share of hard objects among all true ones: drawn (posterior-weighted) and undrawn.
        seen_true = max(float(q.sum()), 1e-9)
        a_s, b_s = PRIOR["hard_share"]
        undrawn_rate = float(np.sum(undrawn_easy + undrawn_hard))
        drawn_rate = float(np.sum((1.0 - share) * (1 - np.exp(log_easy)) + share * (1 - np.exp(log_hard))))
        mu_guess = seen_true / max(drawn_rate, 1e-9)
        share = float(
            np.clip(
                (float(np.sum(q * hard)) + mu_guess * float(np.sum(undrawn_hard)) + float(record_hard.sum()) + a_s)
                / (seen_true + mu_guess * undrawn_rate + float(record_objects.sum()) + a_s + b_s),
                _CLIP,
                0.9,
            )
        )
    missed = (1.0 - share) * np.exp(log_easy) + share * np.exp(log_hard)
    mu = float(q.sum() / max(float((1.0 - missed).sum()), 1e-9))
    del n_items
    decoy_rate, decoy_draw = 0.0, previous.decoy_draw
    if decoys:
        # A decoy is drawn by each annotator with ``decoy_draw``; per item they come at
        # ``decoy_rate``, undrawn ones included (EM for a Poisson count, as ``mu``).
        decoy_weight = (1.0 - q) * decoy
        a_d, b_d = PRIOR["decoy_draw"]
        a_n, b_n = PRIOR["decoy_rate"]
        drawn_weight = np.sum(decoy_weight * counts.drawn) + a_d
        decoy_draw = float(np.clip(drawn_weight / (np.sum(decoy_weight * counts.asked) + a_d + b_d), *DECOY_DRAW_RANGE))
        seen_share = float(np.sum(1.0 - (1.0 - decoy_draw) ** counts.item_annotators))
        decoy_rate = float((np.sum(decoy_weight) + a_n) / (seen_share + b_n))
        if from_records is not None:
            decoy_rate, decoy_draw = from_records
    started = np.bincount(work, weights=false_weight * drew * origin, minlength=n_workers)
    # Records count every false object a worker drew, decoys included.
    implied = np.maximum(
        np.where(
            np.isfinite(stray_rec), np.nan_to_num(stray_rec), mu * recall_rec * (1 - precision_rec) / precision_rec
        )
        - decoy_rate * decoy_draw,
        _CLIP,
    )
    false_rate = (started + a_f + mass * implied) / (items + b_f + mass)
    return _Model(
        recall=recall,
        false_rate=np.maximum(false_rate, _CLIP),
        join=join,
        mu=max(mu, _CLIP),
        hard_share=share,
        hard_scale=scale,
        decoy_rate=decoy_rate,
        decoy_draw=decoy_draw,
    )


def _posterior(
    cand: _Ints, work: _Ints, drew: _Bools, counts: _Counts, model: _Model
) -> tuple[_Floats, _Floats, _Floats]:
    """Per candidate: the probability that it is true, that it is a hard object were it true,
    and that it is a decoy were it false."""
    n_candidates = counts.drawn.shape[0]
    r, j = model.recall[work], model.join[work]
    easy_terms = np.where(drew, np.log(r), np.log1p(-r))
    log_easy = np.bincount(cand, weights=easy_terms, minlength=n_candidates)
    if model.hard_share > 0:
        hard_r = model.hard_scale * r
        log_hard = np.bincount(cand, weights=np.where(drew, np.log(hard_r), np.log1p(-hard_r)), minlength=n_candidates)
        a = np.log1p(-model.hard_share) + log_easy
        b = np.log(model.hard_share) + log_hard
        top = np.maximum(a, b)
        log_pattern = top + np.log(np.exp(a - top) + np.exp(b - top))
        hard = np.exp(b - log_pattern)
    else:
        log_pattern, hard = log_easy, np.zeros(n_candidates)
    join_terms = np.where(drew, np.log(j), np.log1p(-j))
    log_true = np.log(model.mu) + log_pattern
    # false: sum over origins o of false_rate[o] / join[o] * prod_w join-terms
    starts = np.bincount(cand, weights=np.where(drew, model.false_rate[work] / j, 0.0), minlength=n_candidates)
    log_stray = np.log(np.maximum(starts, 1e-300)) + np.bincount(cand, weights=join_terms, minlength=n_candidates)
    if model.decoy_rate > 0:
        draw = model.decoy_draw
        log_decoy = (
            np.log(model.decoy_rate) + counts.drawn * np.log(draw) + (counts.asked - counts.drawn) * np.log1p(-draw)
        )
        top = np.maximum(log_stray, log_decoy)
        log_false = top + np.log(np.exp(log_stray - top) + np.exp(log_decoy - top))
        decoy = np.exp(log_decoy - log_false)
    else:
        log_false, decoy = log_stray, np.zeros(n_candidates)
    return 1.0 / (1.0 + np.exp(np.clip(log_false - log_true, -700, 700))), hard, decoy


def missed_by_all(fit: DetectionFit, workers: ArrayLike, unseen_rate: float = 0.0) -> float:
    """Probability that no true object of an item went undrawn by all of ``workers``: the
    larger of the model's rate of such objects and ``unseen_rate`` (``unseen_rates``)."""
    workers = np.asarray(workers, dtype=np.int64)
    easy = float(np.prod(1.0 - fit.recall[workers]))
    hard = float(np.prod(1.0 - fit.hard_scale * fit.recall[workers]))
    rate = max(fit.mu * ((1.0 - fit.hard_share) * easy + fit.hard_share * hard), unseen_rate)
    return float(np.exp(-rate))


def unseen_rates(
    posterior: ArrayLike, drawers: ArrayLike, annotators: ArrayLike, items_per_count: dict[int, int]
) -> dict[int, float]:
    """Objects per item nobody drew, by number of annotators ``n``, from how many true objects
    (posterior-weighted) exactly one and exactly two annotators drew: Chao's estimator
    ``(n - 1) / n * f1^2 / (2 f2)`` (Chao, 1987, *Estimating the population size for
    capture-recapture data with unequal catchability*, Biometrics 43), which holds when some
    objects are much harder to see than others, as the independent model does not. ``n`` of 1
    has no estimate (0)."""
    posterior = np.asarray(posterior, dtype=np.float64)
    drawers = np.asarray(drawers, dtype=np.int64)
    annotators = np.asarray(annotators, dtype=np.int64)
    rates = {}
    for n, items in items_per_count.items():
        if n < 2 or items == 0:
            rates[n] = 0.0
            continue
        here = annotators == n
        f1 = float(posterior[here & (drawers == 1)].sum())
        f2 = float(posterior[here & (drawers == 2)].sum())
        unseen = (n - 1) / n * (f1 * f1 / (2 * f2) if f2 > 0 else f1 * max(f1 - 1, 0) / 2)
        rates[n] = unseen / items
    return rates


def item_all_right(kept: ArrayLike, left_out: ArrayLike, nobody_missed: float) -> float:
    """Probability that an item's output is exactly right: every kept candidate true (posteriors
    ``kept``), every candidate left out false (``left_out``) and nothing missed by everyone."""
    kept = np.asarray(kept, dtype=np.float64)
    left_out = np.asarray(left_out, dtype=np.float64)
    return float(np.prod(kept) * np.prod(1.0 - left_out) * nobody_missed)


def unseen_from_records(
    posterior: ArrayLike,
    pair_candidate: ArrayLike,
    pair_worker: ArrayLike,
    pair_drew: ArrayLike,
    candidate_annotators: ArrayLike,
    *,
    answer_worker: ArrayLike,
    answer_annotators: ArrayLike,
    record_recall: ArrayLike,
) -> dict[int, float]:
    """Objects per item nobody drew, by number of annotators ``n``, from the workers' recall
    over every true object (those a crowd misses too) as their gold records of earlier work
    hold it (NaN: no such record, the worker is left out). On the items of ``n`` annotators, the
    recorded workers drew true objects (posterior-weighted) ``mu sum recall`` times over their
    answers, so true objects per item are ``mu = (true objects they drew) / sum recall`` (a
    Horvitz-Thompson count with known capture probabilities: Horvitz and Thompson, 1952), and
    those nobody drew ``mu`` less the true candidates per item (``posterior``)."""
    posterior = np.asarray(posterior, dtype=np.float64)
    cand = np.asarray(pair_candidate, dtype=np.int64)
    work = np.asarray(pair_worker, dtype=np.int64)
    drew = np.asarray(pair_drew, dtype=bool)
    size = np.asarray(candidate_annotators, dtype=np.int64)
    answer_worker = np.asarray(answer_worker, dtype=np.int64)
    answer_size = np.asarray(answer_annotators, dtype=np.int64)
    recall = np.asarray(record_recall, dtype=np.float64)
    recorded = np.isfinite(recall)
    rates: dict[int, float] = {}
    for n in np.unique(answer_size).tolist():
        expected = float(recall[answer_worker[(answer_size == n) & recorded[answer_worker]]].sum())
        if expected <= 0:
            continue
        mu = float(posterior[cand[drew & recorded[work] & (size[cand] == n)]].sum()) / expected
        items = float((answer_size == n).sum()) / n
        rates[int(n)] = max(mu - float(posterior[size == n].sum()) / items, 0.0)
    return rates
