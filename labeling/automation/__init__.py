"""Automated labeling: a model learns from human labels and labels the rest only where its
accuracy is proven (issue 17). Pure learning code: numpy, scipy, scikit-learn and Pillow, no
Django (``tests/test_import_graph.py`` enforces it); the job integration lives in
``labeling.services.automation*``.

The API (CONTRACTS.md section 3, with the refinements listed below)::

    spec = FeatureSpec(kind="text")                      # or image / embedding / prediction
    x = build_features(spec, inputs)                     # FeatureError names a bad object
    result = run_round(labeled_features=..., labels=..., weights=..., unlabeled_features=...,
                       n_classes=..., target_accuracy=0.95, rng=np.random.default_rng(seed),
                       kind=spec.kind, validation_eligible=..., class_names=...,
                       feature_recipe=spec.describe())
    result.machine_label        # bool per pool object: label it with result.predicted now
    result.uncertainty          # per pool object: release the most uncertain to humans first
    result.model.npz_bytes(), result.model.card_json()  # the export (no pickle)
    audit_verdict(agreed, audited, target_accuracy)     # False: stop automation

The method, per round:

1. Some of the human-labeled objects that were sent to humans at random (``validation_eligible``)
   are drawn at random to validate: half as many as there are labeled objects, at most 80% of the
   eligible ones and at most 3000; the rest, and every object chosen for its uncertainty, train.
   The requester's predictor (``prediction``) trains on nothing, so every eligible object
   validates it.
2. A multinomial logistic regression (scikit-learn) learns from the training objects, weighted
   by the confidence of their consolidated label (``model.py``).
3. Candidate score thresholds are fixed from the POOL alone (the score above which 100%, 90%, ...
   10% of the unlabeled objects lie); each is tested on the validation objects above it with a
   one-sided Clopper-Pearson bound at a Bonferroni-adjusted level, and the lowest that proves
   ``target_accuracy`` is chosen (``threshold.py``). None passes: nothing is machine-labeled.
4. Top-label Platt scaling fitted on validation turns the score into a calibrated confidence,
   monotone in the score (``calibration.py``); ``threshold`` is the confidence at the chosen
   score threshold, so ``confidence >= threshold`` selects exactly ``machine_label``.

What is proven, and what it rests on: with probability at least ``confidence`` (0.95), every
candidate threshold that passes has a true rate of AGREEMENT WITH THE HUMAN-CONSOLIDATED LABEL,
among objects scoring above it, of at least ``target_accuracy``, provided the validation objects
are a random sample of the objects the threshold is applied to. Agreement is what validation can
see; it is below accuracy against the truth whenever humans err and the model does not repeat
their mistakes (so a requester's target is reached against the truth with room to spare, but a
target above the crowd's own accuracy is never reached and automation then labels nothing). The
guarantee is per round; the audit (``audit_verdict``) watches the machine labels while the job
runs. Details and figures: docs/automation.md.

Refinements of the CONTRACTS.md API (for the job integration):

- ``run_round`` takes keyword-only extras: ``validation_eligible`` (bool per labeled object,
  default all: mark objects chosen by uncertainty False), ``class_names`` and ``feature_recipe``
  (for the model card; pass ``spec.describe()``), ``confidence`` (default 0.95).
- ``RoundResult`` adds ``machine_label`` (the decision itself: use it rather than comparing
  floats), ``score_threshold`` (the same threshold on the uncalibrated score), ``validation_above``,
  ``training_size``, ``candidates``, ``bound_confidence`` (the Bonferroni-adjusted level the bound
  is stated at) and the property ``machine_labeled``.
- ``ExportedModel``: ``npz_bytes()`` and ``card_json()`` (write them as ``model.npz`` and
  ``model.json``); ``ExportedModel.load(npz, card)`` and ``.score(features)`` rebuild it.
- ``FeatureSpec(kind, class_names=(), dimension=None)``: ``class_names`` is required for
  ``prediction`` (inputs may be objects by label name); ``describe()`` gives the card's recipe.
  ``build_features`` raises ``FeatureError`` (a ``ValueError``) whose ``index`` is the position of
  the first unusable object and ``reason`` a sentence for the job's status.
- ``accuracy_upper_bound`` joins ``accuracy_lower_bound``; ``audit_verdict`` takes an optional
  ``confidence``.
- ``schedule``: ``MIN_OBJECTS`` (500), ``initial_sample_size(objects)``,
  ``round_release_size(objects)``, ``audit_size(machine_labeled)``: the recommended schedule.
"""

from labeling.automation.bounds import accuracy_lower_bound, accuracy_upper_bound, audit_verdict
from labeling.automation.export import ExportedModel
from labeling.automation.features import FeatureError, FeatureKind, FeatureSpec, build_features
from labeling.automation.rounds import RoundResult, run_round
from labeling.automation.schedule import (
    MIN_OBJECTS,
    audit_size,
    initial_sample_size,
    round_release_size,
)

__all__ = [
    "MIN_OBJECTS",
    "ExportedModel",
    "FeatureError",
    "FeatureKind",
    "FeatureSpec",
    "RoundResult",
    "accuracy_lower_bound",
    "accuracy_upper_bound",
    "audit_size",
    "audit_verdict",
    "build_features",
    "initial_sample_size",
    "round_release_size",
    "run_round",
]
