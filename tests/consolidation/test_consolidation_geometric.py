import numpy as np
import pytest

from consolidation.geometric import consolidate_boxes, consolidate_masks, consolidate_spans, iou_matrix


def test_iou_by_hand():
    # given two 10x10 boxes overlapping on a 5x10 strip
    # when
    iou = iou_matrix([[0, 0, 10, 10]], [[5, 0, 10, 10], [20, 20, 1, 1]])
    # then: 50 / 150, and no overlap
    assert iou.tolist() == [[pytest.approx(1 / 3), 0.0]]


def test_boxes_are_matched_averaged_and_strays_dropped():
    # given three workers drawing one object, one of them also a stray box
    boxes = [[10, 10, 20, 20], [12, 10, 20, 20], [14, 10, 20, 20], [100, 100, 5, 5]]
    worker = [0, 1, 2, 2]
    label = [3, 3, 1, 3]
    # when: equal weights, so the average is plain
    result = consolidate_boxes(boxes, worker, label, worker_quality=[1.0, 1.0, 1.0])
    # then
    assert result.boxes.tolist() == [[12.0, 10.0, 20.0, 20.0]]
    assert result.labels.tolist() == [3]
    assert result.support.tolist() == [1.0]
    assert 0.8 < result.confidence[0] < 1.0


def test_boxes_quality_weighting_and_silent_annotators():
    # given two workers who drew a box and two who answered "nothing here"
    boxes = [[0, 0, 10, 10], [2, 0, 10, 10]]
    # when
    kept = consolidate_boxes(boxes, [0, 1], annotators=[0, 1, 2, 3], worker_quality=[3, 1, 1, 1])
    dropped = consolidate_boxes(boxes, [0, 1], annotators=[0, 1, 2, 3], worker_quality=[1, 1, 1, 1], min_support=0.6)
    # then: the trusted worker pulls the box 3:1 and carries the support
    assert kept.boxes.tolist() == [[0.5, 0.0, 10.0, 10.0]]
    assert kept.support.tolist() == [pytest.approx(4 / 6)]
    assert dropped.boxes.shape == (0, 4)


def test_boxes_estimated_quality_down_weights_a_sloppy_worker():
    # given four careful workers and one who draws far off and adds junk
    boxes = [[0, 0, 10, 10]] * 4 + [[4, 4, 10, 10], [50, 50, 3, 3]]
    worker = [0, 1, 2, 3, 4, 4]
    # when
    result = consolidate_boxes(boxes, worker)
    # then
    assert result.worker_quality[4] < result.worker_quality[0]
    assert result.boxes.shape == (1, 4)
    assert np.abs(result.boxes[0] - [0, 0, 10, 10]).max() < 0.5


def test_empty_boxes():
    result = consolidate_boxes(np.zeros((0, 4)), [], annotators=[0, 1])
    assert result.boxes.shape == (0, 4)
    with pytest.raises(ValueError, match="non-negative width and height"):
        consolidate_boxes([[0, 0, -1, 3]], [0])


def test_spans_cluster_by_overlap_and_vote():
    # given three workers marking one entity with a boundary and a label disagreement,
    # and one worker marking a second entity alone
    start = [0, 0, 1, 10]
    end = [5, 5, 5, 12]
    label = [1, 1, 2, 2]
    worker = [0, 1, 2, 0]
    # when
    result = consolidate_spans(start, end, label, worker, worker_quality=[1.0, 1.0, 1.0])
    # then: boundaries and label by majority; the lone span is dropped (support 1/3)
    assert result.start.tolist() == [0]
    assert result.end.tolist() == [5]
    assert result.labels.tolist() == [1]
    assert result.support.tolist() == [1.0]
    assert result.confidence.tolist() == [pytest.approx(2 / 3)]


def test_spans_validation():
    with pytest.raises(ValueError, match="end > start"):
        consolidate_spans([3], [3], [0], [0])


