"""Calibrated confidences for drawn objects (boxes, spans): a Poisson model over candidates.

A *candidate* is one object some worker drew in an item (a cluster of matching boxes with its
voted label, an exact span). Whether it is a true object is latent. Per item, true objects come
as a Poisson count of rate ``mu``, and each worker who answered the item draws each one with
their own ``recall`` times the object's scale of detectability: one of ``SCALES`` (1 for an easy
object), with ``shares`` fitted (``mixture``). False candidates are *started* by one worker (a
Poisson count of rate ``false_rate[w]`` per item they answer) and each other annotator *joins*
(draws the same false object: a distractor, a wrong boundary many pick) with probability
``join[w]``. So the expected number of true and false candidates per item with a given pattern
``x`` of who drew it are

    true:  mu * sum_g share_g prod_w (scale_g recall)^x (1 - scale_g recall)^(1 - x)
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

Fitted by EM over every candidate of a job at once (the latent origin of a false candidate and
the scale of a true one included), sped up by SQUAREM (``_squarem``), with Beta/Gamma/Dirichlet
pseudo-counts (``PRIOR``, ``SHARES_PRIOR``) so small jobs stay finite:

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
independent given the model), the last factor being ``exp(-mu * sum_g share_g prod_w (1 -
scale_g recall[w]))`` (``missed_by_all``).
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
    "decoy_draw": (2.0, 4.0),
    "decoy_rate": (0.5, 10.0),
}
# Detectability: an object is seen at one of these scales of a worker's recall (1: easy; the
# others: hard to see, small, occluded, ambiguous), with shares fitted on a fixed grid (a
# nonparametric mixture, Lindsay 1983): a crowd's hard objects spread (some seen by most, some
# by one in five), and one fitted scale put too many of them among the objects nobody drew and
# too few among those one annotator drew. Dirichlet pseudo-counts: the easy scale 9, the hard
# ones 1 in all; EM starts from the prior's shares.
SCALES = np.array([1.0, 0.7, 0.4, 0.1])
SHARES_PRIOR = np.array([9.0, 1.0, 1.0, 1.0]) / np.array([1.0, 3.0, 3.0, 3.0])
# SQUAREM's step stays within this many EM steps' length.
MAX_LEAP = 16.0
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
    (drawn or not); the share of true objects seen at each of ``SCALES`` of a worker's recall
    (``shares``); decoys per item and the probability each annotator draws one (0 without
    ``decoys``)."""

    posterior: NDArray[np.float64]
    model_posterior: NDArray[np.float64]
    recall: NDArray[np.float64]
    false_rate: NDArray[np.float64]
    join: NDArray[np.float64]
    mu: float
    n_iter: int
    shares: NDArray[np.float64]
    decoy_rate: float = 0.0
    decoy_draw: float = 0.0

    @property
    def hard_share(self) -> float:
        """The share of true objects hard to see (at a scale below 1)."""
        return float(1.0 - self.shares[0])

    @property
    def hard_scale(self) -> float:
        """The mean scale of recall the hard objects are seen at (1 without any)."""
        hard = float(self.shares[1:].sum())
        return float(self.shares[1:] @ SCALES[1:] / hard) if hard > 0 else 1.0


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
    gold_items: ArrayLike | None = None,
    record_precision: ArrayLike | None = None,
    record_recall: ArrayLike | None = None,
    record_answers: ArrayLike | None = None,
    record_false_rate: ArrayLike | None = None,
    mixture: bool = True,
    record_mixture: bool = True,
    decoys: bool = False,
    record_decoys: tuple[ArrayLike, ArrayLike, ArrayLike, ArrayLike] | None = None,
    max_iter: int = 200,
    tol: float = 1e-3,
) -> DetectionFit:
    """Fit the model on one job's candidates.

    One *pair* per (candidate, worker who answered the candidate's item): ``pair_drew`` says
    whether that worker drew it. ``answer_item`` and ``answer_worker`` list every answer of the
    job (item, worker), candidates or not (items ``0..max``). ``known`` holds per candidate 1.0
    (true), 0.0 (false) or NaN (unknown; the default); ``gold_items`` lists the items whose
    truth is known, where every true object is a candidate (those nobody drew too, known true),
    so none goes undrawn unseen. ``record_*`` are per worker (NaN or 0 answers: no record).
    ``record_false_rate`` is the stray objects the worker drew per item in earlier gold (NaN:
    implied by ``record_precision``); where it is given the record is a gold record and its
    ``record_recall`` is over every true object, hard ones included; an F1 record's (against a
    crowd, which misses what it misses) is read as the recall on easy ones. With
    ``record_mixture`` (and ``mixture``) a gold record's objects are data of the detectability
    mixture, each found or missed and its scale unknown, fitted with the job's candidates: a
    record that misses more than the job's agreement explains raises the share of hard objects
    (EM's estimate from the job alone can settle on a few, the hard ones a worker or two drew
    read as strays). Without, the worker's recall on easy objects is the record's over the share
    of objects seen (``shares @ SCALES``). ``record_decoys`` is per worker ``(shared, shared_by,
    peers, items)`` of their gold record (``decoys_from_records``; NaN or 0 items: none): where
    any is given, the decoys' rate and draw are the records' (decoys on where they show some,
    ``decoys`` or not) and joins are left out.
    """
    cand = np.asarray(pair_candidate, dtype=np.int64)
    work = np.asarray(pair_worker, dtype=np.int64)
    drew = np.asarray(pair_drew, dtype=bool)
    answer_item = np.asarray(answer_item, dtype=np.int64)
    answer_worker = np.asarray(answer_worker, dtype=np.int64)
    if answer_item.shape != answer_worker.shape or answer_item.ndim != 1:
        raise ValueError("answer_item and answer_worker must be one-dimensional and of equal length")
    items = np.bincount(answer_worker, minlength=n_workers).astype(np.float64)
    unseen_possible = np.ones(int(answer_item.max(initial=-1)) + 1)
    gold_at = np.asarray([] if gold_items is None else gold_items, dtype=np.int64)
    if gold_at.size and (gold_at.min() < 0 or gold_at.max() >= unseen_possible.size):
        raise ValueError("gold_items must be items of answer_item")
    unseen_possible[gold_at] = 0.0
    answers = _Answers(answer_item, answer_worker, unseen_possible)
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
        drawn_pairs=(cand[drew], work[drew]),
        undrawn_pairs=(cand[~drew], work[~drew]),
    )
    # Start: a candidate most annotators drew is true.
    q = np.where(is_known, fixed, np.clip(counts.drawn / np.maximum(counts.asked, 1), 0.05, 0.95))
    model = _Model(
        recall=np.full(n_workers, 0.8),
        false_rate=np.full(n_workers, 0.2),
        join=np.full(n_workers, 0.1),
        mu=1.0,
        shares=SHARES_PRIOR / SHARES_PRIOR.sum() if mixture else np.eye(SCALES.size)[0],
        # Decoys get their rates from the first M-step, every false candidate half a decoy.
        decoy_rate=0.0,
        decoy_draw=0.3,
    )
    records = (precision_rec, recall_rec, stray_rec, mass)

    def expectation(at: _Model) -> _Expectation:
        posterior, detectability, decoy = _mixed(_likelihoods(counts, at), at)
        origin = _origin(cand, work, drew, at, n_candidates)
        return _Expectation(np.where(is_known, fixed, posterior), posterior, detectability, decoy, origin)

    def maximisation(previous: _Model, seen: _Expectation) -> _Model:
        return _m_step(
            seen,
            cand,
            work,
            drew,
            counts,
            items,
            answers,
            records,
            previous,
            mixture,
            record_mixture,
            decoys,
            from_records,
        )

    # The first M-step from the start above, then EM sped up by SQUAREM (Varadhan and Roland,
    # 2008, *Simple and globally convergent methods for accelerating the convergence of any EM
    # algorithm*, Scand. J. Stat. 35): two EM steps give a direction and its curvature, one
    # step along them (in log and logit terms, so rates stay positive and probabilities in
    # range) and an EM step from there. The mixture's shares of neighbouring scales move slowly
    # under plain EM (a few hundredths in a hundred steps).
    model = maximisation(
        model,
        _Expectation(
            q,
            q,
            np.tile(model.shares, (n_candidates, 1)),
            np.full(n_candidates, 0.5 if decoys else 0.0),
            _origin(cand, work, drew, model, n_candidates),
        ),
    )
    seen = expectation(model)
    n_iter = 1
    while n_iter < max_iter:
        first = maximisation(model, seen)
        first_seen = expectation(first)
        second = maximisation(first, first_seen)
        n_iter += 2
        leap = _squarem(model, first, second)
        if leap is None:
            model = second
        else:
            model = maximisation(leap, expectation(leap))
            n_iter += 1
        new_seen = expectation(model)
        change = float(np.abs(new_seen.q - seen.q).max(initial=0.0))
        seen = new_seen
        if change < tol:
            break
    q = seen.q
    return DetectionFit(
        posterior=frozen(np.clip(q, 0.0, 1.0)),
        model_posterior=frozen(seen.model_posterior),
        recall=frozen(model.recall),
        false_rate=frozen(model.false_rate),
        join=frozen(model.join),
        mu=model.mu,
        n_iter=n_iter,
        shares=frozen(model.shares),
        decoy_rate=model.decoy_rate,
        decoy_draw=model.decoy_draw,
    )


