"""The recommended schedule's sizes."""

from __future__ import annotations

from labeling.automation import MIN_OBJECTS, audit_size, initial_sample_size, round_release_size


def test_the_minimum_job_size_is_documented_and_at_most_1000():
    assert 0 < MIN_OBJECTS <= 1000


def test_the_initial_sample():
    assert initial_sample_size(MIN_OBJECTS - 1) == MIN_OBJECTS - 1  # too small: humans label it all
    assert initial_sample_size(1000) == 200
    assert initial_sample_size(3000) == 450
    assert initial_sample_size(10**6) == 2000


def test_the_audit_is_at_least_2_percent_and_at_least_20_objects():
    assert audit_size(0) == 0
    assert audit_size(7) == 7
    assert audit_size(500) == 20
    assert audit_size(5000) == 100
    assert round_release_size(1797) == 90
