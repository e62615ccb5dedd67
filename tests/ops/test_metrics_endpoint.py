"""``/metrics`` in this process (the test client): who may read it, and the gauges it reads
from the database at scrape time, checked against what the tests made."""

from __future__ import annotations

import pytest

from marketplace.observability.scrape import forget_cached_gauges
from marketplace.services.dispatch import assignment_claim
from marketplace.services.workteams import public_workforce, workteam_create

from .live_server import samples


@pytest.fixture(autouse=True)
def _fresh_gauges():
    forget_cached_gauges()
    yield
    forget_cached_gauges()


def get_metrics(client, *, address: str = "127.0.0.1", token: str | None = None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.get("/metrics", REMOTE_ADDR=address, **headers)


@pytest.mark.django_db
def test_metrics_are_open_to_loopback_and_refused_elsewhere_by_default(client):
    # when
    local, local_v6, remote = (
        get_metrics(client),
        get_metrics(client, address="::1"),
        get_metrics(client, address="203.0.113.9"),
    )
    # then
    assert (local.status_code, local_v6.status_code, remote.status_code) == (200, 200, 403)
    assert local["Content-Type"].startswith("text/plain; version=")
    assert remote.json()["error"]["code"] == "forbidden"
    assert b"groundwork_" not in remote.content


@pytest.mark.django_db
def test_allowed_networks_widen_and_replace_the_default(client, settings):
    # given
    settings.METRICS_ALLOWED_NETWORKS = ["203.0.113.0/24"]
    # when / then
    assert get_metrics(client, address="203.0.113.9").status_code == 200
    assert get_metrics(client, address="198.51.100.1").status_code == 403
    assert get_metrics(client).status_code == 403  # loopback no longer listed


@pytest.mark.django_db
def test_the_bearer_token_opens_it_from_anywhere_and_only_the_right_one(client, settings):
    # given
    settings.METRICS_BEARER_TOKEN = "s3cret-scrape-token"
    # when / then
    assert get_metrics(client, address="203.0.113.9", token="s3cret-scrape-token").status_code == 200
    assert get_metrics(client, address="203.0.113.9", token="s3cret-scrape-tokeX").status_code == 403
    assert get_metrics(client, address="203.0.113.9").status_code == 403


@pytest.mark.django_db
def test_posting_a_method_is_refused(client):
    assert client.post("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 405


@pytest.mark.django_db
def test_open_slots_and_live_assignments_per_workteam_are_read_at_scrape_time(
    client, make_requester, make_worker, make_tasks
):
    # given: 3 tasks of 2 slots in a private team, 2 of 1 slot in the public one, one claimed
    requester, worker = make_requester(), make_worker()
    private = workteam_create(owner=requester.organization, name="labelers")
    make_tasks(requester.organization, 3, slots=2, workteam_id=private.pk)
    make_tasks(requester.organization, 2, slots=1, priority=50)
    assert assignment_claim(worker=worker) is not None  # the public team's first task
    public = str(public_workforce().pk)

    # when
    text = get_metrics(client).content.decode()

    # then
    open_slots = samples(text, "groundwork_open_slots")
    live = samples(text, "groundwork_live_assignments")
    assert open_slots[(("workteam", str(private.pk)),)] == 6
    assert open_slots[(("workteam", public),)] == 1
    assert live == {(("workteam", public),): 1}
    ledger = samples(text, "groundwork_ledger_balance_dollars")
    # money only moves between accounts: the kinds sum to zero (the outside world is negative)
    assert abs(sum(ledger.values())) < 1e-9
    assert ledger[(("kind", "outside_world"),)] == -100_000
    assert samples(text, "groundwork_scrape_source_up")[(("source", "marketplace"),)] == 1
    jobs = samples(text, "groundwork_labeling_jobs")
    assert jobs[(("status", "in_progress"),)] == 0 and len(jobs) == 6


@pytest.mark.django_db
def test_per_workteam_series_are_bounded_the_rest_summed_as_other(client, make_requester, make_tasks, settings):
    # given three teams with 5, 3 and 1 open slots, and room for the two busiest
    settings.METRICS_MAX_WORKTEAMS = 2
    requester = make_requester()
    teams = [workteam_create(owner=requester.organization, name=f"team {i}") for i in range(3)]
    for team, slots in zip(teams, (5, 3, 1), strict=True):
        make_tasks(requester.organization, 1, slots=slots, workteam_id=team.pk)

    # when
    open_slots = samples(get_metrics(client).content.decode(), "groundwork_open_slots")

    # then
    assert open_slots == {
        (("workteam", str(teams[0].pk)),): 5,
        (("workteam", str(teams[1].pk)),): 3,
        (("workteam", "other"),): 1,
    }


@pytest.mark.django_db
def test_gauges_are_kept_for_the_cache_period_not_read_on_every_scrape(
    client, make_requester, make_tasks, settings, django_assert_num_queries
):
    # given one scrape made
    settings.METRICS_CACHE_SECONDS = 60
    requester = make_requester()
    make_tasks(requester.organization, 1, slots=4)
    first = samples(get_metrics(client).content.decode(), "groundwork_open_slots")
    make_tasks(requester.organization, 1, slots=4)
    # when scraped again within the period
    with django_assert_num_queries(0):
        second = samples(get_metrics(client).content.decode(), "groundwork_open_slots")
    # then nothing was read, and the figures are the cached ones
    assert second == first
