"""A ledger statement as the API answers it: a page of entries (``?format=json``, the default) or
every entry streamed as CSV (``?format=csv``); shared by the requester's and the worker's
statement endpoints."""

from __future__ import annotations

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from ..errors import InvalidInput
from ..selectors import ledger as statements
from .pagination import paginated_response
from .serializers.earnings import EarningsEntrySerializer
from .serializers.money import StatementEntrySerializer

STATEMENT_PARAMETERS = [
    OpenApiParameter("format", str, enum=["json", "csv"], description="`csv` streams every entry as CSV."),
    OpenApiParameter("from", str, description="first UTC day included (YYYY-MM-DD)"),
    OpenApiParameter("to", str, description="first UTC day excluded (YYYY-MM-DD)"),
]


# ``?format=json`` (the default) is a page of entries; ``?format=csv`` streams every entry as CSV.
STATEMENT_RESPONSES = {
    (200, "application/json"): StatementEntrySerializer(many=True),
    (200, "text/csv"): OpenApiTypes.STR,
}


EARNINGS_STATEMENT_RESPONSES = {
    (200, "application/json"): EarningsEntrySerializer(many=True),
    (200, "text/csv"): OpenApiTypes.STR,
}


def statement_response(request, entries, columns: tuple[str, ...], filename: str):
    output = request.query_params.get("format", "json")
    if output == "csv":
        response = StreamingHttpResponse(statements.statement_csv(entries, columns), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        return response
    if output != "json":
        raise InvalidInput.for_field("format", "must be json or csv")
    return paginated_response(
        request, entries, lambda entry: {c: v for c, v in statements.statement_row(entry).items() if c in columns}
    )