@dataclass(frozen=True)
class _Model:
    recall: NDArray[np.float64]
    false_rate: NDArray[np.float64]
    join: NDArray[np.float64]
    mu: float
    shares: NDArray[np.float64]
    decoy_rate: float
    decoy_draw: float


_Floats = NDArray[np.float64]
_Ints = NDArray[np.int64]
_Bools = NDArray[np.bool_]


@dataclass(frozen=True)
class _Expectation:
    """The E-step at a model: per candidate the probability that it is true (``q``: gold at
    its truth; ``model_posterior``: gold too as the model sees it), of each scale were it true,
    of a decoy were it false; per pair, the probability that its worker started the candidate
    were it false."""

    q: _Floats
    model_posterior: _Floats
    detectability: _Floats
    decoy: _Floats
    origin: _Floats


@dataclass(frozen=True)
class _Answers:
    """Every answer's item and worker; per item, 1.0 where a true object may have gone undrawn
    by all unseen (0.0 on gold items, whose missed objects are candidates)."""

    item: _Ints
    worker: _Ints
    unseen_possible: _Floats


@dataclass(frozen=True)
class _Counts:
    """What EM does not change: per candidate, how many annotators drew it and how many
    answered its item; per item with answers, its number of annotators; the pairs (candidate,
    worker) where the worker drew the candidate and where they did not."""

    drawn: _Floats
    asked: _Floats
    item_annotators: _Floats
    drawn_pairs: tuple[_Ints, _Ints]
    undrawn_pairs: tuple[_Ints, _Ints]


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
    seen: _Expectation,
    cand: _Ints,
    work: _Ints,
    drew: _Bools,
    counts: _Counts,
    items: _Floats,
    answers: _Answers,
    records: tuple[_Floats, _Floats, _Floats, _Floats],
    previous: _Model,
    mixture: bool,
    record_mixture: bool,
    decoys: bool,
    from_records: tuple[float, float] | None,
) -> _Model:
    precision_rec, recall_rec, stray_rec, mass = records
    q, detectability, decoy, origin = seen.q, seen.detectability, seen.decoy, seen.origin
    n_workers = items.shape[0]
    true_weight = q[cand]
    # A false candidate is a stray (started by one, joined by others) or a decoy.
    false_weight = (1.0 - true_weight) * (1.0 - decoy[cand])
    easy_weight = true_weight * detectability[cand, 0]
    a_r, b_r = PRIOR["recall"]
    a_j, b_j = PRIOR["join"]
    a_f, b_f = PRIOR["false_rate"]
    # Recall from the easy objects (a hard one is seen at its scale of it).
    hits = np.bincount(work, weights=easy_weight * drew, minlength=n_workers)
    trials = np.bincount(work, weights=easy_weight, minlength=n_workers)
    # A gold record's recall (one with a false rate) is over every true object, hard ones
    # included, and the model's recall is on easy ones. With ``record_mixture`` the record's
    # objects are more data of the mixture, each found or missed, its scale unknown (E-step at
    # the previous model: found at ``scale * recall``), so a record that misses more than the
    # job's agreement shows says how many objects are hard; otherwise its recall is divided by
    # the share of objects seen. An F1 record's recall (against a crowd, which misses what it
    # misses) is a pseudo-count on the easy recall.
    gold_record = np.isfinite(stray_rec) & (mass > 0)
    record_objects = np.where(gold_record, mass, 0.0) if record_mixture and mixture else np.zeros(n_workers)
    found_by_scale, record_by_scale = _record_split(
        previous.shares, previous.recall, record_objects * recall_rec, record_objects * (1.0 - recall_rec)
    )
    if record_mixture and mixture:
        f1_mass = np.where(gold_record, 0.0, mass)
        recall = (hits + a_r + found_by_scale[:, 0] + f1_mass * recall_rec) / (
            trials + a_r + b_r + record_by_scale[:, 0] + f1_mass
        )
    else:
        seen_share = float(previous.shares @ SCALES)
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
    shares, mu = _shares_and_rate(
        q, detectability, _undrawn(answers, recall), record_by_scale, previous.shares, mixture=mixture
    )
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
        shares=shares,
        decoy_rate=decoy_rate,
        decoy_draw=decoy_draw,
    )


