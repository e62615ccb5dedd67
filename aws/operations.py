"""Imports every operation module, so the registry (``aws.registry``) knows them all."""

from .mturk import assignments, hits, payments, qualifications, workers  # noqa: F401
from .sagemaker import labeling_jobs, workteams  # noqa: F401
