"""Cursor pagination: ``{"results": [...], "next": "<url or null>"}``, ``?limit=`` up to 1,000.

The cursor is the last id seen (opaque to clients); lists are in ascending id order, so a
cursor stays valid while rows are added.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import TypeVar

from django.db import models
from django.db.models import QuerySet
from rest_framework.request import Request
from rest_framework.response import Response

from ..errors import InvalidInput

ModelT = TypeVar("ModelT", bound=models.Model)

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


def _decode_cursor(cursor: str) -> int:
    try:
        return int(base64.urlsafe_b64decode(cursor.encode() + b"==").decode().removeprefix("id:"))
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput.for_field("cursor", "is not a cursor this API gave out") from None


def _encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def query_int(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput.for_field(name, "must be an integer") from None
    if not -(2**63) <= value < 2**63:  # beyond a 64-bit column: SQLite would raise OverflowError (a 500)
        raise InvalidInput.for_field(name, "must be an integer")
    return value


def query_limit(request: Request, *, default: int = DEFAULT_LIMIT) -> int:
    """``?limit=``: 1 to 1,000, ``default`` when absent."""
    limit = query_int(request, "limit")
    if limit is None:
        return default
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput.for_field("limit", f"must be between 1 and {MAX_LIMIT}")
    return limit


def query_choice(request: Request, name: str, choices: list[str]) -> str | None:
    """An optional query parameter that must be one of ``choices`` (``None`` when absent or empty)."""
    value = request.query_params.get(name)
    if not value:
        return None
    if value not in choices:
        raise InvalidInput.for_field(name, f"must be one of {', '.join(choices)}")
    return value


def paginated_response(request: Request, queryset: QuerySet[ModelT], render: Callable[[ModelT], dict]) -> Response:
    limit = query_limit(request)
    cursor = request.query_params.get("cursor")
    if cursor:
        queryset = queryset.filter(pk__gt=_decode_cursor(cursor))
    rows = list(queryset.order_by("pk")[: limit + 1])
    next_url = None
    if len(rows) > limit:
        rows = rows[:limit]
        params = request.query_params.copy()
        params["cursor"] = _encode_cursor(rows[-1].pk)
        next_url = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
    return Response({"results": [render(row) for row in rows], "next": next_url})
