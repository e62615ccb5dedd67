"""``/metrics`` of a real ``uvicorn --workers 2`` started as an operator would (no
``PROMETHEUS_MULTIPROC_DIR``): whichever worker answers the scrape, the counters are the sums
of both workers'; labels are route templates; and who may read it."""

from __future__ import annotations

import json
import os
import re

import pytest
from websockets.sync.client import connect

from tests.conftest import needs_postgres

from .live_server import http, samples, start_uvicorn

pytestmark = [
    needs_postgres,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis: set REDIS_URL"),
    pytest.mark.django_db(transaction=True),  # the server reads the test database
]
TOKEN = "scrape-token-0123456789"


@pytest.fixture(scope="module")
def server(tmp_path_factory, django_db_setup, django_db_blocker):
    """Two workers; /metrics open only to a network the tests are not in, or with the token."""
    started = start_uvicorn(
        tmp_path_factory.mktemp("metrics-server"),
        workers=2,
        METRICS_ALLOWED_NETWORKS="192.0.2.0/24",
        METRICS_BEARER_TOKEN=TOKEN,
        BACKGROUND_MODE="celery",
        CELERY_QUEUE=f"ops-metrics-{os.getpid()}",
    )
    yield started
    started.stop()


def scrape(server) -> str:
    status, _, body = http("GET", f"{server.base_url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert status == 200, body
    return body.decode()


def test_metrics_sum_both_workers_counters_and_label_routes_by_template(server):
    # given: requests to one route with many ids, until both workers have answered some
    made = 0
    while made < 400:
        status, headers, _ = http("GET", f"{server.base_url}/api/v1/tasks/{1000 + made}")
        assert status == 401
        made += 1
        pids = {
            line["pid"]
            for line in server.log_lines()
            if line.get("route") == "api/v1/tasks/<id:task_id>" and line.get("status") == 401
        }
        if made >= 40 and len(pids) == 2:
            break
    assert len(pids) == 2, "both workers answered"

    # when the metrics are scraped, several times (each scrape is answered by either worker)
    scraped = [scrape(server) for _ in range(6)]

    # then every scrape counts every request made, whichever worker served it
    key = (("method", "GET"), ("route", "api/v1/tasks/<id:task_id>"), ("status", "401"))
    assert {samples(text, "groundwork_http_requests_total").get(key) for text in scraped} == {made}
    latency = (("method", "GET"), ("route", "api/v1/tasks/<id:task_id>"))
    assert {samples(text, "groundwork_http_request_duration_seconds_count").get(latency) for text in scraped} == {made}
    # and no raw path is a label: the ids requested appear nowhere in the output
    assert not re.search(r'route="[^"]*\b1\d{3}\b', scraped[-1])
    assert "/api/v1/tasks/1000" not in scraped[-1]
    # and the scrape-time gauges are there, read from the database and Redis
    up = samples(scraped[-1], "groundwork_scrape_source_up")
    assert up == {(("source", "marketplace"),): 1.0, (("source", "celery"),): 1.0, (("source", "labeling"),): 1.0}
    assert samples(scraped[-1], "groundwork_websocket_connections") == {(): 0.0}


def test_a_path_no_pattern_matches_is_labelled_unmatched_not_by_its_path(server):
    # when
    for suffix in ("a", "b", "c"):
        assert http("GET", f"{server.base_url}/no-such-page-{suffix}")[0] == 404
    # then
    text = scrape(server)
    assert "no-such-page" not in text
    assert (
        samples(text, "groundwork_http_requests_total")[
            (("method", "GET"), ("route", "<unmatched>"), ("status", "404"))
        ]
        >= 3
    )


def test_metrics_are_refused_outside_the_allowed_networks_without_the_token(server):
    # when: from loopback, which this server does not allow, with no token or a wrong one
    refused = http("GET", f"{server.base_url}/metrics")
    wrong = http("GET", f"{server.base_url}/metrics", headers={"Authorization": "Bearer not-the-token"})
    allowed = http("GET", f"{server.base_url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    # then
    assert (refused[0], wrong[0], allowed[0]) == (403, 403, 200)
    assert b'"code":"forbidden"' in refused[2].replace(b" ", b"")
    assert b"groundwork_http_requests_total" not in refused[2]
    assert allowed[1]["content-type"].startswith("text/plain")
    assert b"# TYPE groundwork_http_requests_total counter" in allowed[2]


def test_every_response_carries_a_request_id_a_sane_incoming_one_kept(server):
    # when
    _, given_headers, _ = http("GET", f"{server.base_url}/healthz", headers={"X-Request-ID": "lb-7f3a.42"})
    _, insane_headers, _ = http("GET", f"{server.base_url}/healthz", headers={"X-Request-ID": "no spaces\tplease"})
    _, made_headers, _ = http("GET", f"{server.base_url}/healthz")
    # then
    assert given_headers["X-Request-ID"] == "lb-7f3a.42"
    assert re.fullmatch(r"[0-9a-f]{16}", insane_headers["X-Request-ID"])
    assert re.fullmatch(r"[0-9a-f]{16}", made_headers["X-Request-ID"])
    assert made_headers["X-Request-ID"] != insane_headers["X-Request-ID"]


def test_claims_are_counted_by_channel_and_open_sockets_by_the_gauge(server, make_worker):
    # given a worker with nothing to do
    worker = make_worker()
    url = server.base_url.replace("http://", "ws://") + "/ws/worker/"
    # when it asks over REST, then over a websocket (measured while the socket is open)
    status, _, _ = http(
        "POST", f"{server.base_url}/api/v1/worker/tasks/next", headers={"Authorization": f"Bearer {worker.token}"}
    )
    assert status == 204
    with connect(url, additional_headers={"Authorization": f"Bearer {worker.token}"}) as socket:
        socket.send(json.dumps({"type": "ready", "ref": 1}))
        assert json.loads(socket.recv(timeout=30))["type"] == "idle"
        while_open = scrape(server)
    after = scrape(server)

    # then each claim is counted once, on its channel, as empty; the socket while it was open
    claims = samples(after, "groundwork_claims_total")
    assert claims[(("channel", "rest"), ("outcome", "empty"))] == 1
    assert claims[(("channel", "websocket"), ("outcome", "empty"))] == 1
    assert samples(after, "groundwork_claim_duration_seconds_count")[(("channel", "websocket"),)] == 1
    assert samples(while_open, "groundwork_websocket_connections") == {(): 1.0}
    assert samples(after, "groundwork_websocket_messages_total")[(("direction", "received"),)] == 1