def test_masks_weighted_pixel_vote():
    # given three 2x2 masks
    masks = np.array([[[0, 1], [1, 1]], [[0, 1], [0, 1]], [[1, 1], [1, 0]]])
    # when: plain vote (equal accuracies) and a vote trusting the last worker
    plain = consolidate_masks(masks, worker_accuracy=[0.8, 0.8, 0.8])
    trusting = consolidate_masks(masks, worker_accuracy=[0.6, 0.6, 0.99])
    # then
    assert plain.mask.tolist() == [[0, 1], [1, 1]]
    # pixel probability: an even mix of the one-coin posterior (w = log(4) for every worker with
    # p = 0.8 and K = 2, so 2 against 1 gives 4/5 and 3 against 0 gives 64/65) and the vote share
    two_of_three, three_of_three = (4 / 5 + 2 / 3) / 2, (64 / 65 + 1) / 2
    assert plain.confidence.tolist() == [
        [pytest.approx(two_of_three), pytest.approx(three_of_three)],
        [pytest.approx(two_of_three)] * 2,
    ]
    assert trusting.mask.tolist() == [[1, 1], [1, 0]]
    # expected IoU of class 0 (its one pixel at two_of_three; the other three pixels give it
    # 1 - their probability of class 1): E[I] / (|region| + sum of P(0) - E[I])
    outside_0 = (1 - three_of_three) + 2 * (1 - two_of_three)
    inside_1 = 2 * two_of_three + three_of_three
    assert plain.class_confidence.tolist() == [
        pytest.approx(two_of_three / (1 + outside_0)),
        pytest.approx(inside_1 / (3 + (1 - two_of_three))),
    ]


def test_masks_validation():
    with pytest.raises(ValueError, match="non-empty"):
        consolidate_masks(np.zeros((0, 2, 2), dtype=int))
    with pytest.raises(ValueError, match="below n_classes=2"):
        consolidate_masks(np.array([[[0, 3]]]), n_classes=2)


def test_reading_fit_the_more_members_behind_the_chosen_reading_the_likelier_it_is_exact():
    # given: 60 real clusters of three members each; in 20 all three give the chosen reading,
    # in 20 two do and one gives another, in 20 one does and two give two other readings
    from consolidation.geometric.reading import reading_fit

    pair_reading, pair_worker, reading_cluster, chosen = [], [], [], []
    for cluster in range(60):
        groups = [[0, 1, 2]] if cluster < 20 else [[0, 1], [2]] if cluster < 40 else [[0], [1], [2]]
        chosen.append(len(reading_cluster))
        for group in groups:
            for worker in group:
                pair_reading.append(len(reading_cluster))
                pair_worker.append(worker)
            reading_cluster.append(cluster)

    # when
    fit = reading_fit(pair_reading, pair_worker, reading_cluster, chosen, n_workers=3, real=np.ones(60), alternatives=4)

    # then
    unanimous, majority, alone = fit.exact[0], fit.exact[20], fit.exact[40]
    assert 1.0 > unanimous > majority > 0.5 > alone > 0.0
    assert fit.alternatives == 4.0
    # worker 2 is the one outvoted: the least exact
    assert fit.exactness[2] < min(fit.exactness[0], fit.exactness[1]) < 1.0


def test_reading_fit_known_clusters_keep_their_truth():
    from consolidation.geometric.reading import reading_fit

    # given: two one-reading clusters, the first known right, the second known wrong
    fit = reading_fit([0, 1], [0, 1], [0, 1], [0, 1], n_workers=2, real=[1.0, 1.0], known=[1.0, 0.0], alternatives=2)

    # then: written at their truth, the model's own view kept apart
    assert fit.exact.tolist() == [1.0, 0.0]
    assert 0.0 < fit.model_exact[1] < 1.0


def test_detection_fit_finds_hard_objects_and_counts_them_among_the_missed():
    from consolidation.geometric.detection import detection_fit, missed_by_all

    # given: 400 items of four annotators; each holds an easy object all four draw and, in half of
    # them, a hard one only one of the four draws (who is drawn in turn); the first 100 items are
    # gold, so those lone objects are known to be true
    pair_candidate, pair_worker, pair_drew, known = [], [], [], []
    candidate = 0
    for item in range(400):
        for pattern in ([1, 1, 1, 1], [int(w == item % 4) for w in range(4)]) if item % 2 else ([1, 1, 1, 1],):
            for worker, drew in enumerate(pattern):
                pair_candidate.append(candidate)
                pair_worker.append(worker)
                pair_drew.append(bool(drew))
            known.append(1.0 if item < 100 else np.nan)
            candidate += 1
    answer_item = np.repeat(np.arange(400), 4)
    answer_worker = np.tile(np.arange(4), 400)

    # when
    mixed = detection_fit(
        pair_candidate,
        pair_worker,
        pair_drew,
        n_candidates=candidate,
        answer_item=answer_item,
        answer_worker=answer_worker,
        n_workers=4,
        known=known,
    )
    single = detection_fit(
        pair_candidate,
        pair_worker,
        pair_drew,
        n_candidates=candidate,
        answer_item=answer_item,
        answer_worker=answer_worker,
        n_workers=4,
        known=known,
        mixture=False,
    )

    # then: the mixture sees a share of objects that are hard to see, so it expects more objects
    # to go undrawn by all four than a model where every object is alike
    assert mixed.hard_share > 0.1 and mixed.hard_scale < 0.6
    assert missed_by_all(mixed, np.arange(4)) < missed_by_all(single, np.arange(4))