@dataclass(frozen=True)
class _Likelihood:
    """Per candidate what the mixture's shares and ``mu`` do not change: the log-probability of
    who drew it were it a true object seen at each scale (columns; -inf at scales of no share),
    the log-rate of false candidates drawn so, and the probability that it is a decoy were it
    false."""

    true_by_scale: _Floats
    false: _Floats
    decoy: _Floats


def _likelihoods(counts: _Counts, model: _Model) -> _Likelihood:
    n_candidates = counts.drawn.shape[0]
    (drawn_cand, drawn_work), (undrawn_cand, undrawn_work) = counts.drawn_pairs, counts.undrawn_pairs

    def per_candidate(pairs_cand: _Ints, weights: _Floats) -> _Floats:
        return np.bincount(pairs_cand, weights=weights, minlength=n_candidates).astype(np.float64, copy=False)

    # Per scale: the drawers' log(scale recall), the others' log(1 - scale recall).
    drawn_log = per_candidate(drawn_cand, np.log(model.recall[drawn_work]))
    undrawn_recall = model.recall[undrawn_work]
    true_by_scale = np.full((n_candidates, SCALES.size), -np.inf)
    for g in np.flatnonzero(model.shares > 0):
        undrawn_log = per_candidate(undrawn_cand, np.log1p(-SCALES[g] * undrawn_recall))
        true_by_scale[:, g] = drawn_log + counts.drawn * np.log(SCALES[g]) + undrawn_log
    # false: sum over origins o of false_rate[o] / join[o] * prod_w join-terms
    join = model.join
    starts = per_candidate(drawn_cand, (model.false_rate / join)[drawn_work])
    log_stray = (
        np.log(np.maximum(starts, 1e-300))
        + per_candidate(drawn_cand, np.log(join)[drawn_work])
        + per_candidate(undrawn_cand, np.log1p(-join)[undrawn_work])
    )
    if model.decoy_rate > 0:
        draw = model.decoy_draw
        log_decoy = (
            np.log(model.decoy_rate) + counts.drawn * np.log(draw) + (counts.asked - counts.drawn) * np.log1p(-draw)
        )
        top = np.maximum(log_stray, log_decoy)
        log_false = top + np.log(np.exp(log_stray - top) + np.exp(log_decoy - top))
        return _Likelihood(true_by_scale, log_false, np.exp(log_decoy - log_false))
    return _Likelihood(true_by_scale, log_stray, np.zeros(n_candidates))


