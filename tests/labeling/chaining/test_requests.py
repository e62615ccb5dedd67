"""What ``POST /api/v1/labeling-jobs`` with ``chain_from_job_id`` refuses (docs/labeling.md,
"Chaining"): a source that is not the requester's or has not ended is a 404 or 409 naming the
field; a body that does not fit the source, or a bad ``chain_select``, a 400 naming the field.
Every refusal creates nothing and leaves the source as it was. No storage is read on the request
path, so none of these needs S3."""

from __future__ import annotations

import pytest

from labeling.models import LabelingJob
from labeling.services.storage_registration import storage_register
from tests.labeling.chaining.helpers import ended_job, post_job

BUCKET = "gw-chain-tests"


@pytest.fixture
def registered(requester):
    storage_register(organization=requester.organization, uri_prefix=f"s3://{BUCKET}/")
    return requester


def chain_body(source_id: object, **overrides) -> dict:
    body = {
        "name": "chained-1",
        "label_attribute_name": "species-check",
        "task_type": "text_classification",
        "chain_from_job_id": source_id,
        "output_uri": f"s3://{BUCKET}/out/",
        "label_categories": ["cat", "dog"],
        "title": "Cat or dog, again",
        "reward": "0.02",
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not ...}


def snapshot() -> list[tuple]:
    return list(LabelingJob.objects.order_by("pk").values_list("pk", "name", "status", "updated_at"))


def refused(requester, body: dict, status: int) -> dict:
    """Post ``body``; assert the refusal's status and that nothing changed; its error."""
    before = snapshot()
    response = post_job(requester, body)
    assert response.status_code == status, response.content
    assert snapshot() == before
    return response.json()["error"]


def test_an_unknown_job_is_a_404_naming_the_field(registered):
    # given
    source = ended_job(registered, name="source-1", output_manifest_uri=f"s3://{BUCKET}/out/source-1/o.manifest")
    # when
    error = refused(registered, chain_body(source.pk + 1000), 404)
    # then
    assert error["code"] == "not_found"
    assert error["fields"] == {"chain_from_job_id": [f"no labeling job {source.pk + 1000} of yours"]}


def test_another_requesters_job_is_the_same_404(registered, make_requester):
    # given: a completed job of another organization
    other = make_requester()
    theirs = ended_job(other, name="theirs", output_manifest_uri=f"s3://{BUCKET}/out/theirs/o.manifest")
    # when
    error = refused(registered, chain_body(theirs.pk), 404)
    # then: exactly what an id that names nothing gets
    assert error == {
        "code": "not_found",
        "message": f"chain_from_job_id: no labeling job {theirs.pk} of yours",
        "fields": {"chain_from_job_id": [f"no labeling job {theirs.pk} of yours"]},
    }


@pytest.mark.parametrize("status", ["initializing", "in_progress", "stopping", "failed"])
def test_a_job_that_has_not_completed_or_stopped_is_a_409(registered, status):
    # given
    source = ended_job(registered, name="source-1", status=status)
    # when
    error = refused(registered, chain_body(source.pk), 409)
    # then
    message = f"labeling job {source.pk} is {status}: only a completed or stopped job can be chained"
    assert error["code"] == "chain_source_not_ended"
    assert error["fields"] == {"chain_from_job_id": [message]}


@pytest.fixture
def source(registered):
    return ended_job(registered, name="source-1", output_manifest_uri=f"s3://{BUCKET}/out/source-1/o.manifest")


BAD_BODIES = [
    pytest.param(
        {"chain_select": {"below_confidence": 1.5}},
        {"chain_select.below_confidence": ["must be a number from 0 to 1"]},
        id="confidence-above-one",
    ),
    pytest.param(
        {"chain_select": {"below_confidence": "0.5"}},
        {"chain_select.below_confidence": ["must be a number from 0 to 1"]},
        id="confidence-as-text",
    ),
    pytest.param(
        {"chain_select": {"below_confidence": 0.5, "verdict": "incorrect"}},
        {"chain_select": ["give exactly one of below_confidence and verdict"]},
        id="both-rules",
    ),
    pytest.param(
        {"chain_select": {}}, {"chain_select": ["give exactly one of below_confidence and verdict"]}, id="no-rule"
    ),
    pytest.param(
        {"chain_select": {"above_confidence": 0.5}},
        {"chain_select.above_confidence": ["is not a known selection (known: below_confidence, verdict)"]},
        id="unknown-rule",
    ),
    pytest.param(
        {"chain_select": "incorrect"},
        {"chain_select": ['must be an object: {"below_confidence": <number>} or {"verdict": "<category>"}']},
        id="not-an-object",
    ),
    pytest.param(
        {"chain_select": {"verdict": ""}},
        {"chain_select.verdict": ["must be a non-empty string: one of the verification job's verdict categories"]},
        id="empty-verdict",
    ),
    pytest.param(
        {"input_manifest_uri": f"s3://{BUCKET}/in.jsonl"},
        {"input_manifest_uri": ["must be left out with chain_from_job_id (the chained job's output is the input)"]},
        id="own-manifest",
    ),
    pytest.param(
        {"input_mode": "streaming"},
        {"chain_from_job_id": ["is not available for a streaming job"]},
        id="streaming",
    ),
    pytest.param({"chain_from_job_id": "7"}, {"chain_from_job_id": ["must be an integer"]}, id="id-as-text"),
]