def test_gold_records_that_miss_more_than_the_job_shows_raise_the_share_of_hard_objects():
    from consolidation.geometric.detection import detection_fit, missed_by_all

    # given: 300 items of five annotators of recall 0.9; each holds 3 true objects on average,
    # 40% of them hard (seen at 0.3 of the recall), and each annotator draws 0.3 strays an item;
    # every worker's gold record of earlier work shows their recall over all true objects,
    # 0.9 x (0.6 + 0.4 x 0.3) = 0.648, and their 0.3 strays an item
    rng = np.random.default_rng(5)
    pair_candidate, pair_worker, pair_drew, is_true = [], [], [], []
    for _ in range(300):
        patterns = [
            (rng.random(5) < 0.9 * (0.3 if rng.random() < 0.4 else 1.0)).astype(int) for _ in range(rng.poisson(3))
        ]
        patterns = [pattern for pattern in patterns if pattern.any()]
        true_count = len(patterns)
        for worker in range(5):
            patterns += [np.eye(5, dtype=int)[worker]] * int(rng.poisson(0.3))
        for position, pattern in enumerate(patterns):
            for worker, drew in enumerate(pattern.tolist()):
                pair_candidate.append(len(is_true))
                pair_worker.append(worker)
                pair_drew.append(bool(drew))
            is_true.append(position < true_count)
    n_candidates = len(is_true)
    common = {
        "n_candidates": n_candidates,
        "answer_item": np.repeat(np.arange(300), 5),
        "answer_worker": np.tile(np.arange(5), 300),
        "n_workers": 5,
        "record_precision": np.full(5, 0.85),
        "record_recall": np.full(5, 0.648),
        "record_answers": np.full(5, 60.0),
        "record_false_rate": np.full(5, 0.3),
    }

    # when: the records' objects as data of the detectability mixture, and (as before) their
    # recall only divided by the share of objects seen
    pooled = detection_fit(pair_candidate, pair_worker, pair_drew, **common)
    divided = detection_fit(pair_candidate, pair_worker, pair_drew, **common, record_mixture=False)

    # then: the misses the records show are hard objects, so more objects are hard, a lone draw
    # is likelier a true object (as it is: a third of them here) and more objects go undrawn
    lone = np.bincount(pair_candidate, weights=pair_drew, minlength=n_candidates) == 1
    assert pooled.hard_share > divided.hard_share + 0.1
    truth = np.asarray(is_true)[lone].mean()
    assert abs(pooled.posterior[lone].mean() - truth) < abs(divided.posterior[lone].mean() - truth)
    assert missed_by_all(pooled, np.arange(5)) < missed_by_all(divided, np.arange(5))


def test_boundary_expected_iou_by_hand():
    from consolidation.geometric.masks import boundary_expected_iou

    # given: a 10x10 mask, background with a 4x4 square of class 1 in a corner: 7 of the
    # square's pixels and 8 background ones touch the other class (15 boundary pixels)
    mask = np.zeros((10, 10), dtype=np.int64)
    mask[:4, :4] = 1

    # when: a worker who gets 95 pixels in 100 right (5 wrong, along the boundary)
    iou = boundary_expected_iou(mask, n_classes=3, pixel_accuracy=0.95)

    # then: the square gets 5 x 7/15 wrong pixels each way, the background 5 x 8/15
    assert iou[1] == pytest.approx((16 - 5 * 7 / 15) / (16 + 5 * 7 / 15))
    assert iou[0] == pytest.approx((84 - 5 * 8 / 15) / (84 + 5 * 8 / 15))
    assert np.isnan(iou[2])
    # the small region loses more of its IoU than the large one
    assert iou[1] < iou[0] < 1.0


