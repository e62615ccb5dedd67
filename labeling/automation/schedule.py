"""How much human work automation needs, and when it pays to run a round (recommendations for
the job integration, which owns the actual schedule)."""

from __future__ import annotations

import math

# A job smaller than this runs without automation. A round must hold out validation objects (40%
# of the random human sample) and prove the target on those above a threshold: at the default
# target 0.95 that takes at least 59 agreeing validation objects even with no disagreement at all
# (more after the multiple-comparison adjustment), and the model needs as many again to learn
# from; below 500 objects the sample that can prove anything is most of the job, and automation
# would save next to nothing.
MIN_OBJECTS = 500

# The initial random sample humans label before the first round: a share of the job, within
# bounds (enough to train and validate; no more than a round needs).
INITIAL_SAMPLE_SHARE = 0.15
INITIAL_SAMPLE_MIN = 200
INITIAL_SAMPLE_MAX = 2000

# Audit: at least this share of machine-labeled objects, and at least this many, go to humans.
AUDIT_SHARE = 0.02
AUDIT_MIN = 20


def initial_sample_size(objects: int) -> int:
    """Objects to send to humans (at random) before the first round; all of them when the job is
    smaller than ``MIN_OBJECTS`` (it runs without automation)."""
    if objects < MIN_OBJECTS:
        return objects
    return min(objects, max(INITIAL_SAMPLE_MIN, min(INITIAL_SAMPLE_MAX, math.ceil(INITIAL_SAMPLE_SHARE * objects))))


def round_release_size(objects: int) -> int:
    """Objects released to humans between two rounds (the most uncertain first, plus a random
    share marked validation-eligible): small enough that the model is retrained often, large
    enough that each round sees materially more labels. A round is worth running again once about
    this many new human labels arrived."""
    return max(50, min(2000, math.ceil(0.05 * objects)))


def audit_size(machine_labeled: int) -> int:
    """How many of ``machine_labeled`` objects to send to humans as the audit (never more than
    there are)."""
    return min(machine_labeled, max(AUDIT_MIN, math.ceil(AUDIT_SHARE * machine_labeled)))
