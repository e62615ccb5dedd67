"""Declared request inputs: one declaration per operation, both the validator and the OpenAPI
request schema (docs/adding-an-endpoint.md). One module per resource; ``fields`` holds the
shared field types (strict integers, money, bounded text, ids).

Views and websocket handlers validate a body here and pass the typed value to a service;
services never parse bodies. Measured against DRF serializers in ``bench/inputs.py``.
"""

from .base import Input, invalid_input, validate, validate_list

__all__ = ["Input", "invalid_input", "validate", "validate_list"]