@pytest.mark.parametrize(("overrides", "fields"), BAD_BODIES)
def test_a_bad_chain_body_is_a_400_naming_the_field(registered, source, overrides, fields):
    # when
    error = refused(registered, chain_body(source.pk, **overrides), 400)
    # then
    assert error["code"] == "invalid"
    assert error["fields"] == fields


def test_a_selection_without_a_chain_is_refused(registered):
    # given: an ordinary job body with a selection
    body = chain_body(..., input_manifest_uri=f"s3://{BUCKET}/in.jsonl", chain_select={"below_confidence": 0.5})
    # when
    error = refused(registered, body, 400)
    # then
    assert error["fields"] == {"chain_select": ["only applies with chain_from_job_id"]}


def test_a_manifest_is_still_required_without_a_chain(registered):
    error = refused(registered, chain_body(...), 400)
    assert error["fields"] == {"input_manifest_uri": ["is required"]}


def test_a_verdict_needs_a_verification_source(registered, source):
    # when: the source is a classification job
    error = refused(registered, chain_body(source.pk, chain_select={"verdict": "incorrect"}), 400)
    # then
    assert error["fields"] == {
        "chain_select.verdict": [
            f"only applies to a chain from a label_verification job; labeling job {source.pk} is a "
            "text_classification job"
        ]
    }


def test_a_verdict_must_be_one_of_the_verification_jobs(registered):
    # given
    verification = ended_job(
        registered,
        name="verify-1",
        task_type="label_verification",
        label_attribute_name="verify-species",
        label_categories=["correct", "incorrect"],
        output_manifest_uri=f"s3://{BUCKET}/out/verify-1/o.manifest",
    )
    # when
    error = refused(registered, chain_body(verification.pk, chain_select={"verdict": "wrong"}), 400)
    # then
    assert error["fields"] == {
        "chain_select.verdict": [f"must be one of labeling job {verification.pk}'s verdicts: correct, incorrect"]
    }


def test_only_a_job_of_the_same_type_may_reuse_the_label_attribute(registered, source):
    # when: a multi-label job would write "species" over the classification's
    body = chain_body(source.pk, task_type="text_multilabel", label_attribute_name="species")
    error = refused(registered, body, 400)
    # then
    assert error["fields"] == {
        "label_attribute_name": [
            f"is labeling job {source.pk}'s label attribute: only a text_classification job may reuse it (to "
            "label the objects again); choose another name to keep its labels beside yours"
        ]
    }


def test_the_task_type_must_take_the_sources_objects(registered):
    # given: a box job, whose objects are images (source-ref)
    boxes = ended_job(
        registered,
        name="boxes-1",
        task_type="bounding_box",
        label_attribute_name="boxes",
        output_manifest_uri=f"s3://{BUCKET}/out/boxes-1/o.manifest",
    )
    # when: named entities need inline text
    body = chain_body(boxes.pk, task_type="named_entity_recognition", label_attribute_name="entities")
    error = refused(registered, body, 400)
    # then
    assert error["fields"] == {
        "task_type": [
            f"named_entity_recognition needs source; the objects of labeling job {boxes.pk} (bounding_box) have "
            "source-ref"
        ]
    }


def test_another_type_must_give_its_label_categories(registered, source):
    # when
    error = refused(registered, chain_body(source.pk, task_type="text_multilabel", label_categories=...), 400)
    # then
    assert error["fields"] == {
        "label_categories": [
            "give either label_categories or label_category_config_uri (only a chain of the same task type, or an "
            "adjustment of the job's labels, takes the chained job's)"
        ]
    }


