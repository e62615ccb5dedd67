"""Requesters' answer schemas cannot make a process spend unbounded time or reach outside
(issue 13, defect 1): regexes run on RE2 and are checked at posting, every evaluation has a
work budget, ``uniqueItems`` is linear, no reference is fetched.

No speed is asserted: each test only needs the request to return (a backtracking engine would
hang it for hours) and the next request to be served."""

from __future__ import annotations

import http.server
import threading

import pytest

from marketplace.answer_schemas import MAX_ANSWER_SCHEMA_CHARS
from marketplace.models import Assignment, Task
from tests.marketplace.edge_helpers import assert_invalid, world
from tests.support.worker_api import claim_assignment_id, submit

EVIL = "^(a+)+$"


def schema_with(pattern: str) -> dict:
    return {"type": "object", "properties": {"label": {"type": "string", "pattern": pattern}}}


def post_task(client, **fields):
    return client.post("/api/v1/tasks", {"title": "t", "reward": "0.01", **fields}, format="json")


# --- the defect as reported ----------------------------------------------------------------------


def test_the_reported_gold_answer_against_a_backtracking_pattern_is_a_plain_400(requester_client):
    # given: the probe's body: ^(a+)+$ and a gold answer of 27 "a" then "!"
    before = world()
    # when
    response = post_task(requester_client, answer_schema=schema_with(EVIL), gold_answer={"label": "a" * 27 + "!"})
    # then: it returns, refused for what it is (the answer does not match), nothing made
    error = assert_invalid(response, "gold_answer.label")
    assert "does not match" in error["fields"]["gold_answer.label"][0]
    assert world() == before
    # and the process goes on serving
    assert requester_client.get("/api/v1/tasks").status_code == 200


@pytest.mark.parametrize(
    ("pattern", "evil_answer", "good_answer"),
    [
        (EVIL, "a" * 5_000 + "!", "aaaa"),
        ("(a|a)*$", "a" * 5_000 + "!", "aaaa"),  # RE2 search: "$" matches at the end anyway
        ("^(x+x+)+y$", "x" * 5_000, "xxy"),
        ("^(\\w+\\s?)*$", "word " * 2_000 + "!", "two words"),
        (
            "^([a-zA-Z0-9])(([\\-.]|[_]+)?([a-zA-Z0-9]+))*(@){1}[a-z0-9]+[.]{1}(([a-z]{2,3})|([a-z]{2,3}[.]{1}[a-z]{2,3}))$",
            "a" * 5_000 + "@",
            "me@example.com",
        ),
    ],
)
def test_a_worker_answer_against_a_backtracking_pattern_is_judged_at_once(
    requester, requester_client, make_worker, pattern, evil_answer, good_answer
):
    # given: a task whose schema holds the pattern, claimed by a worker
    assert post_task(requester_client, answer_schema=schema_with(pattern)).status_code == 201
    worker = make_worker()
    assignment_id = claim_assignment_id(worker)
    before = world()
    # when: the worker sends the pathological answer
    response = submit(worker, assignment_id, {"label": evil_answer})
    # then: refused if it does not match; the assignment is as it was
    if response.status_code == 400:
        assert_invalid(response, "answer.label")
        assert world() == before
        # and a matching answer is taken
        response = submit(worker, assignment_id, {"label": good_answer})
    assert response.status_code == 200, response.content[:300]
    assert Assignment.objects.get(pk=assignment_id).status == "submitted"


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object", "patternProperties": {"^(a+)+$": {"type": "integer"}}},
        {"type": "object", "patternProperties": {"^(a|a)*$": {}}, "additionalProperties": False},
        {"type": "object", "patternProperties": {"^(x+x+)+y$": {}}, "unevaluatedProperties": False},
        {"type": "object", "propertyNames": {"pattern": "^(a+)+$"}},
        {"type": "object", "properties": {"l": {"type": "array", "items": {"pattern": "^(a+)+$"}}}},
        {
            "$defs": {"t": {"type": "string", "pattern": "^(a+)+$"}},
            "type": "object",
            "additionalProperties": {"$ref": "#/$defs/t"},
        },
    ],
)
def test_every_keyword_that_runs_a_regex_runs_it_without_backtracking(requester_client, make_worker, schema):
    # given
    assert post_task(requester_client, answer_schema=schema).status_code == 201
    worker = make_worker()
    assignment_id = claim_assignment_id(worker)
    evil = "a" * 3_000 + "!"
    # when: the evil string is a key, an item and a value at once
    response = submit(worker, assignment_id, {evil: evil, "l": [evil], "x" * 3_000: "x"})
    # then: it returns (a 400 or a 200 as the schema says), and the process still serves
    assert response.status_code in (200, 400), response.content[:300]
    assert worker.client.get("/api/v1/worker/me").status_code == 200


