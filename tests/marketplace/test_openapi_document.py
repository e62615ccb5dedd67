"""The OpenAPI document is one a user can learn from (issue 14): drf-spectacular builds it without
a warning; every operation has a summary and a description of its own (never the base view's
docstring); every query parameter a view reads is declared and described; lists are the
``{"results", "next"}`` page; errors are shared response components listing their codes; and
the main operations carry examples that match their schemas.

``test_openapi_contract.py`` checks the document against real responses; this module checks
what the document says.
"""

from __future__ import annotations

import inspect
import io
import json
from collections import Counter
from datetime import timedelta

import httpx
import pytest
import schemathesis
from django.core.management import call_command
from openapi_schema_validator import OAS30Validator, validate

from marketplace.api.base import GroundworkAPIView, RequesterAPIView, WorkerAPIView
from marketplace.api.openapi import ERROR_RESPONSES, error_codes_by_status
from marketplace.errors import ERROR_CODES

# The main operations, with the examples they must carry (request and response).
EXAMPLES = {
    ("post", "/api/v1/tasks"): {"request", "201"},
    ("post", "/api/v1/worker/tasks/next"): {"200"},
    ("post", "/api/v1/worker/assignments/{assignment_id}/submit"): {"request", "200"},
    ("post", "/api/v1/assignments/{assignment_id}/approve"): {"request", "200"},
    ("post", "/api/v1/assignments/{assignment_id}/reject"): {"request", "200"},
    ("post", "/api/v1/labeling-jobs"): {"request", "201"},
    ("post", "/api/v1/webhook-endpoints"): {"request", "201"},
}


@pytest.fixture(scope="module")
def document() -> dict:
    out = io.StringIO()
    call_command("spectacular", format="openapi-json", stdout=out)
    return json.loads(out.getvalue())


def operations(document: dict) -> list[tuple[str, str, dict]]:
    return [(method, path, operation) for path, item in document["paths"].items() for method, operation in item.items()]


def test_spectacular_validates_without_a_warning(tmp_path):
    # ``--fail-on-warn`` turns every drf-spectacular warning (an unresolvable type, a serializer
    # it cannot read, a name clash) into a failure; ``--validate`` checks the OpenAPI 3 shape.
    call_command("spectacular", "--validate", "--fail-on-warn", file=str(tmp_path / "schema.yaml"))


def test_every_operation_has_its_own_summary_and_a_description(document):
    internal = {
        inspect.cleandoc(view.__doc__) for view in (GroundworkAPIView, RequesterAPIView, WorkerAPIView) if view.__doc__
    }
    summaries = Counter()
    for method, path, operation in operations(document):
        summary, description = operation.get("summary", ""), operation.get("description", "")
        assert summary and description, f"{method.upper()} {path}: summary {summary!r}, description {description!r}"
        assert len(summary) <= 60 and "\n" not in summary, f"{method.upper()} {path}: {summary!r}"
        for text in internal:
            assert text[:40] not in description, f"{method.upper()} {path} shows a base view's docstring"
        assert "derives from this" not in description
        summaries[summary] += 1
    assert not [summary for summary, n in summaries.items() if n > 1], summaries.most_common(3)


def test_every_query_parameter_is_declared_and_described(document):
    tasks = document["paths"]["/api/v1/tasks"]["get"]
    assert {p["name"] for p in tasks["parameters"] if p["in"] == "query"} == {"limit", "cursor", "batch_id", "status"}
    # what each list reads (the views' query_int/query_choice/query_params), as documented
    expected = {
        "/api/v1/assignments": {"task_id", "batch_id", "status", "flagged"},
        "/api/v1/vendor-offerings": {"task_type", "language"},
        "/api/v1/vendor-subscriptions": {"status"},
        "/api/v1/statement": {"format", "from", "to", "account"},
        "/api/v1/worker/statement": {"format", "from", "to"},
        "/api/v1/worker/assignments": {"status"},
        "/api/v1/labeling-jobs": {"status", "name_contains"},
        "/api/v1/events": {"type", "since"},
        "/api/v1/webhook-endpoints/{endpoint_id}/deliveries": {"status", "event_id"},
    }
    for path, names in expected.items():
        declared = {p["name"] for p in document["paths"][path]["get"]["parameters"] if p["in"] == "query"}
        assert declared >= names | {"limit", "cursor"}, path
    for method, path, operation in operations(document):
        for parameter in operation.get("parameters", []):
            assert parameter.get("description"), f"{method.upper()} {path}: {parameter['name']} is not described"


def test_lists_are_documented_as_the_page_envelope(document):
    schemas = document["components"]["schemas"]
    for method, path, operation in operations(document):
        if method != "get" or path == "/api/v1/worker/available-work":
            continue
        schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
        target = schemas[schema["$ref"].rpartition("/")[2]] if "$ref" in schema else schema
        if target.get("type") == "object" and "results" in target.get("properties", {}):
            assert target["required"] == ["results", "next"], path
            assert target["properties"]["results"]["type"] == "array"
            assert target["properties"]["next"]["nullable"] is True
    tasks = document["paths"]["/api/v1/tasks"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert tasks == {"$ref": "#/components/schemas/PaginatedTaskList"}


def test_errors_are_shared_responses_listing_their_codes(document):
    responses = document["components"]["responses"]
    for status, (name, _) in ERROR_RESPONSES.items():
        assert responses[name]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
        for code in error_codes_by_status().get(status, []):
            assert f"`{code}`" in responses[name]["description"], (status, code)
    assert "Retry-After" in responses["RateLimited"]["headers"]
    # every code of docs/api.md is listed under the status it is answered with
    listed = {code for codes in error_codes_by_status().values() for code in codes}
    assert listed == set(ERROR_CODES)
    assert "insufficient_balance" in error_codes_by_status()[402] and "invalid" in error_codes_by_status()[400]
    for _, path, operation in operations(document):
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                assert response == {"$ref": f"#/components/responses/{ERROR_RESPONSES[int(status)][0]}"}, (path, status)


def test_the_main_operations_carry_examples_that_match_their_schemas(document):
    schema = schemathesis.openapi.from_dict(document)
    with_components = {"components": document["components"]}
    for (method, path), wanted in EXAMPLES.items():
        operation = document["paths"][path][method]
        found = set()
        request = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
        for example in request.get("examples", {}).values():
            validate(example["value"], {**request["schema"], **with_components}, cls=OAS30Validator)
            found.add("request")
        for status, response in operation["responses"].items():
            for media_type, content in response.get("content", {}).items():
                for example in content.get("examples", {}).values():
                    as_httpx = httpx.Response(
                        int(status),
                        headers={"Content-Type": media_type},
                        content=json.dumps(example["value"]).encode(),
                        request=httpx.Request(method.upper(), f"http://testserver{path}"),
                    )
                    as_httpx.elapsed = timedelta(0)  # never sent
                    schema[path][method.upper()].validate_response(as_httpx)
                    found.add(status)
        assert found >= wanted, (method, path, found)
