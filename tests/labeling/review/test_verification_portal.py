"""A verification job from the requester portal's job form: the source attribute is a form
field, its errors land on it, and the verdicts default as over the API."""

from __future__ import annotations

import json

import pytest

from labeling.models import LabelingJob
from labeling.services.storage_registration import storage_register
from tests.portal.requester_factories import admin_client

pytestmark = pytest.mark.django_db

LINE = {
    "source": "Lovely.",
    "sentiment": 0,
    "sentiment-metadata": {"class-name": "positive", "type": "groundtruth/text-classification"},
}


@pytest.fixture
def acme(make_requester, storage_root):
    created = make_requester("Acme ML")
    (storage_root / "acme").mkdir()
    (storage_root / "acme" / "in.jsonl").write_text(json.dumps(LINE) + "\n")
    storage_register(organization=created.organization, uri_prefix="file://acme/")
    return created


def form_body(**changes) -> dict:
    body = {
        "name": "check-1",
        "task_type": "label_verification",
        "label_attribute_name": "sentiment-check",
        "source_label_attribute_name": "sentiment",
        "label_categories": "",
        "input_manifest_uri": "file://acme/in.jsonl",
        "output_uri": "file://acme/out/",
        "title": "Is the sentiment right?",
        "instructions": "",
        "workteam_id": "",
        "workers_per_object": "1",
        "reward": "0.05",
        "target_confidence": "",
    }
    return {**body, **changes}


def test_the_job_form_creates_a_verification_job_with_default_verdicts(acme):
    # when
    response = admin_client(acme).post("/portal/requester/jobs/new", form_body())

    # then
    job = LabelingJob.objects.get(requester=acme.organization)
    assert response.status_code == 302
    assert (job.task_type, job.source_label_attribute_name, job.label_categories) == (
        "label_verification",
        "sentiment",
        ["correct", "incorrect"],
    )


def test_a_missing_source_attribute_is_an_error_on_its_field(acme):
    # when
    response = admin_client(acme).post("/portal/requester/jobs/new", form_body(source_label_attribute_name=""))

    # then
    assert response.status_code == 400
    assert response.context["form"].errors["source_label_attribute_name"] == ["is required for label_verification"]
    assert not LabelingJob.objects.exists()