def _mixed(likelihood: _Likelihood, model: _Model) -> tuple[_Floats, _Floats, _Floats]:
    """Per candidate: the probability that it is true, that it is seen at each of ``SCALES``
    were it true (one column per scale), and that it is a decoy were it false."""
    with np.errstate(divide="ignore"):
        log_by_scale = likelihood.true_by_scale + np.log(model.shares)
    top = log_by_scale.max(axis=1, keepdims=True)
    log_pattern = top[:, 0] + np.log(np.exp(log_by_scale - top).sum(axis=1))
    detectability = np.exp(log_by_scale - log_pattern[:, None])
    log_true = np.log(model.mu) + log_pattern
    posterior = 1.0 / (1.0 + np.exp(np.clip(likelihood.false - log_true, -700, 700)))
    return posterior, detectability, likelihood.decoy


def _record_split(shares: _Floats, recall: _Floats, found: _Floats, missed: _Floats) -> tuple[_Floats, _Floats]:
    """The records' objects over the scales (E-step at ``shares`` and ``recall``): a found one is
    at a scale with odds ``share * scale``, a missed one ``share * (1 - scale * recall)``. Per
    worker and scale, the found ones and all of them."""
    seen_at = shares * SCALES
    found_by_scale = found[:, None] * (seen_at / max(float(seen_at.sum()), 1e-12))
    unseen_at = shares * (1.0 - SCALES * recall[:, None])
    missed_by_scale = missed[:, None] * unseen_at / np.maximum(unseen_at.sum(axis=1, keepdims=True), 1e-12)
    return found_by_scale, found_by_scale + missed_by_scale