def test_boundary_expected_iou_with_a_known_lean_by_hand():
    from consolidation.geometric.masks import boundary_expected_iou

    # given: the same 10x10 mask (a 4x4 square with 7 of the 15 boundary pixels: 5 x 7/15 = 7/3
    # wrong pixels each way by default), and workers whose gold says they draw objects a third
    # of a pixel too large (7/3 of the square's wrong pixels one way) or too small
    mask = np.zeros((10, 10), dtype=np.int64)
    mask[:4, :4] = 1
    side = 5 * 7 / 15
    lean = 7 / 3  # 1/3 pixel x 7 boundary pixels

    # when
    dilating = boundary_expected_iou(mask, n_classes=2, pixel_accuracy=0.95, boundary_shift=1 / 3)
    eroding = boundary_expected_iou(mask, n_classes=2, pixel_accuracy=0.95, boundary_shift=-1 / 3)
    even = boundary_expected_iou(mask, n_classes=2, pixel_accuracy=0.95)

    # then: of the square's 2 x 7/3 wrong pixels, the lean's 7/3 go one way and the rest split
    # evenly: a dilating worker's drawn square holds 7/3 + 7/6 pixels outside the truth and
    # misses 7/6; an eroding one's the reverse. Of the same 16 pixels drawn, the dilating
    # worker's truth is the smaller square, so less of what they drew is right
    assert dilating[1] == pytest.approx((16 - (side - lean / 2 + lean)) / (16 + side - lean / 2))
    assert eroding[1] == pytest.approx((16 - (side - lean / 2)) / (16 + side - lean / 2 + lean))
    assert dilating[1] < even[1] < eroding[1]
    # the background keeps the even split
    assert dilating[0] == pytest.approx(even[0]) and eroding[0] == pytest.approx(even[0])


def test_unseen_from_records_by_hand():
    from consolidation.geometric.detection import unseen_from_records

    # given: two items of three annotators (workers 0, 1, 2), each with one object all three
    # drew (certainly true) and one stray worker 0 drew (certainly false); workers 0 and 1 have
    # gold records of recall 0.5, worker 2 none
    pair_candidate = np.repeat(np.arange(4), 3)
    pair_worker = np.tile([0, 1, 2], 4)
    pair_drew = np.array([1, 1, 1, 1, 0, 0] * 2, dtype=bool)
    posterior = np.array([1.0, 0.0, 1.0, 0.0])

    # when
    rates = unseen_from_records(
        posterior,
        pair_candidate,
        pair_worker,
        pair_drew,
        np.full(4, 3),
        answer_worker=np.tile([0, 1, 2], 2),
        answer_annotators=np.full(6, 3),
        record_recall=np.array([0.5, 0.5, np.nan]),
    )

    # then: workers 0 and 1 drew 4 true objects over 4 answers of recall 0.5: 2 true objects an
    # item, 1 of which nobody drew
    assert rates == {3: pytest.approx(1.0)}


def test_scattered_pixels_count_as_themselves_and_leave_the_boundaries_the_rest():
    from consolidation.geometric.masks import boundary_expected_iou, scattered_pixels

    # given: the 10x10 mask with a 4x4 square of class 1 (16 pixels; 7 of its pixels and 8 of
    # the background's on the 15-pixel boundary), plus two lone class-1 pixels in the background
    # and one lone background pixel inside the square: three scattered pixels
    mask = np.zeros((10, 10), dtype=np.int64)
    mask[:4, :4] = 1
    mask[7, 7] = mask[8, 2] = 1
    mask[1, 1] = 0

    # when: a worker who gets 95 pixels in 100 right
    scattered = scattered_pixels(mask, n_classes=2)
    iou = boundary_expected_iou(mask, n_classes=2, pixel_accuracy=0.95)

    # then: the three are counted as they lie (the two lone ones outside the square, the hole
    # missing from it), and the other 2 wrong pixels go along the square's boundary, 2 x 7/15
    # each way; the square is whole again (16 pixels) once its hole is filled
    assert scattered == 3
    side = 2 * 7 / 15
    assert iou[1] == pytest.approx((16 - side - 1) / (16 + side + 2))
    # a vote of masks says how many of the record's wrong pixels were scattered: none here, so
    # all 5 go along the boundary and the lone pixels still count
    voted = boundary_expected_iou(mask, n_classes=2, pixel_accuracy=0.95, scattered_errors=0.0)
    assert voted[1] == pytest.approx((16 - 5 * 7 / 15 - 1) / (16 + 5 * 7 / 15 + 2))


