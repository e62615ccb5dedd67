"""A round's model as plain arrays and a JSON card: nothing pickled, readable anywhere.

``ExportedModel.npz_bytes()`` is a NumPy ``.npz`` archive of numeric arrays only (it loads with
``np.load(..., allow_pickle=False)``); ``card_json()`` is the card: format, feature recipe,
classes, the model's form, the calibration, the threshold and the validation figures. With
both, ``ExportedModel.load`` rebuilds a scorer that gives the round's probabilities again.

Arrays: ``classes`` (the job's class index of each model output), ``columns`` (feature columns
that carry weight), ``coef`` (outputs x columns), ``intercept``, ``mean`` and ``scale`` (dense
features are standardised with them first; empty for text). The probabilities are
``softmax((x - mean) / scale)[:, columns] @ coef.T + intercept)``, then top-label calibration
``sigmoid(slope * logit(max probability) + intercept)`` from the card.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from labeling.automation.calibration import TopLabelCalibration
from labeling.automation.features import Features
from labeling.automation.model import LinearModel

FORMAT = "groundwork-automation-model/1"
ARRAY_NAMES = ("classes", "columns", "coef", "intercept", "mean", "scale")


@dataclass(frozen=True)
class ExportedModel:
    arrays: dict[str, NDArray[Any]]
    card: dict[str, Any]

    @classmethod
    def of(cls, model: LinearModel, calibration: TopLabelCalibration, card: dict[str, Any]) -> ExportedModel:
        arrays: dict[str, NDArray[Any]] = {
            "classes": model.classes.astype(np.int64),
            "columns": model.columns.astype(np.int64),
            "coef": model.coef.astype(np.float64),
            "intercept": model.intercept.astype(np.float64),
            "mean": model.mean.astype(np.float64),
            "scale": model.scale.astype(np.float64),
        }
        full = {
            "format": FORMAT,
            **card,
            "model": {"form": model.form, "n_classes": model.n_classes, "link": "softmax"},
            "calibration": {
                "method": "top-label Platt",
                "slope": calibration.slope,
                "intercept": calibration.intercept,
            },
            "arrays": {name: list(array.shape) for name, array in arrays.items()},
        }
        return cls(arrays=arrays, card=full)

    def npz_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez_compressed(buffer, allow_pickle=False, **self.arrays)
        return buffer.getvalue()

    def card_json(self) -> str:
        return json.dumps(self.card, indent=2, sort_keys=True)

    @classmethod
    def load(cls, npz: bytes, card_json: str) -> ExportedModel:
        card = json.loads(card_json)
        if card.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} card")
        with np.load(io.BytesIO(npz), allow_pickle=False) as archive:
            arrays = {name: np.asarray(archive[name]) for name in ARRAY_NAMES}
        return cls(arrays=arrays, card=card)

    def linear_model(self) -> LinearModel:
        a = self.arrays
        return LinearModel(
            form=self.card["model"]["form"],
            n_classes=int(self.card["model"]["n_classes"]),
            classes=a["classes"],
            columns=a["columns"],
            coef=a["coef"],
            intercept=a["intercept"],
            mean=a["mean"],
            scale=a["scale"],
        )

    def calibration(self) -> TopLabelCalibration:
        return TopLabelCalibration(
            slope=float(self.card["calibration"]["slope"]), intercept=float(self.card["calibration"]["intercept"])
        )

    def score(self, features: Features) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.float64]]:
        """(uncalibrated probabilities, predicted class, calibrated confidence) of feature rows."""
        raw = self.linear_model().probabilities(features)
        predicted = raw.argmax(axis=1).astype(np.int64)
        confidence = self.calibration().confidence(raw.max(axis=1))
        return raw, predicted, confidence
