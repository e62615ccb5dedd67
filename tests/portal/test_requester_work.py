"""The requester's work pages: the labeling job form (the same services as
``POST /api/v1/labeling-jobs``, errors on their fields), the output manifest download (through
the requester's own storage access), the balance and statement (as the API gives them), batches
posted through the API on the dashboard, and statuses and task types as words."""

from __future__ import annotations

import json

import pytest

from labeling.models import LabelingJob
from labeling.services.storage_registration import storage_register
from labeling.services.sweeps import run_labeling_sweeps
from marketplace.models import LedgerEntry
from marketplace.services.ledger import deposit
from tests.support.factories import client_with

from .demo_world import one_figure
from .requester_factories import admin_client

pytestmark = pytest.mark.django_db

LINES = [{"source": "Lovely."}, {"source": "Dreadful."}]


@pytest.fixture
def acme(make_requester, storage_root):
    created = make_requester("Acme ML")
    (storage_root / "acme").mkdir()
    (storage_root / "acme" / "in.jsonl").write_text("".join(json.dumps(line) + "\n" for line in LINES))
    storage_register(organization=created.organization, uri_prefix="file://acme/")
    return created


def form_body(**changes) -> dict:
    body = {
        "name": "reviews-1",
        "task_type": "text_classification",
        "label_attribute_name": "sentiment",
        "label_categories": "positive\nnegative\n",
        "input_manifest_uri": "file://acme/in.jsonl",
        "output_uri": "file://acme/out/",
        "title": "Positive or negative?",
        "instructions": "Pick one.",
        "workteam_id": "",
        "workers_per_object": "1",
        "reward": "0.05",
        "target_confidence": "",
    }
    return {**body, **changes}


def field_errors(response, field: str) -> list[str]:
    return list(response.context["form"].errors.get(field, []))


# --- the job form ------------------------------------------------------------------------------


def test_the_job_form_creates_the_job_the_api_would_create(acme):
    # when
    response = admin_client(acme).post("/portal/requester/jobs/new", form_body(workteam_id=""))
    # then: the job exists, its page opens, and the API shows what the form said
    job = LabelingJob.objects.get(requester=acme.organization)
    assert response.status_code == 302 and response["Location"] == f"/portal/requester/jobs/{job.pk}"
    api = client_with(acme.api_key).get(f"/api/v1/labeling-jobs/{job.pk}").json()
    assert {
        key: api[key]
        for key in (
            "name",
            "task_type",
            "label_categories",
            "workers_per_object",
            "reward",
            "title",
            "instructions",
            "output_uri",
        )
    } == {
        "name": "reviews-1",
        "task_type": "text_classification",
        "label_categories": ["positive", "negative"],
        "workers_per_object": 1,
        "reward": "0.05",
        "title": "Positive or negative?",
        "instructions": "Pick one.",
        "output_uri": "file://acme/out/",
    }
    run_labeling_sweeps()
    job.refresh_from_db()
    assert (job.status, job.objects_total) == ("in_progress", 2)


def test_the_job_form_shows_each_error_on_its_field_and_creates_nothing(acme):
    # when: a bad name, no title, a word for a number, a reward with 7 decimals, no labels
    response = admin_client(acme).post(
        "/portal/requester/jobs/new",
        form_body(name="not a name!", title="", workers_per_object="lots", reward="0.0000001", label_categories=""),
    )
    # then
    assert response.status_code == 400
    assert field_errors(response, "name") and field_errors(response, "title")
    assert field_errors(response, "workers_per_object") and field_errors(response, "reward")
    assert field_errors(response, "label_categories")
    assert not field_errors(response, "input_manifest_uri") and not field_errors(response, "task_type")
    body = response.content.decode()
    assert 'id="field-title"' in body and 'class="field has-error" id="field-title"' in body
    assert 'value="not a name!"' in body  # what was typed stays in the form
    assert not LabelingJob.objects.exists()


def test_storage_outside_the_requesters_registrations_is_an_error_on_that_field(acme, make_requester):
    other = make_requester("Other")
    storage_register(organization=other.organization, uri_prefix="file://other/")
    response = admin_client(acme).post(
        "/portal/requester/jobs/new", form_body(input_manifest_uri="file://other/in.jsonl")
    )
    assert response.status_code == 400
    assert field_errors(response, "input_manifest_uri") == ["is not in storage registered for your organization"]
    assert not LabelingJob.objects.exists()


def test_a_name_already_used_is_an_error_on_the_name(acme):
    client = admin_client(acme)
    assert client.post("/portal/requester/jobs/new", form_body()).status_code == 302
    response = client.post("/portal/requester/jobs/new", form_body(title="Another"))
    assert response.status_code == 400 and "already exists" in " ".join(field_errors(response, "name"))
    assert LabelingJob.objects.count() == 1


def test_the_form_offers_only_workteams_the_requester_may_target(acme, make_requester):
    from marketplace.services.workteams import workteam_create

    workteam_create(owner=acme.organization, name="Ours")
    workteam_create(owner=make_requester("Other").organization, name="Theirs")
    body = admin_client(acme).get("/portal/requester/jobs/new").content.decode()
    assert "Ours (Private)" in body and "Public workforce (Public)" in body and "Theirs" not in body
    assert "Bounding box" in body and "bounding_box</option>" not in body