def _candidate_pairs(patterns):
    """The detection model's pairs from each item's candidates, ``(who drew it, is it true)``
    (one nobody drew left out): pair candidate, worker, drew; per candidate its truth and item."""
    pair_candidate, pair_worker, pair_drew, is_true, item_of = [], [], [], [], []
    for item, candidates in enumerate(patterns):
        for drawers, true in candidates:
            if not drawers.any():
                continue
            for worker, drew in enumerate(drawers.tolist()):
                pair_candidate.append(len(is_true))
                pair_worker.append(worker)
                pair_drew.append(drew)
            is_true.append(true)
            item_of.append(item)
    return pair_candidate, pair_worker, pair_drew, np.asarray(is_true), np.asarray(item_of)


def test_decoys_that_gold_shows_lower_the_objects_a_minority_drew():
    from consolidation.geometric.detection import detection_fit

    # given: 300 items of five annotators of recall 0.9, each with 2 true objects on average and
    # half a decoy (which each annotator draws with 0.4) and 0.1 strays per annotator; the first
    # 60 items are gold (their decoys known false, their true objects known true)
    rng = np.random.default_rng(11)
    patterns = []
    for _ in range(300):
        patterns.append([(rng.random(5) < 0.9, True) for _ in range(rng.poisson(2))])
        patterns[-1] += [(rng.random(5) < 0.4, False) for _ in range(rng.poisson(0.5))]
        patterns[-1] += [(np.eye(5, dtype=bool)[w], False) for w in range(5) for _ in range(rng.poisson(0.1))]
    pair_candidate, pair_worker, pair_drew, is_true, item_of = _candidate_pairs(patterns)
    known = np.where(item_of < 60, is_true.astype(np.float64), np.nan)
    common = {
        "n_candidates": len(is_true),
        "answer_item": np.repeat(np.arange(300), 5),
        "answer_worker": np.tile(np.arange(5), 300),
        "n_workers": 5,
        "known": known,
    }

    # when
    with_decoys = detection_fit(pair_candidate, pair_worker, pair_drew, **common, decoys=True)
    without = detection_fit(pair_candidate, pair_worker, pair_drew, **common)

    # then: decoys are found (a decoy only one annotator drew passes for a stray, so their rate
    # is under the truth's), and objects two or three of five drew (true ones or decoys alike)
    # get a probability nearer how often they are true
    assert with_decoys.decoy_rate > 0.1 and without.decoy_rate == 0.0
    drawers = np.bincount(pair_candidate, weights=pair_drew)
    middle = (drawers >= 2) & (drawers <= 3) & np.isnan(known)
    truth = is_true[middle].mean()
    assert abs(with_decoys.posterior[middle].mean() - truth) < abs(without.posterior[middle].mean() - truth) - 0.05


def _decoy_records(rng, *, workers=20, items=60, peers=3, rate=0.5, draw=0.35):
    """Per worker, gold records' strays drawn alike per item, the others counted, and peers:
    each gold item holds Poisson(rate) decoys, each drawn by every annotator with ``draw``."""
    shared, shared_by = np.zeros(workers), np.zeros(workers)
    for worker in range(workers):
        for _ in range(items):
            for _ in range(rng.poisson(rate)):
                if rng.random() < draw:
                    others = rng.binomial(peers, draw)
                    shared[worker] += others > 0
                    shared_by[worker] += others
    return shared / items, shared_by / items, np.full(workers, float(peers)), np.full(workers, float(items))


def test_decoys_from_records_give_the_rate_and_draw_the_records_were_drawn_at():
    from consolidation.geometric.detection import DECOY_DRAW_PRIOR, decoys_from_records

    # given: 20 workers' records of 60 gold items of 4 annotators, half a decoy an item, each
    # drawn by an annotator with 0.35
    shared, shared_by, peers, items = _decoy_records(np.random.default_rng(5))

    # when
    rate, draw = decoys_from_records(shared, shared_by, peers, items, n_workers=20)

    # then: both near the truth (1,200 items of records)
    assert rate == pytest.approx(0.5, abs=0.15)
    assert draw == pytest.approx(0.35, abs=0.08)
    # records where no stray was drawn alike show no decoys (none without records of peers);
    # records of the wrong length fail
    assert decoys_from_records(np.zeros(20), np.zeros(20), peers, items, n_workers=20) == (0.0, DECOY_DRAW_PRIOR)
    assert decoys_from_records(shared, shared_by, np.zeros(20), items, n_workers=20) is None
    with pytest.raises(ValueError, match="one entry per worker"):
        decoys_from_records(shared[:5], shared_by, peers, items, n_workers=20)


