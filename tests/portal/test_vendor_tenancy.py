"""Tenancy on the vendor side of the portal (DESIGN.md rule 6): a vendor admin sees only its own
team's work and the data of jobs sent to its team; another organization's ids — guessed in URLs
— give exactly the 404 of an id that does not exist, and change nothing."""

from __future__ import annotations

import pytest

from labeling.models import LabelingJob
from marketplace.models import Worker, WorkteamMembership
from marketplace.services.organizations import requester_create
from tests.support.factories import fund

from .conftest import signed_in
from .vendor_world import answer_next, approve, make_vendor, make_worker, page_text, post_job, subscribe

pytestmark = pytest.mark.django_db

MISSING = 987_654_321
ME_URL = "/api/v1/worker/me"


@pytest.fixture
def world(requester, storage_root):
    """Vendor A with a worker and a paid job for ``requester``; vendor B, with its own team."""
    vendor_a, vendor_b = make_vendor("Vendor A", team_name="A team"), make_vendor("Vendor B", team_name="B team")
    subscribe(requester, vendor_a)
    job = post_job(requester, vendor_a, storage_root, name="a-job")
    worker = make_worker(vendor_a, "a-worker")
    approve(requester, answer_next(worker))
    return {"a": vendor_a, "b": vendor_b, "job": job, "worker": worker, "requester": requester}