# --- the output manifest -----------------------------------------------------------------------


def finish_job(acme, make_worker) -> LabelingJob:
    """The form's job, answered by one public worker, consolidated and written out."""
    assert admin_client(acme).post("/portal/requester/jobs/new", form_body()).status_code == 302
    run_labeling_sweeps()
    worker = make_worker()
    for _ in LINES:
        offer = worker.client.post("/api/v1/worker/tasks/next").json()
        submit = worker.client.post(
            f"/api/v1/worker/assignments/{offer['assignment_id']}/submit",
            {"answer": {"label": "positive"}},
            format="json",
        )
        assert submit.status_code == 200
    for _ in range(3):
        run_labeling_sweeps()
    job = LabelingJob.objects.get(requester=acme.organization)
    assert job.status == "completed" and job.output_manifest_uri
    return job


def test_the_requester_downloads_its_jobs_output_manifest(acme, make_worker, storage_root):
    job = finish_job(acme, make_worker)
    response = admin_client(acme).get(f"/portal/requester/jobs/{job.pk}/output.manifest")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="reviews-1-output.manifest"'
    downloaded = b"".join(response.streaming_content).decode()
    written = (storage_root / job.output_manifest_uri.removeprefix("file://")).read_text()
    assert downloaded == written and len(downloaded.splitlines()) == 2
    assert [json.loads(line)["source"] for line in downloaded.splitlines()] == ["Lovely.", "Dreadful."]
    page = admin_client(acme).get(f"/portal/requester/jobs/{job.pk}").content.decode()
    assert f'href="/portal/requester/jobs/{job.pk}/output.manifest"' in page


def test_no_one_else_downloads_a_jobs_output(acme, make_worker, make_requester, vendor):
    job = finish_job(acme, make_worker)
    other = make_requester("Other")
    for client in (admin_client(other), vendor.client()):
        response = client.get(f"/portal/requester/jobs/{job.pk}/output.manifest")
        assert response.status_code == 404 and b"Lovely" not in response.content


def test_a_job_without_output_yet_says_so(acme):
    assert admin_client(acme).post("/portal/requester/jobs/new", form_body()).status_code == 302
    job = LabelingJob.objects.get()
    response = admin_client(acme).get(f"/portal/requester/jobs/{job.pk}/output.manifest")
    assert response.status_code == 404 and "not written yet" in response.content.decode()


# --- balance and statement ---------------------------------------------------------------------


def test_the_balance_page_shows_the_apis_balance_and_statement_newest_first_50_a_page(acme):
    # given: 55 more deposits (57 entries with the fixture's and none other)
    for index in range(55):
        deposit(organization_id=acme.organization.pk, amount_micros=1_000_000, reference=f"top-up-{index}")
    api = client_with(acme.api_key)
    everything = api.get("/api/v1/statement?limit=1000").json()["results"]
    client = admin_client(acme)
    # when
    first, second = client.get("/portal/requester/balance"), client.get("/portal/requester/balance?page=2")
    # then: the API's entries, newest first, split 50 + the rest
    ids = [row["id"] for row in first.context["rows"]] + [row["id"] for row in second.context["rows"]]
    assert ids == [row["id"] for row in reversed(everything)]
    assert len(first.context["rows"]) == 50 and "older →" in first.content.decode()
    assert first.context["rows"][0]["amount"] == everything[-1]["amount"] == "1.00"
    balance = api.get("/api/v1/balance").json()
    assert one_figure(first.content.decode(), "balance-available").attrs["data-value"] == balance["available"]
    assert "Deposit" in first.content.decode() and ">deposit<" not in first.content.decode()
    assert LedgerEntry.objects.filter(account__organization=acme.organization).count() == len(everything)


# --- batches and words -------------------------------------------------------------------------


def test_the_dashboard_lists_batches_posted_through_the_api_but_not_a_jobs_own(acme, make_tasks, make_worker):
    tasks = make_tasks(acme.organization, 2, slots=2)
    batch_id = tasks[0].batch_id
    worker = make_worker()
    offer = worker.client.post("/api/v1/worker/tasks/next").json()
    worker.client.post(
        f"/api/v1/worker/assignments/{offer['assignment_id']}/submit", {"answer": {"x": 1}}, format="json"
    )
    assert admin_client(acme).post("/portal/requester/jobs/new", form_body()).status_code == 302
    run_labeling_sweeps()
    job = LabelingJob.objects.get()
    page = admin_client(acme).get("/portal/requester/").content.decode()
    figure = one_figure(page, "answers", data_batch_id=str(batch_id))
    assert (figure.attrs["data-value"], figure.attrs["data-total"]) == ("1", "4")
    assert f'data-batch-id="{job.batch_id}"' not in page
    assert ">In progress<" in page and ">Text classification<" in page
    assert ">in_progress<" not in page and "text_classification<" not in page
