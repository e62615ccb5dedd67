"""Text at the edge: every string of every JSON body, query parameter and path is Unicode
PostgreSQL can store, and JSON nests at most ``MAX_JSON_DEPTH`` levels (issue 13, defects 3, 8
and 9). Checked once, in the JSON parser and a middleware, so every field of every endpoint is
covered; these tests walk a broad sample of them."""

# Raw JSON with escapes is written with %-formatting here: str.format would double every brace.
# ruff: noqa: UP031

from __future__ import annotations

import json

import pytest

from marketplace.errors import InvalidInput
from marketplace.jsonbody import MAX_JSON_DEPTH, parse_json
from marketplace.models import Assignment, Task
from tests.marketplace.edge_helpers import assert_invalid, post_raw, world

SURROGATE = "\\ud800"  # as written in JSON: a lone high surrogate
NUL = "\\u0000"
TASK = '"reward": "0.01", "title": "t"'


# --- defect 3: lone surrogates (and NUL) in every write field --------------------------------


@pytest.mark.parametrize("bad", [SURROGATE, "\\udfff", NUL, "ok " + SURROGATE + " and more"])
@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/tasks", '{"reward": "0.01", "title": "%s"}', "title"),
        ("/api/v1/tasks", '{%s, "description": "%%s"}' % TASK, "description"),
        ("/api/v1/tasks", '{%s, "instructions": "%%s"}' % TASK, "instructions"),
        ("/api/v1/tasks", '{%s, "input": {"text": "%%s"}}' % TASK, "input.text"),
        ("/api/v1/tasks", '{%s, "input": {"rows": [1, {"deep": ["x", "%%s"]}]}}' % TASK, "input.rows.1.deep.1"),
        ("/api/v1/tasks", '{%s, "labels": ["cat", "%%s"]}' % TASK, "labels.1"),
        ("/api/v1/tasks", '[{%s}, {%s, "title": "%%s"}]' % (TASK, '"reward": "0.01"'), "1.title"),
        ("/api/v1/workteams", '{"name": "%s"}', "name"),
        ("/api/v1/api-keys", '{"name": "%s"}', "name"),
        ("/api/v1/qualification-types", '{"name": "%s", "description": "d"}', "name"),
        ("/api/v1/worker-blocks", '{"worker_id": 1, "reason": "%s"}', "reason"),
        ("/api/v1/bonuses", '{"worker_id": 1, "amount": "0.10", "reason": "%s"}', "reason"),
        ("/api/v1/labeling-jobs", '{"name": "job", "input_manifest_uri": "s3://b/%s"}', "input_manifest_uri"),
        (
            "/api/v1/tasks",
            '{%s, "answer_schema": {"properties": {"label": {"pattern": "%%s"}}}}' % TASK,
            "answer_schema.properties.label.pattern",
        ),
        ("/api/v1/worker/signup", '{"username": "%s"}', "username"),
    ],
)
def test_a_string_the_database_cannot_store_is_a_400_naming_the_field(requester_client, path, body, field, bad):
    # given
    before = world()
    # when
    response = post_raw(requester_client, path, body % bad)
    # then
    error = assert_invalid(response, field)
    assert list(error["fields"]) == [field]
    assert world() == before


@pytest.mark.parametrize("bad", [SURROGATE, NUL])
def test_a_bad_key_is_named_with_its_bad_character_escaped(requester_client, bad):
    before = world()
    response = post_raw(requester_client, "/api/v1/tasks", '{%s, "input": {"a%s": 1}}' % (TASK, bad))
    error = assert_invalid(response, f"input.a{bad}")
    assert "key" in error["fields"][f"input.a{bad}"][0]
    assert world() == before


def test_a_worker_answer_with_a_lone_surrogate_is_a_400_and_the_assignment_stays_live(
    requester, make_tasks, make_worker
):
    # given: a worker holding an assignment
    make_tasks(requester.organization, 1)
    worker = make_worker()
    assignment_id = worker.client.post("/api/v1/worker/tasks/next").json()["assignment_id"]
    before = world()
    # when
    response = post_raw(
        worker.client,
        f"/api/v1/worker/assignments/{assignment_id}/submit",
        '{"answer": {"label": "%s", "notes": ["fine"]}}' % SURROGATE,
    )
    # then
    assert_invalid(response, "answer.label")
    assert world() == before
    # and a clean answer afterwards is taken
    ok = worker.client.post(
        f"/api/v1/worker/assignments/{assignment_id}/submit", {"answer": {"label": "x"}}, format="json"
    )
    assert ok.status_code == 200
    assert Assignment.objects.get(pk=assignment_id).status == "submitted"


def test_reject_feedback_with_a_lone_surrogate_is_a_400_and_the_assignment_stays_submitted(
    requester, requester_client, make_tasks, make_worker
):
    make_tasks(requester.organization, 1)
    worker = make_worker()
    assignment_id = worker.client.post("/api/v1/worker/tasks/next").json()["assignment_id"]
    worker.client.post(f"/api/v1/worker/assignments/{assignment_id}/submit", {"answer": {"a": 1}}, format="json")
    before = world()
    response = post_raw(
        requester_client, f"/api/v1/assignments/{assignment_id}/reject", '{"feedback": "%s"}' % SURROGATE
    )
    assert_invalid(response, "feedback")
    assert world() == before
    assert Assignment.objects.get(pk=assignment_id).status == "submitted"