def test_decoys_the_records_show_lower_the_objects_a_minority_drew_in_a_job_without_gold():
    from consolidation.geometric.detection import detection_fit

    # given: 300 items of five annotators of recall 0.9 (40% of the true objects hard, seen at
    # 0.2-0.8 of it), 2 true objects an item, half a decoy (drawn with 0.35 by each) and 0.1
    # strays per annotator; no gold; the annotators' gold records, of earlier items of 4
    rng = np.random.default_rng(12)
    patterns = []
    for _ in range(300):
        seen = [0.9 * (1.0 - rng.uniform(0.2, 0.8) if rng.random() < 0.4 else 1.0) for _ in range(rng.poisson(2))]
        patterns.append([(rng.random(5) < recall, True) for recall in seen])
        patterns[-1] += [(rng.random(5) < 0.35, False) for _ in range(rng.poisson(0.5))]
        patterns[-1] += [(np.eye(5, dtype=bool)[w], False) for w in range(5) for _ in range(rng.poisson(0.1))]
    pair_candidate, pair_worker, pair_drew, is_true, _ = _candidate_pairs(patterns)
    shared, shared_by, peers, items = _decoy_records(rng, workers=5)
    common = {
        "n_candidates": len(is_true),
        "answer_item": np.repeat(np.arange(300), 5),
        "answer_worker": np.tile(np.arange(5), 300),
        "n_workers": 5,
        # gold records as they would read: recall 0.9 x (0.6 + 0.4 x 0.5) over every true
        # object, 0.1 strays an item plus the decoys drawn (0.5 x 0.35)
        "record_precision": np.full(5, 0.72),
        "record_recall": np.full(5, 0.72),
        "record_false_rate": np.full(5, 0.275),
        "record_answers": items,
    }

    # when
    with_records = detection_fit(
        pair_candidate, pair_worker, pair_drew, **common, record_decoys=(shared, shared_by, peers, items)
    )
    without = detection_fit(pair_candidate, pair_worker, pair_drew, **common)

    # then: the records' decoys are in the model, and candidates get a probability nearer how
    # often those drawn by as many annotators are true (without, those two of five drew are
    # under-confident and those three drew over-confident: hard objects and decoys mixed up)
    assert with_records.decoy_rate > 0.2 and without.decoy_rate == 0.0
    drawers = np.bincount(pair_candidate, weights=pair_drew)
    true = is_true.astype(np.float64)

    def error_by_drawers(posterior):
        return sum(abs(posterior[drawers == k].sum() - true[drawers == k].sum()) for k in range(1, 6)) / true.size

    assert error_by_drawers(with_records.posterior) < error_by_drawers(without.posterior) - 0.02


def test_records_that_show_no_strays_drawn_alike_leave_joins_out():
    from consolidation.geometric.detection import detection_fit

    # given: 200 items of three annotators of recall 0.85, 2 true objects an item and 0.3 strays
    # per annotator, which nobody else draws; their gold records, of earlier items of 4, hold no
    # stray another annotator drew alike
    rng = np.random.default_rng(4)
    patterns = []
    for _ in range(200):
        patterns.append([(rng.random(3) < 0.85, True) for _ in range(rng.poisson(2))])
        patterns[-1] += [(np.eye(3, dtype=bool)[w], False) for w in range(3) for _ in range(rng.poisson(0.3))]
    pair_candidate, pair_worker, pair_drew, is_true, _ = _candidate_pairs(patterns)
    common = {
        "n_candidates": len(is_true),
        "answer_item": np.repeat(np.arange(200), 3),
        "answer_worker": np.tile(np.arange(3), 200),
        "n_workers": 3,
    }

    # when
    records = (np.zeros(3), np.zeros(3), np.full(3, 3.0), np.full(3, 60.0))
    with_records = detection_fit(pair_candidate, pair_worker, pair_drew, **common, record_decoys=records)
    without = detection_fit(pair_candidate, pair_worker, pair_drew, **common)

    # then: no decoys and no joins, so objects two of three drew (all true here) are written
    # nearer certain than where the prior's joins stand
    assert with_records.decoy_rate == 0.0 and with_records.join.max() < 1e-3 < without.join.min()
    drawers = np.bincount(pair_candidate, weights=pair_drew)
    pairs = drawers == 2
    assert is_true[pairs].all()
    assert with_records.posterior[pairs].mean() > without.posterior[pairs].mean() + 0.1


