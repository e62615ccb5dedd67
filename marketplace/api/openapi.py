"""The OpenAPI document, true to what the server sends (drf-spectacular).

``GroundworkAutoSchema`` (``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]``) describes, once for every
operation instead of per view:

- lists: every ``GET`` whose response is a list is answered by ``paginated_response``, so it is
  documented as ``{"results": [...], "next": "<url or null>"}`` with the ``limit`` and
  ``cursor`` query parameters (``CursorPage``);
- ``Idempotency-Key``: an optional header of every ``POST`` (DESIGN.md rule 5);
- errors: every ``4xx`` the operation can answer is documented with the one error body
  ``{"error": {"code", "message", "fields"}}`` (``ERROR_SCHEMA``; ``code`` one of
  ``marketplace.errors.ERROR_CODES``).

``tests/marketplace/test_openapi_contract.py`` checks real responses of every operation against
the document, and ``tests/marketplace/test_schema_fuzzing.py`` fuzzes every operation of it.
"""

from __future__ import annotations

import inspect

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent, get_doc
from drf_spectacular.utils import OpenApiParameter

from ..errors import ERROR_CODES
from .pagination import MAX_LIMIT


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "marketplace.api.authentication.BearerTokenAuthentication"
    name = "bearer"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A requester API key (gwr_…) or a worker token (gww_…).",
        }


class WorkerSessionScheme(OpenApiAuthenticationExtension):
    target_class = "marketplace.api.authentication.WorkerSessionAuthentication"
    name = "workerConsoleSession"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": "sessionid",
            "description": "The worker console's session (docs/console.md): worker endpoints only; "
            "unsafe methods also need the `X-CSRFToken` header.",
        }


class CursorPage:
    """What ``pagination.paginated_response`` answers, for the document (not a DRF paginator:
    the views call ``paginated_response`` themselves)."""

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return {
            "type": "object",
            "required": ["results", "next"],
            "properties": {
                "results": schema,
                "next": {
                    "type": "string",
                    "format": "uri",
                    "nullable": True,
                    "description": "The next page (the same query with a `cursor`), or null on the last page.",
                },
            },
        }

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return [
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "description": f"Items per page, 1 to {MAX_LIMIT} (default 100).",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
            },
            {
                "name": "cursor",
                "in": "query",
                "required": False,
                "description": "Where to continue: taken from the previous page's `next`.",
                "schema": {"type": "string"},
            },
        ]


def error_schema() -> dict:
    return {
        "type": "object",
        "required": ["error"],
        "additionalProperties": False,
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "fields"],
                "additionalProperties": False,
                "properties": {
                    "code": {"type": "string", "enum": sorted(ERROR_CODES)},
                    "message": {"type": "string", "minLength": 1},
                    "fields": {
                        "type": "object",
                        "description": 'Dotted field paths (list items by index, "3.slots") to messages.',
                        "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    },
                },
            }
        },
    }


_ERROR_DESCRIPTIONS = {
    400: "Bad input: `fields` names each field at fault.",
    401: "Missing, malformed, revoked or unknown credentials.",
    402: "The paying account cannot cover the amount.",
    403: "The caller is of the wrong kind for this operation, or lacks the permission.",
    404: "No such resource, or it is not yours.",
    406: "The Accept header asks for a format the server does not produce.",
    409: "A state conflict; `code` says which.",
    413: "The request body is larger than the limit.",
    415: "The body is not `application/json`.",
    422: "The Idempotency-Key was used before with a different body.",
    429: "Rate limited: retry after `Retry-After` seconds.",
}


class GroundworkAutoSchema(AutoSchema):
    def get_description(self) -> str:  # type: ignore[override]  # drf-spectacular's signature, not DRF's
        # The handler's docstring, else the view's own: never one inherited from a base view
        # (which describes our internals, not the operation).
        handler = getattr(self.view, self.method.lower(), None)
        own_doc = type(self.view).__dict__.get("__doc__")
        return get_doc(handler) or (inspect.cleandoc(own_doc) if own_doc else "")

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self.method == "POST" and not any(getattr(p, "name", None) == "Idempotency-Key" for p in parameters):
            parameters.append(
                OpenApiParameter(
                    "Idempotency-Key",
                    str,
                    OpenApiParameter.HEADER,
                    required=False,
                    description="Replays the first response to the same key and body for 7 days; "
                    "the same key with another body is a 422 (docs/api.md).",
                )
            )
        return parameters

    def _get_paginator(self):
        # Only lists read with GET are paged; a list answering a POST (tasks) is the whole list.
        return CursorPage() if self.method == "GET" else None

    def _error_statuses(self) -> list[int]:
        is_anonymous = not self.view.get_authenticators()
        statuses = {400, 404, 406, 429}
        if not is_anonymous:
            statuses |= {401, 403}
        if self.method in ("POST", "PUT", "PATCH"):
            statuses |= {409, 413, 415, 422}
            if not is_anonymous:
                statuses.add(402)
        elif self.method == "DELETE":
            statuses.add(409)
        return sorted(statuses)

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        component = ResolvedComponent(
            name="Error", type=ResolvedComponent.SCHEMA, object="Error", schema=error_schema()
        )
        self.registry.register_on_missing(component)
        for status in self._error_statuses():
            responses.setdefault(
                str(status),
                {
                    "description": _ERROR_DESCRIPTIONS[status],
                    "content": {"application/json": {"schema": component.ref}},
                },
            )
        return responses
