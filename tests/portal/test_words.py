"""Identifiers as words, counts with their noun, whole-number count axes: the small pieces
every portal page goes through (``labeling.portal.words``, ``svg.count_scale``)."""

from __future__ import annotations

import pytest
from django.template import Context, Template

from labeling.models import LabelingJob
from labeling.portal import svg
from labeling.portal.words import count_noun, percent, word
from labeling.task_types import TASK_TYPES
from marketplace.models import Assignment, Task


def test_every_status_and_task_type_has_words_and_none_reads_as_its_identifier():
    identifiers = [*LabelingJob.Status.values, *Task.Status.values, *Assignment.Status.values, *TASK_TYPES]
    for identifier in identifiers:
        assert word(identifier) != identifier and "_" not in word(identifier), identifier
    assert (word("in_progress"), word("bounding_box")) == ("In progress", "Bounding box")
    assert word("some_new_state") == "Some new state"  # an unlisted one still reads as words


@pytest.mark.parametrize(
    ("count", "noun", "shown"),
    [
        (1, "object", "1 object"),
        (0, "object", "0 objects"),
        (2, "answer", "2 answers"),
        (1, "job or batch", "1 job or batch"),
        (3, "job or batch", "3 jobs or batches"),
        (2.0, "day", "2 days"),
    ],
)
def test_counts_read_with_their_noun_in_the_right_number(count, noun, shown):
    assert count_noun(count, noun) == shown


def test_the_template_filters_use_the_same_words():
    rendered = Template(
        '{% load portal %}{{ s|word }}|{{ n|count:"object" }}|{{ one|noun:"member" }}|'
        "{{ p|percent }}|{{ f|share_percent }}|{{ none|percent }}"
    ).render(Context({"s": "in_progress", "n": 1, "one": 1, "p": 33.45, "f": 0.307, "none": None}))
    assert rendered == "In progress|1 object|member|33.5 %|30.7 %|–"
    assert percent(3.0) == "3.0 %"


@pytest.mark.parametrize(
    ("top", "scale"),
    [
        (0, (1, [0, 1])),
        (1, (1, [0, 1])),
        (2, (2, [0, 2])),
        (3, (3, [0, 3])),
        (12.5, (13, [0, 13])),
        (25, (25, [0, 25])),
        (24, (24, [0, 12, 24])),
    ],
)
def test_count_axes_have_whole_number_ticks_ending_at_the_largest_count(top, scale):
    assert svg.count_scale(top) == scale


def test_a_histogram_of_counts_says_each_bars_count_with_its_noun():
    drawn = str(svg.histogram_svg([1, 0, 25], [0, 0.5, 0.9, 1], title="t", noun="object"))
    assert "0.9–1: 25 objects" in drawn and "0–0.5: 1 object<" in drawn
    assert ">12.50<" not in drawn and ">25<" in drawn
