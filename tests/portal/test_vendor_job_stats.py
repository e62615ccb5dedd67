"""The job page's selectors (labeling.selectors.progress and .objects) on small hand-checkable jobs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from labeling.models import DataObject
from labeling.portal import svg
from labeling.selectors import objects as job_objects_selectors
from labeling.selectors import progress as job_stats

from .vendor_world import answer_next, approve, make_worker, post_job, subscribe

pytestmark = pytest.mark.django_db


@pytest.fixture
def job(requester, vendor, storage_root):
    subscribe(requester, vendor)
    return post_job(
        requester,
        vendor,
        storage_root,
        lines=[{"source": f"text {i}: cat"} for i in range(5)],
        gold_lines=[{"source": "gold: cat", "species": {"label": "cat"}}],
    )


def test_the_confidence_histogram_bins_labeled_input_objects_and_leaves_gold_and_pending_out(job):
    # given: confidences 0.0, 0.05, 0.55, 0.95, 1.0 on labeled input objects; the gold object at
    # 0.5; one more input object still pending at 0.35 (a provisional confidence)
    for line_number, confidence in enumerate([0.0, 0.05, 0.55, 0.95, 1.0]):
        DataObject.objects.filter(job=job, is_gold=False, line_number=line_number + 1).update(
            confidence=confidence, status=DataObject.Status.LABELED
        )
    DataObject.objects.filter(job=job, is_gold=True).update(confidence=0.5, status=DataObject.Status.LABELED)
    DataObject.objects.filter(job=job, is_gold=False, line_number=5).update(
        confidence=0.35, status=DataObject.Status.PENDING
    )
    # when
    counts, edges = job_objects_selectors.confidence_histogram(job)
    # then: the four labeled input objects, nothing else
    assert counts == [2, 0, 0, 0, 0, 1, 0, 0, 0, 1]
    assert edges == [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]


def test_progress_and_contributions_count_each_workers_answers(requester, vendor, job):
    # given: one answer approved, one submitted, one live; 5 objects + 1 gold, 1 answer each
    worker = make_worker(vendor)
    approve(requester, answer_next(worker, choose=lambda task_input: {"label": "cat"}))
    answer_next(worker, choose=lambda task_input: {"label": "cat"})
    worker.client.post("/api/v1/worker/tasks/next")  # a third, live
    # when
    progress = job_stats.job_progress(job)
    # then
    assert (progress.answers, progress.live, progress.slots, progress.answers_last_hour) == (2, 1, 6, 2)
    assert progress.backlog == 4 and progress.closes_at is not None
    [row] = job_stats.worker_contributions(job)
    assert (row.worker_id, row.answers, row.approved, row.rejected, row.live) == (worker.pk, 2, 1, 0, 1)
    series = job_stats.answers_over_time(job)
    assert len(series) == job_stats.SERIES_POINTS
    assert [value for _, value in series] == sorted(value for _, value in series)
    assert series[-1][1] == 2


def test_a_vendor_lists_every_object_in_task_order_and_a_requester_in_input_order(job):
    vendor_rows, _ = job_objects_selectors.job_objects(job, as_vendor=True)
    requester_rows, _ = job_objects_selectors.job_objects(job)
    assert [row.task_id for row in vendor_rows] == sorted(row.task_id for row in requester_rows)
    assert sum(row.is_gold for row in vendor_rows) == 1
    assert [row.is_gold for row in requester_rows] == [False] * 5 + [True]


def test_a_page_number_past_any_job_is_an_empty_page_not_an_overflow(job):
    rows, has_next = job_objects_selectors.job_objects(job, page=10**30)
    assert (rows, has_next) == ([], False)


def test_results_read_as_label_names(job):
    assert job_objects_selectors.result_summary(job, {"label": 1, "probabilities": [0.2, 0.8]}) == "dog"
    assert job_objects_selectors.result_summary(job, {"present": [0, 1]}) == "cat, dog"
    assert job_objects_selectors.result_summary(job, {"label": 7}) == '{"label": 7}'
    assert job_objects_selectors.result_summary(job, None) == ""


def test_the_area_chart_spans_the_whole_width_however_short_the_time():
    start = datetime(2026, 11, 1, tzinfo=UTC)
    drawn = str(svg.area_svg([(start, 0), (start + timedelta(milliseconds=40), 2)], title="t"))
    first = f"{svg.MARGIN_LEFT},{svg.HEIGHT - svg.MARGIN_BOTTOM}"  # bottom left
    last = f"{svg.WIDTH - svg.MARGIN_RIGHT},{svg.MARGIN_TOP}"  # top right
    assert f'<polyline points="{first} {last}"' in drawn