def test_an_idempotent_post_with_a_bad_string_is_refused_and_replayed_without_storing_the_bad_text(
    requester_client,
):
    # The 400 is remembered for the key (DESIGN rule 5): its body must itself be storable.
    body = '{%s, "input": {"k%s": 1}}' % (TASK, SURROGATE)
    headers = {"HTTP_IDEMPOTENCY_KEY": "edge-text-1"}
    first = requester_client.generic("POST", "/api/v1/tasks", body.encode(), content_type="application/json", **headers)
    again = requester_client.generic("POST", "/api/v1/tasks", body.encode(), content_type="application/json", **headers)
    assert first.status_code == again.status_code == 400
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert Task.objects.count() == 0


# --- defect 9: depth ---------------------------------------------------------------------------


def nested(levels: int, leaf: str = "1") -> str:
    return '{"a": ' * levels + leaf + "}" * levels


def test_an_answer_nested_960_levels_is_a_400_naming_where_it_passes_the_limit(requester, make_tasks, make_worker):
    # given: the defect as reported: an answer 960 levels deep
    make_tasks(requester.organization, 1)
    worker = make_worker()
    assignment_id = worker.client.post("/api/v1/worker/tasks/next").json()["assignment_id"]
    before = world()
    # when
    response = post_raw(
        worker.client, f"/api/v1/worker/assignments/{assignment_id}/submit", '{"answer": %s}' % nested(959)
    )
    # then: the container past the limit is named (the body itself is level 1)
    assert_invalid(response, "answer" + ".a" * (MAX_JSON_DEPTH - 1))
    assert world() == before


@pytest.mark.parametrize("levels", [MAX_JSON_DEPTH, 500, 5_000, 200_000])
def test_bodies_nested_past_the_limit_are_a_400_at_any_depth(requester_client, levels):
    # Past ~1,000 levels the parser itself gives up; the field is still named.
    before = world()
    response = post_raw(requester_client, "/api/v1/tasks", '{%s, "input": %s}' % (TASK, nested(levels)))
    assert_invalid(response, "input" + ".a" * (MAX_JSON_DEPTH - 1))
    assert world() == before


def test_lists_nested_past_the_limit_name_the_indexes(requester_client):
    before = world()
    response = post_raw(
        requester_client, "/api/v1/tasks", '{%s, "input": {"x": [0, %s]}}' % (TASK, "[" * 70 + "]" * 70)
    )
    assert_invalid(response, "input.x.1" + ".0" * (MAX_JSON_DEPTH - 3))
    assert world() == before


def test_a_body_at_the_limit_is_stored_and_read_back(requester_client):
    levels = MAX_JSON_DEPTH - 2  # the body and "input" take two
    response = post_raw(requester_client, "/api/v1/tasks", '{%s, "input": %s}' % (TASK, nested(levels)))
    assert response.status_code == 201, response.content[:300]
    shown = requester_client.get(f"/api/v1/tasks/{response.json()['id']}").json()["input"]
    assert json.dumps(shown) == json.dumps(json.loads(nested(levels)))


@pytest.mark.parametrize("number", ["1e400", "-1e400", "1" + "0" * 400 + ".5"])
def test_a_number_beyond_a_double_is_a_400_naming_it(requester_client, number):
    # Python reads these as infinity, which jsonb refuses: it was a 500.
    before = world()
    response = post_raw(requester_client, "/api/v1/tasks", '{%s, "input": {"x": [1, %s]}}' % (TASK, number))
    assert_invalid(response, "input.x.1")
    assert world() == before


def test_the_parser_names_fields_for_every_caller():
    # The websocket consumer and manifest reading use the same parser.
    with pytest.raises(InvalidInput) as refused:
        parse_json('{"type": "submit", "answer": {"boxes": [{"label": "%s"}]}}' % SURROGATE)
    assert refused.value.fields == {"answer.boxes.0.label": [refused.value.fields["answer.boxes.0.label"][0]]}
    assert "surrogate" in refused.value.message
    assert parse_json('{"emoji": "\\ud83d\\ude00"}') == {"emoji": "\U0001f600"}  # a pair is fine


# --- defect 8: query parameters and paths -----------------------------------------------------


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/labeling-jobs?name_contains=%00", "name_contains"),
        ("/api/v1/labeling-jobs?status=in_progress&name_contains=a%00b", "name_contains"),
        ("/api/v1/tasks?status=%00", "status"),
        ("/api/v1/batches?cursor=%00", "cursor"),
        ("/api/v1/assignments?flagged=%00", "flagged"),
        ("/api/v1/workteams?limit=%00", "limit"),
        ("/api/v1/statement?format=%00", "format"),
        ("/api/v1/qualification-types?x%00y=1", "x\\u0000y"),
        ("/api/v1/api-keys?limit=1&limit=%00", "limit"),
    ],
)
def test_a_query_parameter_with_nul_is_a_400_naming_it(requester_client, path, field):
    before = world()
    response = requester_client.get(path)
    error = assert_invalid(response, field)
    assert list(error["fields"]) == [field]
    assert world() == before


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/worker/assignments?cursor=%00",
        "/api/v1/worker/statement?x=%00",
        "/api/v1/worker/qualification-tests?name=%00",
    ],
)
def test_worker_list_query_parameters_are_checked_too(make_worker, path):
    worker = make_worker()
    before = world()
    assert worker.client.get(path).status_code == 400
    assert world() == before


def test_a_query_parameter_that_is_not_utf8_is_not_a_500(requester_client):
    # Django decodes with replacement characters, which PostgreSQL stores fine.
    response = requester_client.get("/api/v1/labeling-jobs?name_contains=%ED%A0%80")
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_a_path_with_nul_is_a_400(requester_client):
    assert requester_client.get("/api/v1/tasks%00").status_code == 400