# --- patterns are checked when posted ------------------------------------------------------------


@pytest.mark.parametrize(
    ("schema", "field"),
    [
        (schema_with("(a)\\1"), "answer_schema.properties.label.pattern"),
        (schema_with("(?=lookahead)"), "answer_schema.properties.label.pattern"),
        (schema_with("(?<!behind)x"), "answer_schema.properties.label.pattern"),
        (schema_with("[unclosed"), "answer_schema.properties.label.pattern"),
        ({"patternProperties": {"(a)\\1": {}}}, "answer_schema.patternProperties.(a)\\1"),
        ({"$defs": {"name": {"pattern": "(?=x)"}}}, "answer_schema.$defs.name.pattern"),
        ({"items": [{"pattern": "(?!x)"}]}, "answer_schema.items.0.pattern"),
        (
            {"properties": {"a": {"properties": {"b": {"pattern": "x{1001}"}}}}},
            "answer_schema.properties.a.properties.b.pattern",
        ),
    ],
)
def test_a_pattern_re2_cannot_run_is_a_400_naming_its_path(requester_client, schema, field):
    before = world()
    response = post_task(requester_client, answer_schema=schema)
    error = assert_invalid(response, field)
    assert "RE2" in error["fields"][field][0]
    assert world() == before


def test_in_a_list_of_tasks_the_bad_pattern_is_named_with_its_task_index(requester_client):
    before = world()
    body = [{"title": "a", "reward": "0.01"}, {"title": "b", "reward": "0.01", "answer_schema": schema_with("(a)\\1")}]
    response = requester_client.post("/api/v1/tasks", body, format="json")
    assert_invalid(response, "1.answer_schema.properties.label.pattern")
    assert world() == before


def test_re2_syntax_that_python_lacks_is_accepted_and_used(requester_client, make_worker):
    # \pL (any letter) is RE2 syntax Python's re refuses: the schema is judged by the engine that runs it
    assert post_task(requester_client, answer_schema=schema_with("^\\pL+$")).status_code == 201
    worker = make_worker()
    assignment_id = claim_assignment_id(worker)
    assert submit(worker, assignment_id, {"label": "déjà1"}).status_code == 400
    assert submit(worker, assignment_id, {"label": "déjà"}).status_code == 200


def test_a_property_named_pattern_is_data_not_a_regex(requester_client):
    schema = {"type": "object", "properties": {"pattern": {"type": "string"}}, "enum": [{"pattern": "(a)\\1"}]}
    assert post_task(requester_client, answer_schema=schema).status_code == 201


# --- other costs a schema can carry --------------------------------------------------------------


def fan_out(levels: int) -> dict:
    """Each level refers to the next twice: 2**levels evaluations of the last."""
    defs = {f"d{i}": {"allOf": [{"$ref": f"#/$defs/d{i + 1}"}, {"$ref": f"#/$defs/d{i + 1}"}]} for i in range(levels)}
    defs[f"d{levels}"] = {"type": "object"}
    return {"$defs": defs, "$ref": "#/$defs/d0"}


def test_an_exponential_schema_is_refused_at_posting_within_the_budget(requester_client):
    before = world()
    response = post_task(requester_client, answer_schema=fan_out(60))
    error = assert_invalid(response, "answer_schema")
    assert "too costly" in error["fields"]["answer_schema"][0]
    assert world() == before
    assert requester_client.get("/api/v1/tasks").status_code == 200


