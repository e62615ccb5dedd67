"""Issue 23 for boxes, spans and masks: confidences that are probabilities of stated events.

The calibration checks drive the task types on the seeded simulated crowds of
``bench/calibration_geometric.py`` (fixed seeds: deterministic, about a second each).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from consolidation.geometric import consolidate_spans, iou_matrix
from labeling.task_types import ObjectAnswers, get_task_type

BENCH = Path(__file__).resolve().parents[2] / "bench"
SIZE = {"width": 200, "height": 200}


@pytest.fixture(scope="module")
def simulation():
    sys.path.insert(0, str(BENCH))
    try:
        import calibration_geometric
    finally:
        sys.path.remove(str(BENCH))
    return calibration_geometric


def _box(label: str, left: float, top: float) -> dict:
    return {"label": label, "left": left, "top": top, "width": 30, "height": 30}


def _image(*answers: list[dict]) -> tuple[dict, ...]:
    return tuple({"boxes": boxes, "image_size": SIZE} for boxes in answers)


def test_an_image_with_a_missed_object_gets_a_lower_confidence_than_one_with_none_missed():
    # given: a job of images with two dogs each; on most, all three workers draw both; on the
    # last, two of the three miss the second dog
    both = [_box("dog", 10, 10), _box("dog", 100, 100)]
    complete = _image(both, both, both)
    missed = _image(both, both[:1], both[:1])
    objects = [ObjectAnswers(i, (i % 5, (i + 1) % 5, (i + 2) % 5), complete, {}) for i in range(9)]
    objects.append(ObjectAnswers(9, (0, 1, 2), missed, {}))

    # when
    outcome = get_task_type("bounding_box").consolidate(objects, n_workers=5, labels=["dog"], gold={})

    # then: the missed dog is not output, and lowers the image's confidence
    full, partial = outcome.objects[0], outcome.objects[9]
    assert len(full.result["boxes"]) == 2 and len(partial.result["boxes"]) == 1
    assert partial.confidence < full.confidence


def test_consolidated_spans_are_always_spans_some_worker_drew():
    # given: voting start and end separately would give 0..6, which nobody drew
    start, end = [0, 0, 1, 2], [5, 7, 6, 6]

    # when
    result = consolidate_spans(start, end, [0, 0, 0, 0], [0, 1, 2, 3], worker_quality=np.ones(4))

    # then
    (chosen,) = zip(result.start.tolist(), result.end.tolist(), strict=True)
    assert chosen in set(zip(start, end, strict=True))


@pytest.mark.parametrize("kind", ["bounding_box", "named_entity_recognition"])
@pytest.mark.parametrize("workers", [1, 3])
def test_no_output_object_has_confidence_zero_or_was_drawn_by_nobody(simulation, kind, workers):
    # given: a simulated hard crowd (stray, correlated and missed objects)
    task_type, _, results, _, given = simulation._job(
        kind, crowd="hard", workers=workers, gold=False, before=False, seed=7
    )
    objects = {o.index: o for o in given}

    # then
    checked = 0
    for result in results:
        answers = [task_type._parse(answer, simulation.LABELS) for answer in objects[result.index].answers]
        if kind == "bounding_box":
            for box in result.result["boxes"]:
                assert box["confidence"] > 0
                corners = [[box[key] for key in ("left", "top", "width", "height")]]
                drawn = [iou_matrix(corners, a.corners[a.classes == box["class_id"]]).max(initial=0.0) for a in answers]
                assert max(drawn) >= 0.5  # someone drew it, with that class
                checked += 1
        else:
            drawn = {span for answer in answers for span in answer}
            for entity in result.result["entities"]:
                assert entity["confidence"] > 0
                assert (entity["start"], entity["end"], entity["label"]) in drawn
                checked += 1
        assert 0.0 <= result.confidence <= 1.0
    assert checked > 100


@pytest.mark.parametrize(
    ("kind", "workers", "gold"),
    [("bounding_box", 5, False), ("bounding_box", 3, True), ("named_entity_recognition", 5, True)],
)
def test_object_confidences_are_calibrated_on_a_seeded_crowd(simulation, kind, workers, gold):
    # when: the project's simulated crowd, one job of 150 items
    rows = simulation._row_pair(kind, crowd="project", workers=workers, gold=gold, before=False, seeds=[0])

    # then: the objects' ECE (10 bins) within issue 23's target, and better than before
    assert rows[0].confidence.size > 300
    assert rows[0].ece <= 0.05
    before = simulation._row_pair(kind, crowd="project", workers=workers, gold=gold, before=True, seeds=[0])
    assert rows[0].ece < before[0].ece


def test_a_worker_with_a_long_good_record_alone_gets_more_confidence_than_a_newcomer():
    # given: the same lone box from a worker with a long good record, and from a newcomer
    task_type = get_task_type("bounding_box")
    objects = [ObjectAnswers(i, (i % 2,), _image([_box("dog", 10 + i, 10)]), {}) for i in range(20)]

    # when
    outcome = task_type.consolidate(objects, n_workers=2, labels=["dog"], gold={}, worker_records={0: (0.8, 300)})

    # then
    proven = [o.result["boxes"][0]["confidence"] for o in outcome.objects if o.index % 2 == 0]
    newcomer = [o.result["boxes"][0]["confidence"] for o in outcome.objects if o.index % 2 == 1]
    assert min(proven) > max(newcomer)


def test_more_agreeing_workers_raise_the_confidence_that_dynamic_redundancy_reads():
    # given: images with one dog every worker drew; some had three workers, some five, and one
    # image where the third worker disagreed
    dog = [_box("dog", 10, 10)]
    objects = [ObjectAnswers(i, tuple(range(i % 2 * 2 + 3)), _image(*[dog] * (i % 2 * 2 + 3)), {}) for i in range(10)]
    objects.append(ObjectAnswers(10, (0, 1, 2), _image(dog, dog, []), {}))

    # when
    outcome = get_task_type("bounding_box").consolidate(objects, n_workers=5, labels=["dog"], gold={})

    # then: five agreeing beat three agreeing, which beat two against one: the order dynamic
    # redundancy (labeling.services.progress) relies on to close or grow a task
    three, five, split = outcome.objects[0].confidence, outcome.objects[1].confidence, outcome.objects[10].confidence
    assert split < three < five
    assert outcome.objects[1].result["boxes"][0]["confidence"] >= outcome.objects[0].result["boxes"][0]["confidence"]


def test_a_near_miss_counts_as_seeing_the_entity():
    # given: a job of texts where three workers mark the same two entities; in one text the
    # third worker marks the first entity one character short, in another they leave it out
    people = [{"label": "person", "start": 0, "end": 5}, {"label": "person", "start": 20, "end": 26}]
    short = [{"label": "person", "start": 0, "end": 4}, people[1]]
    objects = [ObjectAnswers(i, (i % 5, (i + 1) % 5, (i + 2) % 5), ({"entities": people},) * 3, {}) for i in range(12)]
    objects.append(ObjectAnswers(12, (0, 1, 2), ({"entities": people},) * 2 + ({"entities": short},), {}))
    objects.append(ObjectAnswers(13, (0, 1, 2), ({"entities": people},) * 2 + ({"entities": people[1:]},), {}))

    # when
    outcome = get_task_type("named_entity_recognition").consolidate(objects, n_workers=5, labels=["person"], gold={})

    # then: both output the span two workers marked exactly; the near miss says an entity is
    # there, so that span is about as likely as when the third worker saw nothing (the near
    # miss's doubt on the end, a boundary that may be contested, weighs against the left-out
    # text's doubt that anything is there: within 0.01), and near certain
    near, left_out = outcome.objects[12].result["entities"][0], outcome.objects[13].result["entities"][0]
    assert (near["start"], near["end"]) == (left_out["start"], left_out["end"]) == (0, 5)
    assert near["confidence"] == pytest.approx(left_out["confidence"], abs=0.01)
    assert near["confidence"] > 0.95
    assert 0 < outcome.objects[12].confidence < outcome.objects[0].confidence


def test_a_lone_mask_is_as_good_as_its_workers_record():
    # given: the same lone mask (a small square on background) from a worker with a long record
    # of 99% of pixels right, and from one whose record is 90%
    from labeling.task_types.masks_png import encode_mask_base64

    mask = np.zeros((20, 20), dtype=np.uint8)
    mask[5:9, 5:9] = 1
    answer = {"mask": encode_mask_base64(mask)}
    objects = [ObjectAnswers(i, (i % 2,), (answer,), {}) for i in range(4)]

    # when
    outcome = get_task_type("semantic_segmentation").consolidate(
        objects, n_workers=2, labels=["BACKGROUND", "square"], gold={}, worker_records={0: (0.99, 300), 1: (0.9, 300)}
    )

    # then: both below a certain 1, the careful worker's higher, the small square below background
    careful, careless = outcome.objects[0].result, outcome.objects[1].result
    assert 0 < careless["confidence"] < careful["confidence"] < 1
    assert careful["class_confidence"][1] < careful["class_confidence"][0]


def test_two_agreeing_masks_are_only_as_sure_as_their_workers_records():
    # given: two workers draw the same small square; in one job both have long records of 99%
    # of pixels right, in the other of 85% (they may well share an outline drawn off)
    from labeling.task_types.masks_png import encode_mask_base64

    mask = np.zeros((20, 20), dtype=np.uint8)
    mask[5:9, 5:9] = 1
    answer = {"mask": encode_mask_base64(mask)}
    objects = [ObjectAnswers(i, (0, 1), (answer, answer), {}) for i in range(4)]
    segmentation = get_task_type("semantic_segmentation")

    # when
    def square_confidence(record: float) -> float:
        outcome = segmentation.consolidate(
            objects,
            n_workers=2,
            labels=["BACKGROUND", "square"],
            gold={},
            worker_records={0: (record, 300), 1: (record, 300)},
        )
        return outcome.objects[0].result["class_confidence"][1]

    # then: agreement alone would say near 1; the poor records pull the square well below
    careful, careless = square_confidence(0.99), square_confidence(0.85)
    assert careless < careful < 1
    assert careless < 0.8


def test_gold_that_shows_objects_everyone_missed_lowers_the_other_images_confidence():
    # given: two jobs of images where all three workers draw the same one dog; the six gold
    # images show that dog alone in the first job, and in the second a second dog nobody drew
    dog = [_box("dog", 10, 10)]
    objects = [ObjectAnswers(i, (i % 5, (i + 1) % 5, (i + 2) % 5), _image(dog, dog, dog), {}) for i in range(20)]
    alone = {i: {"boxes": dog, "image_size": SIZE} for i in range(6)}
    with_missed = {i: {"boxes": [*dog, _box("dog", 150, 150)], "image_size": SIZE} for i in range(6)}
    boxes = get_task_type("bounding_box")

    # when
    seen_all = boxes.consolidate(objects, n_workers=5, labels=["dog"], gold=alone)
    missed_some = boxes.consolidate(objects, n_workers=5, labels=["dog"], gold=with_missed)

    # then: the same answers, but where every gold image had a dog nobody drew, the others are
    # unlikely to be all right (a Poisson rate of such dogs near one an image: e^-1 = 0.37)
    for index in range(6, 20):
        assert seen_all.objects[index].confidence > 0.9
        assert missed_some.objects[index].confidence < 0.7


def test_a_boxes_gold_tally_counts_found_exact_and_stray_objects():
    # given: a truth of a dog and a cat; a worker who boxes the dog right, the cat as a dog
    # (there, wrong class) and a stray box where nothing is
    boxes = get_task_type("bounding_box")
    labels = ["dog", "cat"]
    truth = boxes._parse({"boxes": [_box("dog", 10, 10), _box("cat", 100, 100)], "image_size": SIZE}, labels)
    answer = boxes._parse(
        {"boxes": [_box("dog", 11, 10), _box("dog", 100, 101), _box("cat", 160, 20)], "image_size": SIZE}, labels
    )

    # when
    (tally,) = boxes._gold_tallies([answer], truth, labels)

    # then: both objects found, one exactly; of three boxes drawn one stray, two not exact
    assert (tally.items, tally.objects, tally.found, tally.found_exact) == (1, 2, 2, 1)
    assert (tally.drawn, tally.drawn_stray, tally.drawn_inexact) == (3, 1, 2)


def test_a_boxes_gold_tally_counts_the_strays_another_annotator_drew_alike_as_decoys():
    # given: a truth of one dog; three annotators box it; the first two also box the same
    # thing where no dog is (a decoy), the second a lone stray elsewhere, and the third a near
    # miss of the dog (a stray against the truth, but no false object of its own)
    boxes = get_task_type("bounding_box")
    labels = ["dog", "cat"]
    truth = boxes._parse({"boxes": [_box("dog", 10, 10)], "image_size": SIZE}, labels)
    answers = [
        [_box("dog", 10, 10), _box("cat", 120, 120)],
        [_box("dog", 11, 10), _box("dog", 122, 121), _box("cat", 60, 150)],
        [_box("dog", 10, 10), _box("dog", 28, 24)],
    ]

    # when
    parsed = [boxes._parse({"boxes": answer, "image_size": SIZE}, labels) for answer in answers]
    tallies = boxes._gold_tallies(parsed, truth, labels)

    # then: the decoy is counted for the two who drew it, each seen by one other of two; the
    # lone stray and the near miss are strays but not shared
    assert [(t.drawn_stray, t.drawn_shared, t.shared_by, t.peers) for t in tallies] == [
        (1, 1, 1, 2),
        (2, 1, 1, 2),
        (1, 0, 0, 2),
    ]


def test_a_masks_gold_tally_counts_the_lean_of_the_outline():
    from labeling.task_types.masks_png import encode_mask_base64

    # given: a truth of a 4x4 square (12 boundary pixels) and a worker's 6x6 square around it
    segmentation = get_task_type("semantic_segmentation")
    labels = ["BACKGROUND", "square"]
    truth, drawn = np.zeros((12, 12), dtype=np.uint8), np.zeros((12, 12), dtype=np.uint8)
    truth[4:8, 4:8], drawn[3:9, 3:9] = 1, 1

    # when
    tally = segmentation._gold_tally(
        segmentation._parse({"mask": encode_mask_base64(drawn)}, labels),
        segmentation._parse({"mask": encode_mask_base64(truth)}, labels),
        labels,
    )

    # then: 20 pixels too many over a 12-pixel boundary: a lean of 5/3 pixels outwards
    assert (tally.items, tally.area_error, tally.boundary) == (1, 20.0, 12.0)


def test_a_consolidation_counts_each_workers_answers_on_gold():
    # given: two gold images of one dog; worker 0 boxes it, worker 1 misses it and boxes a
    # stray; a third image is not gold
    dog, stray = [_box("dog", 10, 10)], [_box("dog", 150, 150)]
    objects = [ObjectAnswers(i, (0, 1), _image(dog, stray), {}) for i in range(3)]
    gold = {i: {"boxes": dog, "image_size": SIZE} for i in range(2)}

    # when
    outcome = get_task_type("bounding_box").consolidate(objects, n_workers=2, labels=["dog"], gold=gold)

    # then: per worker, the two gold images counted against their truth
    assert (outcome.worker_gold[0].items, outcome.worker_gold[0].found, outcome.worker_gold[0].drawn_stray) == (2, 2, 0)
    assert (outcome.worker_gold[1].items, outcome.worker_gold[1].found, outcome.worker_gold[1].drawn_stray) == (2, 0, 2)


def test_gold_records_of_workers_who_miss_objects_lower_an_agreeing_crowds_confidence():
    # given: images where all three workers draw the same one dog; in one job the workers'
    # gold records say they find every object and draw no strays, in the other that each
    # finds half of the objects (so an image holds about two, one of which nobody drew)
    from labeling.task_types import GoldTally

    dog = [_box("dog", 10, 10)]
    objects = [ObjectAnswers(i, (i % 5, (i + 1) % 5, (i + 2) % 5), _image(dog, dog, dog), {}) for i in range(20)]
    boxes = get_task_type("bounding_box")

    def confidences(found: int) -> list[float]:
        records = {w: GoldTally(items=100, objects=200, found=found, drawn=found) for w in range(5)}
        outcome = boxes.consolidate(objects, n_workers=5, labels=["dog"], gold={}, worker_gold_records=records)
        return [result.confidence for result in outcome.objects]

    # when
    finders, missers = confidences(200), confidences(100)

    # then: the same answers, but the missers' images are unlikely to be all right (about one
    # dog an image nobody drew: e^-1 = 0.37)
    assert min(finders) > 0.9
    assert max(missers) < 0.5


def test_under_dynamic_redundancy_the_gold_records_do_not_count_objects_nobody_drew():
    # given: the missers' records of the test above (each worker finds half of the objects), and
    # a job whose images got different numbers of answers (as dynamic redundancy leaves them:
    # three workers on most, a fourth on a few), all drawing the same one dog
    from labeling.task_types import GoldTally

    dog = [_box("dog", 10, 10)]
    three = [ObjectAnswers(i, (i % 5, (i + 1) % 5, (i + 2) % 5), _image(dog, dog, dog), {}) for i in range(20)]
    four = [ObjectAnswers(20 + i, (i, i + 1, i + 2, i + 3), _image(dog, dog, dog, dog), {}) for i in range(2)]
    records = {w: GoldTally(items=100, objects=200, found=100, drawn=100) for w in range(5)}
    boxes = get_task_type("bounding_box")

    def confidences(objects) -> list[float]:
        outcome = boxes.consolidate(objects, n_workers=5, labels=["dog"], gold={}, worker_gold_records=records)
        return [result.confidence for result in outcome.objects if result.index < 20]

    # when
    uniform, mixed = confidences(three), confidences(three + four)

    # then: where every image has three annotators the records count about one dog an image
    # nobody drew; where the numbers differ, each number's images were chosen by their answers,
    # and the count is left to the model, which sees the agreement
    assert max(uniform) < 0.5
    assert min(mixed) > max(uniform) + 0.3


def test_a_lone_mask_from_a_worker_whose_gold_shows_them_dilating_gets_a_lower_confidence():
    # given: two workers with the same 95% record each mask a small square alone; the gold of
    # one shows outlines drawn a pixel too large, of the other a pixel too small
    from labeling.task_types import GoldTally
    from labeling.task_types.masks_png import encode_mask_base64

    mask = np.zeros((20, 20), dtype=np.uint8)
    mask[5:9, 5:9] = 1
    answer = {"mask": encode_mask_base64(mask)}
    objects = [ObjectAnswers(i, (i % 2,), (answer,), {}) for i in range(4)]

    # when
    outcome = get_task_type("semantic_segmentation").consolidate(
        objects,
        n_workers=2,
        labels=["BACKGROUND", "square"],
        gold={},
        worker_records={0: (0.95, 300), 1: (0.95, 300)},
        worker_gold_records={
            0: GoldTally(items=10, area_error=120.0, boundary=120.0),
            1: GoldTally(items=10, area_error=-120.0, boundary=120.0),
        },
    )

    # then: the dilating worker's square is the truth and more, so less of it is right
    dilating, eroding = outcome.objects[0].result, outcome.objects[1].result
    assert 0 < dilating["class_confidence"][1] < eroding["class_confidence"][1] < 1


def test_with_one_or_two_answers_gold_records_count_with_gold_in_the_job_or_without():
    # given: single-answer images of one dog by two workers, and gold records saying each finds
    # only half of the objects exactly (the F1 records say 0.9)
    from labeling.task_types import GoldTally

    dog = [_box("dog", 10, 10)]
    objects = [ObjectAnswers(i, (i % 2,), _image(dog), {}) for i in range(20)]
    records = {w: (0.9 * 0.85, 300) for w in range(2)}
    gold_records = {w: GoldTally(items=100, objects=200, found=200, found_exact=100, drawn=100) for w in range(2)}
    boxes = get_task_type("bounding_box")

    def confidences(gold: dict, with_gold_records: bool) -> list[float]:
        outcome = boxes.consolidate(
            objects,
            n_workers=2,
            labels=["dog"],
            gold=gold,
            worker_records=records,
            worker_gold_records=gold_records if with_gold_records else None,
        )
        return [result.confidence for result in outcome.objects if result.index not in gold]

    # when / then: without gold in the job and with gold (two images) alike, the gold records'
    # low exact recall lowers the confidences the F1 records alone give
    assert max(confidences({}, True)) < min(confidences({}, False))
    gold = {i: {"boxes": dog, "image_size": SIZE} for i in range(2)}
    assert max(confidences(gold, True)) < min(confidences(gold, False))