def _undrawn(answers: _Answers, recall: _Floats) -> _Floats:
    """Per item and scale, the probability that an object there goes undrawn by every
    annotator unseen (0 on gold items)."""
    missed = [np.bincount(answers.item, weights=np.log1p(-scale * recall[answers.worker])) for scale in SCALES]
    return np.exp(np.stack(missed, axis=1)) * answers.unseen_possible[:, None]


def _shares_and_rate(
    q: _Floats, detectability: _Floats, undrawn: _Floats, record_by_scale: _Floats, shares: _Floats, *, mixture: bool
) -> tuple[_Floats, float]:
    """The M-step of the mixture's shares (with ``mixture``) and of ``mu``, the rate of true
    objects per item, undrawn ones included (EM for a Poisson count seen through the
    annotators' recalls)."""
    if mixture:
        # Each scale's share among all true ones: drawn (posterior-weighted), undrawn (expected,
        # at the true objects' rate over those drawn) and the records' objects.
        mu_guess = max(float(q.sum()), 1e-9) / max(float(np.sum((1.0 - undrawn) @ shares)), 1e-9)
        by_scale = (
            q @ detectability + mu_guess * shares * undrawn.sum(axis=0) + record_by_scale.sum(axis=0) + SHARES_PRIOR
        )
        shares = by_scale / by_scale.sum()
    return shares, float(q.sum() / max(float(np.sum(1.0 - undrawn @ shares)), 1e-9))


def _squarem(start: _Model, first: _Model, second: _Model) -> _Model | None:
    """SQUAREM's step from ``start`` through two EM steps (``first``, ``second``), in the
    parameters' log (rates, shares) and logit (probabilities) terms; ``None`` where the steps
    stand still. Parameters at 0 (no decoys, scales of no share) stay as ``second`` has them."""
    points = [_unconstrained(model) for model in (start, first, second)]
    free = np.logical_and.reduce([np.isfinite(point) for point in points])
    step = points[1][free] - points[0][free]
    bend = points[2][free] - points[1][free] - step
    bend_size = float(np.linalg.norm(bend))
    if bend_size <= 0:
        return None
    alpha = -min(max(float(np.linalg.norm(step)) / bend_size, 1.0), MAX_LEAP)
    leap = points[2].copy()
    leap[free] = points[0][free] - 2 * alpha * step + alpha * alpha * bend
    return _constrained(leap, second) if np.isfinite(leap[free]).all() else None


def _unconstrained(model: _Model) -> _Floats:
    """The model as one vector: probabilities as logits, rates and shares as logs (-inf at 0)."""
    probabilities = np.concatenate([model.recall, model.join, [model.decoy_draw]])
    positive = np.concatenate([model.false_rate, [model.mu, model.decoy_rate], model.shares])
    with np.errstate(divide="ignore"):
        return np.concatenate([np.log(probabilities) - np.log1p(-probabilities), np.log(positive)])


def _constrained(vector: _Floats, like: _Model) -> _Model:
    """``_unconstrained``'s inverse (``like`` gives the sizes), back within the model's ranges."""
    n = like.recall.size
    probabilities = np.clip(1.0 / (1.0 + np.exp(-vector[: 2 * n + 1])), _CLIP, 1 - _CLIP)
    positive = np.exp(vector[2 * n + 1 :])
    shares = positive[n + 2 :]
    return _Model(
        recall=probabilities[:n],
        false_rate=np.maximum(positive[:n], _CLIP),
        join=probabilities[n : 2 * n],
        mu=max(float(positive[n]), _CLIP),
        shares=shares / shares.sum(),
        decoy_rate=float(positive[n + 1]),
        decoy_draw=float(np.clip(probabilities[2 * n], *DECOY_DRAW_RANGE)),
    )


def missed_by_all(fit: DetectionFit, workers: ArrayLike, unseen_rate: float = 0.0) -> float:
    """Probability that no true object of an item went undrawn by all of ``workers``: the
    larger of the model's rate of such objects and ``unseen_rate`` (``unseen_rates``)."""
    workers = np.asarray(workers, dtype=np.int64)
    undrawn = np.prod(1.0 - SCALES[:, None] * fit.recall[workers][None, :], axis=1)
    rate = max(fit.mu * float(fit.shares @ undrawn), unseen_rate)
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
