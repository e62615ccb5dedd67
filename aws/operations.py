"""Imports every operation module, so the registry (``aws.registry``) knows them all."""

from .mturk import payments  # noqa: F401
