"""The OpenAPI document, true to what the server sends (drf-spectacular).

``GroundworkAutoSchema`` (``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]``) describes, once for every
operation instead of per view:

- lists: every ``GET`` whose response is a list is answered by ``paginated_response``, so it is
  documented as ``{"results": [...], "next": "<url or null>"}`` with the ``limit`` and
  ``cursor`` query parameters (``CursorPage``);
- ``Idempotency-Key``: an optional header of every ``POST`` (DESIGN.md rule 5);
- errors: every ``4xx`` the operation can answer refers to one shared response per status
  (``#/components/responses/NotFound``, ...), the one error body
  ``{"error": {"code", "message", "fields"}}`` (``error_schema``) with the codes of
  ``marketplace.errors.ERROR_CODES`` that status carries listed in its description;
- what an operation says of itself: its handler's docstring, the first paragraph the summary and
  the rest the description (``extend_schema(description=...)`` overrides the latter); a base
  view's docstring never shows; one tag per view module (the resource);
- path parameters: each an id, described as such.

``tests/marketplace/test_openapi_contract.py`` checks real responses of every operation against
the document, ``tests/marketplace/test_schema_fuzzing.py`` fuzzes every operation of it, and
``tests/marketplace/test_openapi_document.py`` checks what it says (and that drf-spectacular
builds it without a warning).
"""

from __future__ import annotations

import inspect
import re

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent, get_doc
from drf_spectacular.utils import OpenApiParameter

from ..errors import ERROR_CODES
from ..inputs import openapi as _inputs_openapi  # noqa: F401  (registers input declarations' schemas)
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


# Each error status is one shared response component (``#/components/responses/<name>``),
# listing the codes it can carry: a code's status is the one its meaning in ERROR_CODES ends with.
ERROR_RESPONSES = {
    400: ("BadRequest", "Bad input: `fields` names each field at fault."),
    401: ("Unauthenticated", "Missing, malformed, revoked or unknown credentials."),
    402: ("InsufficientBalance", "The paying account cannot cover the amount."),
    403: ("Forbidden", "The caller is of the wrong kind for this operation, or lacks the permission."),
    404: ("NotFound", "No such resource, or it is not yours."),
    406: ("NotAcceptable", "The Accept header asks for a format the server does not produce."),
    409: ("Conflict", "A state conflict; `code` says which."),
    413: ("TooLarge", "The request body is larger than the limit."),
    415: ("UnsupportedMediaType", "The body is not `application/json`."),
    422: ("IdempotencyKeyReused", "The Idempotency-Key was used before with a different body."),
    429: ("RateLimited", "Rate limited: retry after `Retry-After` seconds."),
}


def error_codes_by_status() -> dict[int, list[str]]:
    """Every error code under the status it is answered with (``invalid``, which names none, is 400)."""
    by_status: dict[int, list[str]] = {}
    for code, meaning in sorted(ERROR_CODES.items()):
        named = re.search(r"\((\d{3})\)", meaning)
        by_status.setdefault(int(named.group(1)) if named else 400, []).append(code)
    return by_status


def error_response(status: int) -> dict:
    """The shared response component of one error status: the error body and its codes."""
    codes = error_codes_by_status().get(status, [])
    listed = "\n".join(f"- `{code}`: {ERROR_CODES[code]}" for code in codes)
    response: dict = {
        "description": ERROR_RESPONSES[status][1] + (f"\n\nCodes:\n{listed}" if listed else ""),
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    if status == 429:
        response["headers"] = {
            "Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}}
        }
    return response


class GroundworkAutoSchema(AutoSchema):
    # What an operation says of itself is its handler's docstring: the first paragraph is the
    # summary, the rest the description (``extend_schema(description=...)`` overrides it). A
    # base view's docstring describes our internals, never an operation: it is not inherited.
    def _handler_doc(self) -> str:
        handler = getattr(self.view, self.method.lower(), None)
        return get_doc(handler) if handler is not None else ""

    def get_summary(self) -> str | None:
        first = " ".join(self._handler_doc().split("\n\n")[0].split())
        return first.removesuffix(".") or None

    def get_description(self) -> str:  # type: ignore[override]  # drf-spectacular's signature, not DRF's
        rest = self._handler_doc().partition("\n\n")[2].strip()
        own_doc = type(self.view).__dict__.get("__doc__")
        return rest or (inspect.cleandoc(own_doc) if own_doc else "")

    def get_tags(self) -> list[str]:
        # One tag per view module, which is one resource: "tasks", "worker/assignments", ...
        module = type(self.view).__module__.rpartition(".views.")[2]
        return [module.replace(".", "/").replace("_", " ")]

    def _resolve_path_parameters(self, variables):
        parameters = super()._resolve_path_parameters(variables)
        for parameter in parameters:  # every path parameter is an id: <name>_id
            parameter.setdefault("description", f"The {parameter['name'].removesuffix('_id').replace('_', ' ')}'s id.")
        return parameters

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
        self.registry.register_on_missing(
            ResolvedComponent(name="Error", type=ResolvedComponent.SCHEMA, object="Error", schema=error_schema())
        )
        for status in self._error_statuses():
            name = ERROR_RESPONSES[status][0]
            component = ResolvedComponent(
                name=name, type=ResolvedComponent.RESPONSE, object=name, schema=error_response(status)
            )
            self.registry.register_on_missing(component)
            responses.setdefault(str(status), component.ref)
        return responses
