"""The hot worker routes answered at the ASGI layer (api/views/worker/hot.py) answer as Django
does: the same statuses, bodies and headers for a claim, a submit, an empty queue and the
refusals, and everything that is not the plain case is Django's own answer. Each request is sent
twice over ASGI, through the hot layer and through Django alone, on committed data (the hot
layer works on its own threads and connections)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from django.core.asgi import get_asgi_application

from marketplace.api.views.worker.hot import HotWorkerRoutes
from marketplace.models import Assignment
from marketplace.observability.asgi import EXCHANGE_KEY, Exchange
from tests.conftest import needs_postgres

pytestmark = [pytest.mark.django_db(transaction=True), needs_postgres]

NEXT = "/api/v1/worker/tasks/next"
VARYING = {"date", "content-length", "x-request-id"}


def _submit_url(assignment_id: int) -> str:
    return f"/api/v1/worker/assignments/{assignment_id}/submit"


@pytest.fixture(scope="module")
def apps():
    django_app = get_asgi_application()
    return {"hot": HotWorkerRoutes(django_app), "django": django_app}


def _post(app, path: str, token: str, body: object = None, headers: dict | None = None) -> httpx.Response:
    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            sent = {"Authorization": f"Bearer {token}", **(headers or {})}
            return (
                await client.post(path, json=body, headers=sent)
                if body is not None
                else await client.post(path, headers=sent)
            )

    return asyncio.run(send())


def _headers(response: httpx.Response) -> dict[str, str]:
    return {name: value for name, value in response.headers.items() if name not in VARYING}


def test_claim_and_submit_answer_as_django_does(apps, make_requester, make_worker, make_tasks):
    # given: two workers with the same kind of work waiting
    requester = make_requester()
    make_tasks(requester.organization, 4, slots=1)
    hot_worker, django_worker = make_worker(), make_worker()

    # when: each claims and submits, one through the hot layer, one through Django
    claimed = {
        "hot": _post(apps["hot"], NEXT, hot_worker.token),
        "django": _post(apps["django"], NEXT, django_worker.token),
    }
    submitted = {
        side: _post(
            apps[side], _submit_url(claimed[side].json()["assignment_id"]), worker.token, {"answer": {"label": "cat"}}
        )
        for side, worker in (("hot", hot_worker), ("django", django_worker))
    }

    # then: the same statuses, headers and bodies (but for the ids and times)
    for responses in (claimed, submitted):
        assert responses["hot"].status_code == responses["django"].status_code == 200
        assert _headers(responses["hot"]) == _headers(responses["django"]), (
            responses["hot"].headers,
            responses["django"].headers,
        )
        hot, django = responses["hot"].json(), responses["django"].json()
        assert hot.keys() == django.keys()
        assert {key: type(value) for key, value in hot.items()} == {key: type(value) for key, value in django.items()}
        for key in hot.keys() & {"task_type", "reward", "labels", "answer_schema", "status", "answer", "feedback"}:
            assert hot[key] == django[key], key
    stored = Assignment.objects.get(pk=claimed["hot"].json()["assignment_id"])
    assert (stored.worker_id, stored.status, stored.answer) == (hot_worker.pk, "submitted", {"label": "cat"})


def test_an_empty_queue_and_the_refusals_answer_as_django_does(apps, make_requester, make_worker, make_tasks):
    # given: one task a worker has already claimed, and another worker
    requester = make_requester()
    make_tasks(requester.organization, 1, slots=1)
    worker, other = make_worker(), make_worker()
    assignment_id = _post(apps["hot"], NEXT, worker.token).json()["assignment_id"]

    cases = {
        "nothing open": (NEXT, other.token, None),
        "not yours": (_submit_url(assignment_id), other.token, {"answer": {"label": "cat"}}),
        "no answer": (_submit_url(assignment_id), worker.token, {"answr": 1}),
        "not an id of anyone": (_submit_url(10**17), worker.token, {"answer": {"label": "cat"}}),
    }
    for name, (path, token, body) in cases.items():
        # when
        hot, django = _post(apps["hot"], path, token, body), _post(apps["django"], path, token, body)

        # then
        assert hot.status_code == django.status_code, name
        assert hot.status_code in (204, 400, 404), name
        assert _headers(hot) == _headers(django), name
        assert hot.content == django.content, name


def test_a_conflict_answers_as_django_does(apps, make_requester, make_worker, make_tasks):
    # given: an answered assignment
    requester = make_requester()
    make_tasks(requester.organization, 1, slots=1)
    worker = make_worker()
    assignment_id = _post(apps["hot"], NEXT, worker.token).json()["assignment_id"]
    assert _post(apps["hot"], _submit_url(assignment_id), worker.token, {"answer": {"label": "cat"}}).status_code == 200

    # when: another answer to it, through each
    other_answer = {"answer": {"label": "dog"}}
    hot = _post(apps["hot"], _submit_url(assignment_id), worker.token, other_answer)
    django = _post(apps["django"], _submit_url(assignment_id), worker.token, other_answer)

    # then
    assert hot.status_code == django.status_code == 409
    assert hot.json()["error"]["code"] == "already_submitted"
    assert (_headers(hot), hot.content) == (_headers(django), django.content)


def test_what_is_not_the_plain_case_is_djangos_answer(apps, make_requester, make_worker, make_tasks):
    # given
    requester = make_requester()
    make_tasks(requester.organization, 3, slots=1)
    worker = make_worker()

    # when / then: a requester's key, an unknown token, a replayable request
    refused = _post(apps["hot"], NEXT, requester.api_key)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    unknown = _post(apps["hot"], NEXT, "gww_not-a-token")
    assert unknown.status_code == 401 and unknown.headers["www-authenticate"] == 'Bearer realm="groundwork"'
    first = _post(apps["hot"], NEXT, worker.token, headers={"Idempotency-Key": "k-1"})
    again = _post(apps["hot"], NEXT, worker.token, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true" and again.json() == first.json()
    assert Assignment.objects.filter(worker=worker).count() == 1


def test_the_hot_routes_name_their_url_pattern_for_the_metrics(apps, make_requester, make_worker, make_tasks):
    # given: the request's exchange, as observability.asgi hands it down
    requester = make_requester()
    make_tasks(requester.organization, 1, slots=1)
    worker = make_worker()
    exchanges: list[Exchange] = []

    async def observed(scope, receive, send):
        exchange = scope[EXCHANGE_KEY] = Exchange()
        exchanges.append(exchange)
        await apps["hot"](scope, receive, send)

    # when
    assignment_id = _post(observed, NEXT, worker.token).json()["assignment_id"]
    _post(observed, _submit_url(assignment_id), worker.token, {"answer": {"label": "cat"}})

    # then: the templates Django's resolver gives (the metrics count claims and submits by them)
    assert [exchange.route for exchange in exchanges] == [
        "api/v1/worker/tasks/next",
        "api/v1/worker/assignments/<id:assignment_id>/submit",
    ]
