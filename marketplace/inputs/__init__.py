"""Declared request inputs: one declaration per operation, both the validator and the OpenAPI
request schema, so the two cannot drift.

- ``fields``: the shared field types (strict integer with ``true`` refused, money in the one
  grammar of ``marketplace.money``, bounded text, ids, choices, JSON taken as is).
- ``base``: ``Input`` (unknown fields refused) and ``validate``, which turns every problem into
  the one 400 of docs/api.md, each bad field under its dotted path (``"3.slots"``).
- one module per resource: ``tasks``, ``quality``, ``requirements``, ``assignments`` (REST and
  the worker socket's messages alike), ``qualifications``, ``bonuses``, ``worker_messages``,
  ``blocks`` (REST and their MTurk operations alike); ``labeling.inputs`` for labeling jobs.
- ``openapi``: renders a declaration into the document (``extend_schema(request=TheInput)``).

A view (a socket handler, an AWS operation) validates the body here and passes the typed value
to a service; services never parse bodies, and check only what needs the database (a workteam
the requester may target, a price, a gold answer against its task type). Defaults that settings
can change are read when a body is validated, not at import.

Adding an operation's input: declare ``class ThingCreate(Input)`` in the resource's module with
``Annotated[<type>, <marker from fields>]`` fields; rules between fields go in
``cross_field_errors``; in the view, ``value = validate(ThingCreate, request.data)`` and
``@extend_schema(request=ThingCreate)``. Its error messages are the markers' own.

Pydantic, not DRF serializers, by measurement (``bench/inputs.py``): validating a 1,000-task
``POST /api/v1/tasks`` body took 22 ms as declared here, 56 ms with the old hand-written parser
and 67 ms as a DRF serializer with the same checks (best of 11, on a loaded 2-core machine).
"""

from .base import Input, invalid_input, validate, validate_list

__all__ = ["Input", "invalid_input", "validate", "validate_list"]