def test_readings_split_where_an_object_is_contested_are_written_near_the_odds_of_such_splits():
    from consolidation.geometric.reading import reading_fit

    # given: 600 real clusters of five members of exactness 0.95; in a third of them (contested:
    # an entity with two plausible ends) each member gives a rival reading with 0.35 instead;
    # otherwise a member's miss is one of 8 other readings; the chosen reading is the plurality
    rng = np.random.default_rng(3)
    pair_reading, pair_worker, reading_cluster, chosen, right, split = [], [], [], [], [], []
    for cluster in range(600):
        rival = rng.random() < 1 / 3
        answers = []
        for _ in range(5):
            if rival and rng.random() < 0.35:
                answers.append(1)
            else:
                answers.append(0 if rng.random() < 0.95 else int(rng.integers(2, 10)))
        values, counts = np.unique(answers, return_counts=True)
        first = len(reading_cluster)
        for value in values.tolist():
            for worker, answer in enumerate(answers):
                if answer == value:
                    pair_reading.append(len(reading_cluster))
                    pair_worker.append(worker)
            reading_cluster.append(cluster)
        chosen.append(first + int(np.argmax(counts)))
        right.append(values[int(np.argmax(counts))] == 0)
        split.append(sorted(counts.tolist())[-2:] == [2, 3])
    common = {"n_workers": 5, "real": np.ones(600)}

    # when
    mixed = reading_fit(pair_reading, pair_worker, reading_cluster, chosen, **common)
    one_coin = reading_fit(pair_reading, pair_worker, reading_cluster, chosen, **common, contested=False)

    # then: a three-to-two split is written near how often its majority is right, which the
    # one-coin model (every member exact 0.9 of the time, misses spread) over-states
    split, right = np.asarray(split), np.asarray(right)
    truth = right[split].mean()
    assert mixed.contested_share > 0.1 and mixed.contested_scale < 0.9
    assert abs(mixed.exact[split].mean() - truth) < abs(one_coin.exact[split].mean() - truth) - 0.05
    # and unanimous clusters stay near certain
    assert mixed.exact[~split].mean() > 0.9


def test_hard_objects_seen_at_scales_that_spread_are_counted_where_one_drew_them_and_where_none_did():
    from consolidation.geometric.detection import detection_fit, missed_by_all

    # given: 400 items of five annotators of recall 0.9, 3 true objects an item on average, 40%
    # of them hard and seen at 0.2 to 0.8 of the recall (spread evenly: some drawn by most,
    # some by one in five), and 0.3 strays per annotator; their gold records of earlier work
    # show their recall over every true object, 0.9 x (0.6 + 0.4 x 0.5) = 0.72
    rng = np.random.default_rng(8)
    patterns, undrawn = [], 0
    for _ in range(400):
        seen = [0.9 * (1.0 - rng.uniform(0.2, 0.8) if rng.random() < 0.4 else 1.0) for _ in range(rng.poisson(3))]
        drawn = [rng.random(5) < recall for recall in seen]
        undrawn += sum(not pattern.any() for pattern in drawn)
        patterns.append([(pattern, True) for pattern in drawn if pattern.any()])
        patterns[-1] += [(np.eye(5, dtype=bool)[w], False) for w in range(5) for _ in range(rng.poisson(0.3))]
    pair_candidate, pair_worker, pair_drew, is_true, _ = _candidate_pairs(patterns)

    # when
    fit = detection_fit(
        pair_candidate,
        pair_worker,
        pair_drew,
        n_candidates=len(is_true),
        answer_item=np.repeat(np.arange(400), 5),
        answer_worker=np.tile(np.arange(5), 400),
        n_workers=5,
        record_precision=np.full(5, 0.9),
        record_recall=np.full(5, 0.72),
        record_false_rate=np.full(5, 0.3),
        record_answers=np.full(5, 60.0),
    )

    # then: objects one annotator drew are written near how often they are true (0.13 against
    # 0.16; a single fitted scale of hard objects, at 0.66, wrote 0.04), and the objects
    # nobody drew are counted near the truth (0.21 an item against 0.15; it counted 0.01)
    drawers = np.bincount(pair_candidate, weights=pair_drew)
    lone = drawers == 1
    assert fit.posterior[lone].mean() == pytest.approx(is_true[lone].mean(), abs=0.05)
    assert -np.log(missed_by_all(fit, np.arange(5))) == pytest.approx(undrawn / 400, abs=0.08)


