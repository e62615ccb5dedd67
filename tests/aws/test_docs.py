"""docs/aws.md lists every operation the endpoint offers."""

from __future__ import annotations

from pathlib import Path

import aws.views  # noqa: F401  (fills the registry)
from aws.registry import registered

DOC = (Path(__file__).resolve().parents[2] / "docs" / "aws.md").read_text()


def test_every_operation_offered_is_in_docs_aws_md():
    missing = [name for service in ("mturk", "sagemaker") for name in registered(service) if name not in DOC]
    assert missing == []


def test_every_ground_truth_operation_has_a_row():
    rows = {line.split("|")[1].strip() for line in DOC.splitlines() if line.startswith("| ")}
    assert [name for name in registered("sagemaker") if name not in rows] == []
