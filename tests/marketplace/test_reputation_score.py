"""The combined reputation score (docs/quality.md "The combined score"): a pure function,
checked on numbers worked out by hand."""

from __future__ import annotations

import pytest

from marketplace.selectors.reputation import reputation_score, wilson_interval


def test_wilson_interval_of_8_out_of_10_is_the_textbook_one():
    # p = 0.8, z² = 3.8415; centre = (0.8 + 0.19207) / 1.38415 = 0.71681,
    # half = 1.95996 × sqrt(0.016 + 0.0096038) / 1.38415 = 0.22658
    low, high = wilson_interval(8, 10)
    assert (round(low, 4), round(high, 4)) == (0.4902, 0.9433)


def test_no_evidence_is_no_score_and_the_widest_interval():
    score = reputation_score()
    assert (score.value, score.low, score.high, score.trials) == (None, 0.0, 1.0, 0.0)


def test_gold_alone_is_the_plain_proportion():
    score = reputation_score(gold_answered=10, gold_correct=8)
    assert (score.successes, score.trials, score.value) == (8.0, 10.0, 0.8)
    assert (round(score.low, 4), round(score.high, 4)) == (0.4902, 0.9433)


def test_every_kind_of_evidence_adds_up_as_documented():
    # gold 8/10; estimate 0.9 over 40 answers -> 0.5 × 40 = 20 pseudo trials, 18 successes;
    # 4 approvals -> 1 trial, 1 success; 20 claims allow 2 + 2 = 4 free returns, 6 returns
    # leave 2 excess -> 2 × 0.5 = 1 failed trial. Total 27 / 32.
    score = reputation_score(
        gold_answered=10,
        gold_correct=8,
        estimated_accuracy=0.9,
        estimated_answers=40,
        approved=4,
        rejected=0,
        claimed=20,
        returned=6,
    )
    assert (score.successes, score.trials) == (27.0, 32.0)
    assert score.value == 27 / 32
    assert score.low < score.value < score.high


def test_rejections_count_against_at_a_quarter_trial_each():
    score = reputation_score(approved=6, rejected=2)
    assert (score.successes, score.trials, score.value) == (1.5, 2.0, 0.75)


def test_consolidation_evidence_is_capped_at_100_answers():
    capped = reputation_score(estimated_accuracy=0.7, estimated_answers=10_000)
    assert (capped.successes, capped.trials) == (35.0, 50.0)


def test_returns_within_the_free_allowance_cost_nothing():
    # 30 claims: 2 + 3 = 5 free returns
    within = reputation_score(gold_answered=10, gold_correct=9, claimed=30, returned=5)
    beyond = reputation_score(gold_answered=10, gold_correct=9, claimed=30, returned=9)
    assert (within.trials, within.value) == (10.0, 0.9)
    assert (beyond.trials, beyond.value) == (12.0, 0.75)


def test_a_scraper_that_returns_everything_scores_low():
    score = reputation_score(claimed=200, returned=200)
    # 200 - (2 + 20) = 178 excess returns -> 89 failed trials, no success
    assert (score.successes, score.trials, score.value) == (0.0, 89.0, 0.0)
    assert score.high < 0.05


@pytest.mark.parametrize("scale", [1, 10, 100])
def test_the_interval_narrows_as_evidence_grows(scale):
    small = reputation_score(gold_answered=5 * scale, gold_correct=4 * scale)
    large = reputation_score(gold_answered=50 * scale, gold_correct=40 * scale)
    assert small.value == large.value == 0.8
    assert large.high - large.low < small.high - small.low
    assert large.low <= 0.8 <= large.high
