"""Chaining in the requester portal: the job form offers the requester's ended jobs, creates the
chained job the API would (same services), puts the service's errors on its fields, and an ended
job's page links to the form with the job chosen (in headless Chromium, with screenshots)."""

from __future__ import annotations

import pytest

from labeling.models import LabelingJob
from labeling.services.storage_registration import storage_register
from marketplace.models import Membership
from tests.labeling.chaining.helpers import ended_job

from .requester_factories import admin_client

BUCKET = "gw-chain-tests"
FORM = "/portal/requester/jobs/new"


@pytest.fixture
def acme(make_requester):
    created = make_requester("Acme ML")
    storage_register(organization=created.organization, uri_prefix=f"s3://{BUCKET}/")
    return created


def ended(created, name: str, **fields) -> LabelingJob:
    return ended_job(created, name=name, output_manifest_uri=f"s3://{BUCKET}/out/{name}/o.manifest", **fields)


def form_body(**changes) -> dict:
    body = {
        "name": "chained-1",
        "task_type": "text_classification",
        "label_attribute_name": "species-check",
        "label_categories": "",
        "input_manifest_uri": "",
        "chain_from_job_id": "",
        "chain_below_confidence": "",
        "chain_verdict": "",
        "output_uri": f"s3://{BUCKET}/out/",
        "title": "Cat or dog, again?",
        "workteam_id": "",
        "workers_per_object": "1",
        "reward": "0.05",
    }
    return {**body, **changes}


@pytest.mark.django_db
def test_the_form_offers_only_the_requesters_ended_jobs(acme, make_requester):
    # given
    done = ended(acme, "done-1")
    stopped = ended(acme, "stopped-1", status="stopped")
    ended(acme, "running-1", status="in_progress")
    ended(acme, "failed-1", status="failed")
    ended(make_requester(), "theirs-1")
    # when
    response = admin_client(acme).get(FORM)
    # then: newest first, in words
    choices = list(response.context["form"].fields["chain_from_job_id"].choices)
    assert choices == [
        ("", "No: read the input manifest"),
        (stopped.pk, "stopped-1 (Text classification, stopped)"),
        (done.pk, "done-1 (Text classification, completed)"),
    ]


@pytest.mark.django_db
def test_the_form_creates_the_chained_job_the_api_would(acme):
    # given
    source = ended(acme, "done-1")
    # when
    response = admin_client(acme).post(FORM, form_body(chain_from_job_id=str(source.pk), chain_below_confidence="0.8"))
    # then
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    job = LabelingJob.objects.get(name="chained-1")
    assert (job.chained_from_id, job.chain_select) == (source.pk, {"below_confidence": 0.8})
    assert job.label_categories == ["cat", "dog"]
    assert job.input_manifest_uri == f"s3://{BUCKET}/out/chained-1/manifests/input/input.manifest"


@pytest.mark.django_db
def test_the_services_errors_land_on_the_chain_fields(acme):
    # given
    source = ended(acme, "done-1")
    before = LabelingJob.objects.count()
    client = admin_client(acme)
    # when
    verdict = client.post(FORM, form_body(chain_from_job_id=str(source.pk), chain_verdict="incorrect"))
    confidence = client.post(FORM, form_body(chain_from_job_id=str(source.pk), chain_below_confidence="high"))
    # then
    assert verdict.status_code == confidence.status_code == 400
    assert verdict.context["form"].errors["chain_verdict"] == [
        f"only applies to a chain from a label_verification job; labeling job {source.pk} is a text_classification job"
    ]
    assert confidence.context["form"].errors["chain_below_confidence"] == ["must be a number from 0 to 1"]
    assert LabelingJob.objects.count() == before


@pytest.mark.django_db(transaction=True)
def test_an_ended_jobs_page_chains_a_job_on_its_output_in_the_browser(acme, page, screenshot_dir):
    # given: a completed job, and the admin signed in
    source = ended(acme, "done-1")
    Membership.objects.filter(user__username=acme.admin_username).update(password_change_required=False)
    page.goto("/portal/login")
    page.fill("#id_username", acme.admin_username)
    page.fill("#id_password", acme.admin_password)
    page.click("main button[type=submit]")
    page.wait_for_url("**/portal/requester/")
    # when: from its page, "Chain a job on its output"
    page.goto(f"/portal/requester/jobs/{source.pk}")
    page.screenshot(path=str(screenshot_dir / "chaining-ended-job.png"), full_page=True)
    page.click("#chain-job")
    page.wait_for_url(f"**{FORM}?chain_from={source.pk}")
    # then: the form has it chosen
    assert page.input_value("#id_chain_from_job_id") == str(source.pk)
    page.screenshot(path=str(screenshot_dir / "chaining-job-form.png"), full_page=True)
    # when: the rest filled in and sent
    page.fill("#id_name", "chained-1")
    page.select_option("#id_task_type", "text_classification")
    page.fill("#id_label_attribute_name", "species-check")
    page.fill("#id_chain_below_confidence", "0.8")
    page.fill("#id_output_uri", f"s3://{BUCKET}/out/")
    page.fill("#id_title", "Cat or dog, again?")
    page.fill("#id_reward", "0.05")
    page.click("#job-form button[type=submit]")
    page.wait_for_load_state()
    # then: the new job's page says where it comes from
    job = LabelingJob.objects.get(name="chained-1")
    assert page.url.endswith(f"/portal/requester/jobs/{job.pk}")
    assert "chained from done-1" in page.inner_text("body")
    page.screenshot(path=str(screenshot_dir / "chaining-chained-job.png"), full_page=True)
    assert job.chain_select == {"below_confidence": 0.8}