def test_the_fit_stops_within_its_steps_near_its_fixed_point_on_a_large_job():
    from consolidation.geometric.detection import detection_fit

    # given: 3,000 items of three annotators from a pool of 20 (30% sloppy, recall 0.7, the
    # others 0.95), 3 true objects an item and 0.2 strays per annotator, no gold, no records:
    # plain EM's shares of neighbouring scales of detectability drift for hundreds of steps
    rng = np.random.default_rng(21)
    recall = np.where(rng.random(20) < 0.3, 0.7, 0.95)
    patterns, annotators = [], []
    for _ in range(3000):
        chosen = rng.choice(20, size=3, replace=False)
        annotators.append(chosen)
        patterns.append([(rng.random(3) < recall[chosen], True) for _ in range(rng.poisson(3))])
        patterns[-1] += [(np.eye(3, dtype=bool)[w], False) for w in range(3) for _ in range(rng.poisson(0.2))]
    pair_candidate, pair_worker, pair_drew, is_true, item_of = _candidate_pairs(patterns)
    pair_worker = np.asarray(annotators)[item_of[np.asarray(pair_candidate)], pair_worker]
    common = {
        "n_candidates": len(is_true),
        "answer_item": np.repeat(np.arange(3000), 3),
        "answer_worker": np.concatenate(annotators),
        "n_workers": 20,
    }

    # when
    fit = detection_fit(pair_candidate, pair_worker, pair_drew, **common)
    settled = detection_fit(pair_candidate, pair_worker, pair_drew, **common, max_iter=3000, tol=1e-7)

    # then: it stops well before its 200 steps (plain EM ran them all), where a far longer and
    # stricter run (about 1,100 steps) writes the same for objects two or three annotators
    # drew; lone ones stay within 0.1 of it, on the side of the start's share of hard objects
    assert fit.n_iter < 100
    drawers = np.bincount(pair_candidate, weights=pair_drew)
    assert np.abs(fit.posterior - settled.posterior)[drawers >= 2].max() < 0.03
    assert np.abs(fit.posterior - settled.posterior)[drawers == 1].max() < 0.1


def test_gold_items_leave_their_items_out_of_the_objects_nobody_drew_and_must_be_the_jobs():
    from consolidation.geometric.detection import detection_fit

    # given: 200 items of two annotators of recall 0.6, one true object each (drawn by someone
    # or not); the first 100 are gold, their undrawn objects known true candidates drawn by none
    rng = np.random.default_rng(3)
    patterns = [[(rng.random(2) < 0.6, True)] for _ in range(200)]
    pair_candidate, pair_worker, pair_drew, candidate = [], [], [], 0
    known = []
    for item, [(drawers, _)] in enumerate(patterns):
        if item >= 100 and not drawers.any():
            continue
        for worker, drew in enumerate(drawers.tolist()):
            pair_candidate.append(candidate)
            pair_worker.append(worker)
            pair_drew.append(drew)
        known.append(1.0 if item < 100 else np.nan)
        candidate += 1
    common = {
        "n_candidates": candidate,
        "answer_item": np.repeat(np.arange(200), 2),
        "answer_worker": np.tile(np.arange(2), 200),
        "n_workers": 2,
        "known": known,
        "mixture": False,
    }

    # when
    told = detection_fit(pair_candidate, pair_worker, pair_drew, **common, gold_items=np.arange(100))
    untold = detection_fit(pair_candidate, pair_worker, pair_drew, **common)

    # then: one object an item (0.98 told); untold, the gold items' undrawn objects, known
    # candidates, are counted again among those expected undrawn, and the rate runs over (1.05)
    assert told.mu == pytest.approx(1.0, abs=0.05)
    assert abs(told.mu - 1.0) < abs(untold.mu - 1.0) and untold.mu > 1.03
    with pytest.raises(ValueError, match="gold_items"):
        detection_fit(pair_candidate, pair_worker, pair_drew, **common, gold_items=[200])