def test_an_attribute_an_earlier_job_of_the_chain_wrote_is_refused(registered, source):
    # given: source-1 → chained-a (species-check); chaining from chained-a with "species" again
    # is fine (same type: it labels again), but "species" of a job two steps up is in the lines
    middle = ended_job(
        registered,
        name="chained-a",
        label_attribute_name="species-check",
        chained_from=source,
        output_manifest_uri=f"s3://{BUCKET}/out/chained-a/o.manifest",
    )
    # when
    error = refused(registered, chain_body(middle.pk, label_attribute_name="species"), 400)
    # then
    assert error["fields"] == {
        "label_attribute_name": [
            f"is already in the chained lines (labeling job {source.pk}'s label attribute); choose another"
        ]
    }


def test_a_chained_job_shows_its_source_and_selection(registered, source):
    # when: a same-type chain left without label categories takes the source's
    response = post_job(registered, chain_body(source.pk, label_categories=..., chain_select={"below_confidence": 0.8}))
    # then
    assert response.status_code == 201, response.content
    job = response.json()
    assert job["chain_from_job_id"] == source.pk
    assert job["chain_select"] == {"below_confidence": 0.8}
    assert job["label_categories"] == ["cat", "dog"]
    assert job["input_manifest_uri"] == f"s3://{BUCKET}/out/chained-1/manifests/input/input.manifest"
    assert job["status"] == "initializing"


@pytest.fixture
def box_source(registered):
    return ended_job(
        registered,
        name="boxes-1",
        task_type="bounding_box",
        label_attribute_name="boxes",
        label_categories=["cat", "dog"],
        output_manifest_uri=f"s3://{BUCKET}/out/boxes-1/o.manifest",
    )


def test_a_verification_chained_on_a_box_job_reviews_its_label_attribute(registered, box_source):
    # when: no source_label_attribute_name, no label categories
    body = chain_body(
        box_source.pk, task_type="label_verification", label_attribute_name="verify-boxes", label_categories=...
    )
    response = post_job(registered, body)
    # then: it reviews the box job's attribute, with the default verdicts
    assert response.status_code == 201, response.content
    job = response.json()
    assert job["source_label_attribute_name"] == "boxes"
    assert job["label_categories"] == ["correct", "incorrect"]


def test_a_review_job_chained_on_a_verification_reviews_what_it_verified(registered, box_source):
    # given: a verification of the boxes, chained on the box job
    verification = ended_job(
        registered,
        name="verify-1",
        task_type="label_verification",
        label_attribute_name="verify-boxes",
        source_label_attribute_name="boxes",
        label_categories=["correct", "incorrect"],
        chained_from=box_source,
        output_manifest_uri=f"s3://{BUCKET}/out/verify-1/o.manifest",
    )
    # when: a second verification of the incorrect ones, no source attribute given
    body = chain_body(
        verification.pk,
        task_type="label_verification",
        label_attribute_name="verify-again",
        label_categories=...,
        chain_select={"verdict": "incorrect"},
    )
    response = post_job(registered, body)
    # then
    assert response.status_code == 201, response.content
    assert response.json()["source_label_attribute_name"] == "boxes"
    assert response.json()["chain_select"] == {"verdict": "incorrect"}


def test_a_review_type_must_review_the_sources_type(registered):
    # given: a multi-label job (verification reviews single labels and boxes)
    multilabel = ended_job(
        registered,
        name="tags-1",
        task_type="text_multilabel",
        label_attribute_name="tags",
        output_manifest_uri=f"s3://{BUCKET}/out/tags-1/o.manifest",
    )
    # when
    body = chain_body(multilabel.pk, task_type="label_verification", label_attribute_name="verify-tags")
    error = refused(registered, {**body, "label_categories": ["correct", "incorrect"]}, 400)
    # then
    assert error["fields"] == {
        "task_type": [
            "label_verification reviews image_classification, text_classification, bounding_box labels; labeling "
            f"job {multilabel.pk} is a text_multilabel job"
        ]
    }


def test_a_review_job_must_not_write_over_the_attribute_it_reviews(registered):
    # given: a verification (not chained) of "boxes"
    verification = ended_job(
        registered,
        name="verify-1",
        task_type="label_verification",
        label_attribute_name="verify-boxes",
        source_label_attribute_name="boxes",
        label_categories=["correct", "incorrect"],
        output_manifest_uri=f"s3://{BUCKET}/out/verify-1/o.manifest",
    )
    # when: another verification chained on it would write "boxes"
    body = chain_body(verification.pk, task_type="label_verification", label_attribute_name="boxes")
    error = refused(registered, {**body, "label_categories": ["correct", "incorrect"]}, 400)
    # then: the field the unchained refusal names too (labeling/inputs.py), saying where the value came from
    assert error["fields"] == {
        "source_label_attribute_name": [
            "must differ from label_attribute_name (the job writes its own attribute beside it); it is 'boxes', "
            f"by default from labeling job {verification.pk}"
        ]
    }