@pytest.mark.parametrize(
    ("dialect", "defs"),
    [
        ("https://json-schema.org/draft/2020-12/schema", "$defs"),
        ("http://json-schema.org/draft-07/schema#", "definitions"),
    ],
)
def test_a_subschema_naming_its_own_dialect_stays_within_the_budget(requester_client, make_worker, dialect, defs):
    # given: a fan-out hidden under a property (the trial answers never reach it) in a
    # subschema that names its own $schema, as if to leave the bounded validator
    inner = {f"d{i}": {"allOf": [{"$ref": f"#/properties/a/{defs}/d{i + 1}"}] * 2} for i in range(60)}
    inner["d60"] = {}
    schema = {
        "type": "object",
        "properties": {"a": {"$schema": dialect, defs: inner, "$ref": f"#/properties/a/{defs}/d0"}},
    }
    assert post_task(requester_client, answer_schema=schema).status_code == 201
    worker = make_worker()
    assignment_id = claim_assignment_id(worker)
    before = world()
    # when: the answer reaches it
    response = submit(worker, assignment_id, {"a": {}})
    # then
    error = assert_invalid(response, "answer")
    assert "too costly" in error["fields"]["answer"][0]
    assert world() == before


def test_a_thousand_costly_schemas_in_one_call_share_one_budget(requester_client):
    # Each alone would pass; together they would take minutes: one request, one budget.
    before = world()
    body = [
        {"title": f"t{i}", "reward": "0.01", "answer_schema": {**fan_out(12), "title": f"schema {i}"}}
        for i in range(1000)
    ]
    response = requester_client.post("/api/v1/tasks", body, format="json")
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert "0.answer_schema" not in fields  # the first ones fit the budget
    assert "999.answer_schema" in fields and "too costly" in fields["999.answer_schema"][0]
    assert world() == before


def test_one_schema_repeated_across_a_thousand_tasks_is_judged_once(requester_client):
    body = [{"title": f"t{i}", "reward": "0.01", "answer_schema": fan_out(12)} for i in range(1000)]
    response = requester_client.post("/api/v1/tasks", body, format="json")
    assert response.status_code == 201
    assert Task.objects.count() == 1000


def test_an_answer_too_costly_to_check_is_a_400_and_changes_nothing(requester_client, make_worker):
    # given: a modest schema (fine on ordinary answers) and a huge answer
    schema = {
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "items": {"anyOf": [{"type": "integer", "minimum": 5}, {"type": "integer", "maximum": 3}]},
            }
        },
    }
    assert post_task(requester_client, answer_schema=schema).status_code == 201
    worker = make_worker()
    assignment_id = claim_assignment_id(worker)
    before = world()
    # when
    response = submit(worker, assignment_id, {"items": [4] * 100_000})
    # then
    error = assert_invalid(response, "answer")
    assert "too costly" in error["fields"]["answer"][0]
    assert world() == before
    assert submit(worker, assignment_id, {"items": [1, 9]}).status_code == 200


def test_unique_items_on_a_big_array_of_objects_is_decided_at_once(requester_client, make_worker):
    schema = {"type": "object", "properties": {"rows": {"type": "array", "uniqueItems": True}}}
    assert post_task(requester_client, answer_schema=schema).status_code == 201
    worker = make_worker()
    assignment_id = claim_assignment_id(worker)
    rows = [{"n": i, "tags": [i, str(i)]} for i in range(30_000)]
    # a duplicate far down, equal only by JSON Schema's equality (1 == 1.0; key order ignored)
    duplicate = submit(worker, assignment_id, {"rows": [*rows, {"tags": [7.0, "7"], "n": 7}]})
    assert_invalid(duplicate, "answer.rows")
    assert "non-unique" in duplicate.json()["error"]["fields"]["answer.rows"][0]
    # true and 1 are different values
    assert submit(worker, assignment_id, {"rows": [*rows, True, 1]}).status_code == 200


def test_an_answer_schema_over_the_size_limit_is_a_400(requester_client):
    before = world()
    schema = {"type": "object", "enum": ["x" * 1000] * (MAX_ANSWER_SCHEMA_CHARS // 1000 + 1)}
    response = post_task(requester_client, answer_schema=schema)
    assert_invalid(response, "answer_schema")
    assert world() == before


@pytest.fixture
def listening_server():
    """A local HTTP server that records every request made to it."""
    hits: list[str] = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the http.server API)
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"type": "string"}')

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()


@pytest.mark.parametrize("keyword", ["$ref", "$dynamicRef"])
def test_no_reference_is_ever_fetched(requester_client, listening_server, keyword):
    base, hits = listening_server
    for schema in (
        {keyword: f"{base}/schema.json"},
        {"$id": f"{base}/root.json", "properties": {"a": {keyword: "other.json"}}},
    ):
        response = post_task(requester_client, answer_schema=schema)
        assert response.status_code == 400, response.content[:300]
    assert hits == []
    assert Task.objects.count() == 0
