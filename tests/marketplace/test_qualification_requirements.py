"""Qualification requirements on batches, enforced by the one eligibility rule of dispatch
(``POST /api/v1/worker/tasks/next``): every comparator, integer and locale, bad input, and the
cost of the check when no batch has requirements."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from marketplace.models import Batch, QualificationType
from marketplace.services.dispatch import eligible_tasks, eligible_workteam_ids
from tests.support.factories import client_with

from .qualification_helpers import TASKS_URL, claimed_task_ids, create_type, grant, post_task, snapshot, system_type_id

pytestmark = pytest.mark.django_db

INTEGER_CASES = [
    # (comparator, values, a qualified worker's value, an unqualified worker's value; None = no grant)
    pytest.param(">=", 80, 80, 79, id=">=-below"),
    pytest.param(">=", [80], 95, None, id=">=-one-item-list-no-grant"),
    pytest.param("<=", 10, 10, 11, id="<=-above"),
    pytest.param("<=", 10, -3, None, id="<=-no-grant"),
    pytest.param("==", 3, 3, 4, id="==-other"),
    pytest.param("!=", 3, 4, 3, id="!=-equal"),
    pytest.param("!=", 3, 4, None, id="!=-no-grant"),
    pytest.param("exists", None, 0, None, id="exists-no-grant"),
    pytest.param("in", [1, 5], 5, 2, id="in-other"),
    pytest.param("in", [1, 5], 1, None, id="in-no-grant"),
]


@pytest.mark.parametrize(("comparator", "values", "qualified_value", "unqualified_value"), INTEGER_CASES)
def test_an_integer_requirement_offers_the_task_only_to_qualified_workers(
    make_requester, make_worker, comparator, values, qualified_value, unqualified_value
):
    # given: a restricted task of one requester, an unrestricted one of another
    owner, other = make_requester(), make_requester()
    expert = create_type(owner)
    requirement = {"qualification_type_id": expert["id"], "comparator": comparator}
    if values is not None:
        requirement["values"] = values
    restricted = post_task(owner, [requirement])
    unrestricted = post_task(other)
    qualified, unqualified = make_worker(), make_worker()
    assert grant(owner, expert["id"], qualified, qualified_value).status_code == 201
    if unqualified_value is not None:
        assert grant(owner, expert["id"], unqualified, unqualified_value).status_code == 201

    # when
    offered_to_unqualified = claimed_task_ids(unqualified)
    offered_to_qualified = claimed_task_ids(qualified)

    # then: the unqualified worker gets only the other requester's work, then 204
    assert offered_to_unqualified == [unrestricted["id"]]
    assert sorted(offered_to_qualified) == sorted([restricted["id"], unrestricted["id"]])


LOCALE_CASES = [
    pytest.param("==", "US", "US", "DE", id="==-other"),
    pytest.param("==", "us", "US", None, id="==-lower-case-no-locale"),
    pytest.param("!=", "US", "DE", "US", id="!=-equal"),
    pytest.param("!=", ["US"], "DE", None, id="!=-no-locale"),
    pytest.param("in", ["US", "CA"], "CA", "DE", id="in-other"),
    pytest.param("exists", None, "DE", None, id="exists-no-locale"),
]


@pytest.mark.parametrize(("comparator", "values", "qualified_locale", "unqualified_locale"), LOCALE_CASES)
def test_a_locale_requirement_offers_the_task_only_to_workers_of_those_countries(
    make_requester, make_worker, comparator, values, qualified_locale, unqualified_locale
):
    # given
    owner, other = make_requester(), make_requester()
    requirement = {"qualification_type_id": system_type_id(owner, "locale"), "comparator": comparator}
    if values is not None:
        requirement["values"] = values
    restricted = post_task(owner, [requirement])
    unrestricted = post_task(other)
    qualified = make_worker(locale=qualified_locale)
    unqualified = make_worker(locale=unqualified_locale)

    # when
    offered_to_unqualified = claimed_task_ids(unqualified)
    offered_to_qualified = claimed_task_ids(qualified)

    # then
    assert offered_to_unqualified == [unrestricted["id"]]
    assert sorted(offered_to_qualified) == sorted([restricted["id"], unrestricted["id"]])


def test_every_requirement_of_a_batch_must_be_met(make_requester, make_worker):
    # given: a range (>= 10 and <= 20) and a locale
    owner = make_requester()
    level = create_type(owner, name="Level")
    restricted = post_task(
        owner,
        [
            {"qualification_type_id": level["id"], "comparator": ">=", "values": 10},
            {"qualification_type_id": level["id"], "comparator": "<=", "values": 20},
            {"qualification_type_id": system_type_id(owner, "locale"), "comparator": "==", "values": "FR"},
        ],
    )
    in_range_french, too_high_french, in_range_german = (
        make_worker(locale="FR"),
        make_worker(locale="FR"),
        make_worker(locale="DE"),
    )
    for worker, value in ((in_range_french, 15), (too_high_french, 21), (in_range_german, 15)):
        assert grant(owner, level["id"], worker, value).status_code == 201

    # when / then
    assert claimed_task_ids(too_high_french) == []
    assert claimed_task_ids(in_range_german) == []
    assert claimed_task_ids(in_range_french) == [restricted["id"]]


def test_the_batch_shows_its_requirements_normalised(make_requester):
    # given
    owner = make_requester()
    expert = create_type(owner)
    locale_id = system_type_id(owner, "locale")
    task = post_task(
        owner,
        [
            {"qualification_type_id": expert["id"], "comparator": ">=", "values": 3},
            {"qualification_type_id": locale_id, "comparator": "in", "values": ["us", "Ca"]},
            {"qualification_type_id": expert["id"], "comparator": "exists"},
        ],
    )

    # when
    response = client_with(owner.api_key).get(f"/api/v1/batches/{task['batch_id']}")

    # then
    assert response.status_code == 200
    assert response.json()["qualification_requirements"] == [
        {"qualification_type_id": expert["id"], "comparator": ">=", "values": [3]},
        {"qualification_type_id": locale_id, "comparator": "in", "values": ["US", "CA"]},
        {"qualification_type_id": expert["id"], "comparator": "exists", "values": []},
    ]
    batch = Batch.objects.get(pk=task["batch_id"])
    assert batch.has_requirements is True


def test_a_batch_without_requirements_shows_an_empty_list_and_no_flag(make_requester):
    owner = make_requester()
    task = post_task(owner)
    response = client_with(owner.api_key).get(f"/api/v1/batches/{task['batch_id']}")
    assert response.json()["qualification_requirements"] == []
    assert Batch.objects.get(pk=task["batch_id"]).has_requirements is False


def test_tasks_added_to_a_restricted_batch_keep_its_requirements(make_requester, make_worker):
    # given
    owner = make_requester()
    expert = create_type(owner)
    requirement = {"qualification_type_id": expert["id"], "comparator": "exists"}
    first = post_task(owner, [requirement])
    client = client_with(owner.api_key)

    # when: a task added by batch_id without requirements, and one naming other requirements
    added = client.post(TASKS_URL, {"title": "more", "reward": "0.05", "batch_id": first["batch_id"]}, format="json")
    differing = client.post(
        TASKS_URL,
        {"title": "more", "reward": "0.05", "batch_id": first["batch_id"], "qualification_requirements": []},
        format="json",
    )

    # then
    assert added.status_code == 201
    assert differing.status_code == 400
    assert differing.json()["error"]["fields"] == {"qualification_requirements": ["differs from the named batch's"]}
    assert claimed_task_ids(make_worker()) == []


def test_a_requirement_on_another_requesters_type_is_a_400_and_creates_nothing(make_requester):
    # given
    owner, intruder = make_requester(), make_requester()
    expert = create_type(owner)
    before = snapshot()

    # when
    response = client_with(intruder.api_key).post(
        TASKS_URL,
        {
            "title": "t",
            "reward": "0.05",
            "qualification_requirements": [{"qualification_type_id": expert["id"], "comparator": "exists"}],
        },
        format="json",
    )

    # then
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "qualification_requirements.0.qualification_type_id": [
            "no such qualification type (your own active types and the system types may be required)"
        ]
    }
    assert snapshot() == before


def test_a_deactivated_type_cannot_be_required_but_posted_requirements_stay_enforced(make_requester, make_worker):
    # given
    owner = make_requester()
    expert = create_type(owner)
    restricted = post_task(owner, [{"qualification_type_id": expert["id"], "comparator": "exists"}])
    holder, stranger = make_worker(), make_worker()
    assert grant(owner, expert["id"], holder).status_code == 201
    client = client_with(owner.api_key)

    # when
    deactivated = client.post(f"/api/v1/qualification-types/{expert['id']}/deactivate")
    again = client.post(f"/api/v1/qualification-types/{expert['id']}/deactivate")
    new_requirement = client.post(
        TASKS_URL,
        {
            "title": "t",
            "reward": "0.05",
            "qualification_requirements": [{"qualification_type_id": expert["id"], "comparator": "exists"}],
        },
        format="json",
    )
    new_grant = grant(owner, expert["id"], stranger)

    # then
    assert deactivated.status_code == 200 and deactivated.json()["is_active"] is False
    assert again.status_code == 200 and again.json()["deactivated_at"] == deactivated.json()["deactivated_at"]
    assert new_requirement.status_code == 400
    assert list(new_requirement.json()["error"]["fields"]) == ["qualification_requirements.0.qualification_type_id"]
    assert new_grant.status_code == 409
    assert new_grant.json()["error"]["code"] == "qualification_type_inactive"
    assert claimed_task_ids(stranger) == []
    assert claimed_task_ids(holder) == [restricted["id"]]
    listed = [row["id"] for row in client.get("/api/v1/qualification-types").json()["results"]]
    assert expert["id"] not in listed


def _requirement_errors(requester, requirements) -> dict:
    response = client_with(requester.api_key).post(
        TASKS_URL, {"title": "t", "reward": "0.05", "qualification_requirements": requirements}, format="json"
    )
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "invalid"
    return response.json()["error"]["fields"]


def test_every_bad_requirement_field_is_a_400_naming_it(make_requester):
    # given
    owner = make_requester()
    expert_id = create_type(owner)["id"]
    locale_id = system_type_id(owner, "locale")
    before = snapshot()
    cases = [
        ("not a list", {"qualification_requirements": ["must be a list of at most 10 requirements"]}),
        (
            [{"qualification_type_id": expert_id, "comparator": "exists"}] * 11,
            {"qualification_requirements": ["must be a list of at most 10 requirements"]},
        ),
        (
            ["x"],
            {"qualification_requirements.0": ["must be an object with qualification_type_id, comparator and values"]},
        ),
        (
            [{"qualification_type_id": expert_id, "comparator": ">", "values": 1}],
            {"qualification_requirements.0.comparator": ["must be one of >=, <=, ==, !=, exists, in"]},
        ),
        (
            [{"qualification_type_id": "1", "comparator": "exists"}],
            {"qualification_requirements.0.qualification_type_id": ["must be an integer"]},
        ),
        (
            [{"qualification_type_id": expert_id, "comparator": "exists", "colour": 1}],
            {"qualification_requirements.0.colour": ["is not a known field"]},
        ),
        (
            [{"qualification_type_id": expert_id, "comparator": ">="}],
            {"qualification_requirements.0.values": ["must be one integer (or locale code) for >="]},
        ),
        (
            [{"qualification_type_id": expert_id, "comparator": "==", "values": [1, 2]}],
            {"qualification_requirements.0.values": ["must be one integer (or locale code) for =="]},
        ),
        (
            [{"qualification_type_id": expert_id, "comparator": "<=", "values": True}],
            {"qualification_requirements.0.values": ["must be one integer (or locale code) for <="]},
        ),
        (
            [{"qualification_type_id": expert_id, "comparator": "exists", "values": [1]}],
            {"qualification_requirements.0.values": ["must be left out for exists"]},
        ),
        (
            [{"qualification_type_id": expert_id, "comparator": "in", "values": []}],
            {"qualification_requirements.0.values": ["must be a list of 1 to 100 values for in"]},
        ),
        (
            [{"qualification_type_id": expert_id, "comparator": "in", "values": [1, 2**40]}],
            {"qualification_requirements.0.values": ["must be 32-bit integers (or locale codes)"]},
        ),
        (
            [{"qualification_type_id": expert_id, "comparator": ">=", "values": "10"}],
            {"qualification_requirements.0.values": ["must be integers for this qualification type"]},
        ),
        (
            [{"qualification_type_id": locale_id, "comparator": ">=", "values": "US"}],
            {"qualification_requirements.0.comparator": ["a locale compares with ==, !=, in or exists only"]},
        ),
        (
            [{"qualification_type_id": locale_id, "comparator": "in", "values": ["US", "XX"]}],
            {"qualification_requirements.0.values": ['must be ISO 3166-1 alpha-2 country codes, such as "US"']},
        ),
        (
            [{"qualification_type_id": locale_id, "comparator": "==", "values": 1}],
            {"qualification_requirements.0.values": ['must be ISO 3166-1 alpha-2 country codes, such as "US"']},
        ),
        (
            [{"qualification_type_id": 999999, "comparator": "exists"}],
            {
                "qualification_requirements.0.qualification_type_id": [
                    "no such qualification type (your own active types and the system types may be required)"
                ]
            },
        ),
    ]

    for requirements, expected in cases:
        # when / then
        assert _requirement_errors(owner, requirements) == expected, requirements
    assert snapshot() == before


def test_a_list_of_tasks_must_agree_on_requirements(make_requester):
    # given
    owner = make_requester()
    expert_id = create_type(owner)["id"]
    before = snapshot()
    requirement = [{"qualification_type_id": expert_id, "comparator": "exists"}]

    # when
    response = client_with(owner.api_key).post(
        TASKS_URL,
        [
            {"title": "a", "reward": "0.05", "qualification_requirements": requirement},
            {"title": "b", "reward": "0.05"},
        ],
        format="json",
    )
    bad_second = client_with(owner.api_key).post(
        TASKS_URL,
        [
            {"title": "a", "reward": "0.05"},
            {"title": "b", "reward": "0.05", "qualification_requirements": [{"comparator": "??"}]},
        ],
        format="json",
    )

    # then
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "1.qualification_requirements": ["must be the same for every task of one call"]
    }
    assert bad_second.status_code == 400
    assert bad_second.json()["error"]["fields"] == {
        "1.qualification_requirements.0.qualification_type_id": ["must be an integer"],
        "1.qualification_requirements.0.comparator": ["must be one of >=, <=, ==, !=, exists, in"],
    }
    assert snapshot() == before


def test_without_requirements_blocks_or_quality_stops_the_eligibility_rule_adds_one_query(
    make_requester, make_worker, make_tasks
):
    # given: open work, no batch with requirements, no blocks
    make_tasks(make_requester().organization, 3)
    worker = make_worker()
    workteam_ids = eligible_workteam_ids(worker)

    # when
    with CaptureQueriesContext(connection) as queries:
        eligible = eligible_tasks(worker=worker, workteam_ids=workteam_ids, now=timezone.now())

    # then: one query asks about blocks, quality stops and batches with requirements at once;
    # the task query is unchanged
    assert len(queries.captured_queries) == 1
    where = str(eligible.query).split(" WHERE ", 1)[1]
    assert "batch_id" not in where and "requester_id" not in where, where


def test_system_types_are_created_once_and_listed_with_the_requesters_own(make_requester):
    # given
    owner, other = make_requester(), make_requester()
    own = create_type(owner, name="Mine")
    create_type(other, name="Theirs")

    # when
    first = client_with(owner.api_key).get("/api/v1/qualification-types").json()["results"]
    second = client_with(owner.api_key).get("/api/v1/qualification-types").json()["results"]

    # then
    assert first == second
    assert sorted(
        (row["system_key"], row["name"], row["owner_id"], row["grant_method"], row["value_kind"])
        for row in first
        if row["system_key"]
    ) == [
        ("accuracy", "Accuracy", None, "system", "integer"),
        ("approval_rate", "Approval rate", None, "system", "integer"),
        ("approved_count", "Approved assignments", None, "system", "integer"),
        ("locale", "Locale", None, "system", "locale"),
    ]
    assert [row["id"] for row in first if not row["system_key"]] == [own["id"]]
    assert QualificationType.objects.filter(owner__isnull=True).count() == 4
