"""What the simulation's parts share: the crowd's known reliabilities, the output's shape, and
the form of an answer function."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

# Known reliabilities of the simulated crowd: a couple of good workers, some mediocre ones.
ACCURACIES = (0.92, 0.85, 0.78, 0.7, 0.62, 0.55)
OUTPUT_PREFIX = "out/"
CREATION_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?$")
MATCH_IOU = 0.5

Answer = dict
AnswerFunction = Callable[[str, float, np.random.Generator], Answer]
