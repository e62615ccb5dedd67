"""Consolidation: redundant crowd answers in, labels with calibrated confidences out.

Pure numpy/scipy; nothing here imports Django or the rest of Groundwork.
"""

from consolidation.calibrated import consolidate
from consolidation.calibration import (
    Calibration,
    expected_calibration_error,
    fit_calibration,
    fit_temperature,
    temper,
)
from consolidation.dawid_skene import dawid_skene
from consolidation.majority import majority_vote
from consolidation.one_coin import one_coin_dawid_skene
from consolidation.results import ClassificationResult

__all__ = [
    "Calibration",
    "ClassificationResult",
    "consolidate",
    "dawid_skene",
    "expected_calibration_error",
    "fit_calibration",
    "fit_temperature",
    "majority_vote",
    "one_coin_dawid_skene",
    "temper",
]