def not_found_body(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 404
    return page_text(response)


def test_another_vendors_job_is_the_same_404_as_a_missing_one(world):
    client = world["b"].client()
    assert world["a"].client().get(f"/portal/vendor/jobs/{world['job'].pk}").status_code == 200
    assert not_found_body(client, f"/portal/vendor/jobs/{world['job'].pk}") == not_found_body(
        client, f"/portal/vendor/jobs/{MISSING}"
    )


def test_a_job_on_the_public_workforce_is_not_a_vendors(world, storage_root):
    public_job = post_job(world["requester"], None, storage_root, name="public-job")
    client = world["a"].client()
    assert not_found_body(client, f"/portal/vendor/jobs/{public_job.pk}") == not_found_body(
        client, f"/portal/vendor/jobs/{MISSING}"
    )


def test_an_initializing_job_has_sent_nothing_to_the_team_yet(world):
    job = LabelingJob.objects.create(
        requester=world["requester"].organization,
        name="later",
        label_attribute_name="x",
        task_type="text_classification",
        input_manifest_uri="file://x/in.jsonl",
        output_uri="file://x/out/",
        workteam=world["a"].workteam,
        workers_per_object=1,
        min_workers_per_object=1,
        max_workers_per_object=1,
        task_time_limit_seconds=60,
        task_availability_lifetime_seconds=60,
        reward_micros=1,
        auto_approval_delay_seconds=60,
        title="t",
    )
    assert world["a"].client().get(f"/portal/vendor/jobs/{job.pk}").status_code == 404


@pytest.mark.parametrize(
    "action",
    [
        "team/workers/{worker}/token",
        "team/workers/{worker}/token/revoke",
        "team/workers/{worker}/teams/{team}/remove",
    ],
)
def test_another_vendors_worker_is_a_404_and_nothing_changes(world, action):
    # given
    worker, team = world["worker"], world["a"].workteam
    before = Worker.objects.values().get(pk=worker.pk)
    client = world["b"].client()
    # when
    foreign = client.post("/portal/vendor/" + action.format(worker=worker.pk, team=team.pk))
    missing = client.post("/portal/vendor/" + action.format(worker=MISSING, team=team.pk))
    # then
    assert foreign.status_code == missing.status_code == 404
    assert page_text(foreign) == page_text(missing)
    assert Worker.objects.values().get(pk=worker.pk) == before
    assert WorkteamMembership.objects.filter(worker=worker, workteam=team).exists()
    assert worker.client.get(ME_URL).status_code == 200


def test_a_vendor_cannot_add_its_worker_to_another_vendors_team(world):
    own = make_worker(world["b"])
    response = (
        world["b"].client().post(f"/portal/vendor/team/workers/{own.pk}/teams", {"workteam": world["a"].workteam.pk})
    )
    assert response.status_code == 404
    assert not WorkteamMembership.objects.filter(worker=own, workteam=world["a"].workteam).exists()


def test_a_vendor_cannot_create_a_worker_in_another_vendors_team(world):
    response = (
        world["b"].client().post("/portal/vendor/team", {"username": "sneaky", "workteam": world["a"].workteam.pk})
    )
    assert response.status_code == 400
    assert not Worker.objects.filter(username="sneaky").exists()


def test_a_public_worker_is_not_any_vendors_to_manage(world, make_worker):
    public = make_worker("public-person")
    response = world["a"].client().post(f"/portal/vendor/team/workers/{public.pk}/token/revoke")
    assert response.status_code == 404
    assert public.client.get(ME_URL).status_code == 200


def test_the_team_page_lists_only_the_vendors_own_workers(world):
    html = world["b"].client().get("/portal/vendor/team").content.decode()
    assert "a-worker" not in html


def test_earnings_and_statements_show_only_the_vendors_own_money(world):
    client = world["b"].client()
    earnings = client.get("/portal/vendor/earnings").content.decode()
    statement = client.get("/portal/vendor/earnings/statement.csv").content.decode()
    assert world["requester"].organization.name not in earnings
    assert "a-job" not in earnings and "a-job" not in statement
    assert statement.count("\n") == 3  # header, opening, closing
    assert "No work in progress" in client.get("/portal/vendor/").content.decode()


def test_the_vendor_job_page_shows_nothing_else_of_the_requester(world, storage_root):
    # given: the requester's other job, its storage and its balance; gold objects in the vendor's job
    requester = world["requester"]
    post_job(requester, None, storage_root, name="secret-other-job")
    job = post_job(
        requester,
        world["a"],
        storage_root,
        name="with-gold",
        gold_lines=[{"source": "gold sentence: cat", "species": {"label": "cat"}}],
    )
    # when
    html = world["a"].client().get(f"/portal/vendor/jobs/{job.pk}").content.decode()
    dashboard = world["a"].client().get("/portal/vendor/").content.decode()
    # then
    assert "with-gold" in html and "object 0: cat" in html
    assert "secret-other-job" not in html and "secret-other-job" not in dashboard
    assert job.input_manifest_uri not in html and "file://" not in html
    assert ">gold<" not in html and "Gold accuracy" not in html
    assert "99,999" not in html and "99999" not in html  # the requester's balance (funded $100,000)


def test_the_vendor_cannot_tell_gold_tasks_from_the_others(world, storage_root, settings):
    """Every task a team member may be offered is listed alike, gold included, so neither what
    the page lists nor what it leaves out tells a vendor which tasks check its quality."""
    from marketplace.models import Task

    job = post_job(
        world["requester"],
        world["a"],
        storage_root,
        name="with-gold",
        gold_lines=[{"source": "gold sentence: cat", "species": {"label": "cat"}}],
    )
    html = world["a"].client().get(f"/portal/vendor/jobs/{job.pk}").content.decode()
    inputs = [task.input["source"] for task in Task.objects.filter(batch_id=job.batch_id).order_by("pk")]
    assert "gold sentence: cat" in inputs
    positions = [html.index(text) for text in inputs]  # all listed, in the order workers get them
    assert positions == sorted(positions)
    assert ">gold<" not in html and "Gold accuracy" not in html


def test_a_requester_admin_cannot_open_vendor_pages(world):
    requester = world["requester"]
    client = signed_in(requester.admin_username, requester.admin_password)
    for url in (
        "/portal/vendor/",
        "/portal/vendor/team",
        "/portal/vendor/earnings",
        f"/portal/vendor/jobs/{world['job'].pk}",
    ):
        assert client.get(url).status_code == 404, url


def test_a_vendor_admin_cannot_open_the_requester_job_page(world):
    assert world["a"].client().get(f"/portal/requester/jobs/{world['job'].pk}").status_code == 404


def test_the_requester_job_page_is_the_owners_only(world):
    owner = world["requester"]
    other = requester_create(name="Other requester")
    fund(other.organization, 1_000_000)
    owner_client = signed_in(owner.admin_username, owner.admin_password)
    other_client = signed_in(other.admin_username, other.admin_password)
    assert owner_client.get(f"/portal/requester/jobs/{world['job'].pk}").status_code == 200
    assert not_found_body(other_client, f"/portal/requester/jobs/{world['job'].pk}") == not_found_body(
        other_client, f"/portal/requester/jobs/{MISSING}"
    )
