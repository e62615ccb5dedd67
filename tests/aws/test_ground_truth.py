"""Ground Truth's labeling-job operations through boto3's sagemaker client only, on moto's S3
server: the files uploaded with boto3, the job created, described, listed and stopped with
boto3, workers answering over the worker API, the output manifest read back with boto3. The
background (manifest reading, consolidation, output) is driven by the sweeps, as in
tests/labeling."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from botocore.exceptions import ClientError

from labeling.services.storage_registration import storage_register
from labeling.services.sweeps import run_labeling_sweeps

PUBLIC_ARN = "arn:aws:sagemaker:us-east-1:394669845002:workteam/public-crowd/default"
LAMBDA = "arn:aws:lambda:us-east-1:432418664414:function:{}-{}"
ROLE = "arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole"
TEXTS = {"t1": "The cat sleeps on the sofa.", "t2": "A dog barks at the mailman.", "t3": "The cat chases a mouse."}
TRUTH = {"t1": "cat", "t2": "dog", "t3": "cat"}
TEMPLATE = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form>
  <crowd-classifier name="crowd-classifier" categories="{{ task.input.labels | to_json | escape }}"
                    header="What is the text about?">
    <classification-target>{{ task.input.taskObject }}</classification-target>
    <full-instructions header="Classification"><p>Pick the animal the text is about.</p></full-instructions>
    <short-instructions><p>Cat or dog?</p></short-instructions>
  </crowd-classifier>
</crowd-form>"""


def _code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


@pytest.fixture
def gt_files(s3, aws_requester):
    """The manifest, label categories and template in the moto bucket (uploaded with boto3), the
    bucket registered for the requester (an operator's step)."""
    manifest = "".join(json.dumps({"source": text, "id": key}) + "\n" for key, text in TEXTS.items())
    s3.client.put_object(Bucket=s3.name, Key="input/dataset.manifest", Body=manifest.encode())
    categories = {"document-version": "2018-11-28", "labels": [{"label": "cat"}, {"label": "dog"}]}
    s3.client.put_object(Bucket=s3.name, Key="input/categories.json", Body=json.dumps(categories).encode())
    s3.client.put_object(Bucket=s3.name, Key="templates/text.liquid.html", Body=TEMPLATE.encode())
    storage_register(organization=aws_requester.organization, uri_prefix=s3.uri(""))
    return s3


def _request(s3, name: str, **human) -> dict:
    return {
        "LabelingJobName": name,
        "LabelAttributeName": "animal",
        "InputConfig": {"DataSource": {"S3DataSource": {"ManifestS3Uri": s3.uri("input/dataset.manifest")}}},
        "OutputConfig": {"S3OutputPath": s3.uri("output/")},
        "RoleArn": ROLE,
        "LabelCategoryConfigS3Uri": s3.uri("input/categories.json"),
        "HumanTaskConfig": {
            "WorkteamArn": PUBLIC_ARN,
            "UiConfig": {"UiTemplateS3Uri": s3.uri("templates/text.liquid.html")},
            "PreHumanTaskLambdaArn": LAMBDA.format("PRE", "TextMultiClass"),
            "TaskTitle": "Cat or dog?",
            "TaskDescription": "Say which animal the text is about",
            "NumberOfHumanWorkersPerDataObject": 2,
            "TaskTimeLimitInSeconds": 300,
            "AnnotationConsolidationConfig": {
                "AnnotationConsolidationLambdaArn": LAMBDA.format("ACS", "TextMultiClass")
            },
            "PublicWorkforceTaskPrice": {"AmountInUsd": {"Dollars": 0, "Cents": 3, "TenthFractionsOfACent": 6}},
            **human,
        },
        "Tags": [{"Key": "project", "Value": "pets"}],
    }


def _work(worker_api, workers) -> list[dict]:
    """Each worker claims and answers the truth until nothing is left for it; the tasks seen."""
    seen = []
    for worker in workers:
        client = worker_api(worker)
        while True:
            claimed = client.post("/api/v1/worker/tasks/next")
            if claimed.status_code == 204:
                break
            assert claimed.status_code == 200, claimed.text
            task = claimed.json()
            seen.append(task)
            key = next(key for key, text in TEXTS.items() if text == task["input"]["source"])
            submitted = client.post(
                f"/api/v1/worker/assignments/{task['assignment_id']}/submit", json={"answer": {"label": TRUTH[key]}}
            )
            assert submitted.status_code == 200, submitted.text
    return seen


def _sweep_until(sagemaker_client, name: str, statuses: set[str], *, sweeps: int = 10) -> dict:
    for _ in range(sweeps):
        run_labeling_sweeps()
        job = sagemaker_client.describe_labeling_job(LabelingJobName=name)
        if job["LabelingJobStatus"] in statuses:
            return job
        time.sleep(0.05)
    raise AssertionError(f"{name} stayed {job['LabelingJobStatus']}")


def test_a_ground_truth_job_end_to_end(sagemaker_client, aws_requester, gt_files, make_worker, worker_api):
    s3 = gt_files
    workers = [make_worker(), make_worker()]

    # when: the job is created as a Ground Truth script creates it
    arn = sagemaker_client.create_labeling_job(**_request(s3, "pets-text"))["LabelingJobArn"]

    # then: it is Initializing until its manifest is read
    account = f"{aws_requester.organization.pk:012d}"
    assert arn == f"arn:aws:sagemaker:us-east-1:{account}:labeling-job/pets-text"
    first = sagemaker_client.describe_labeling_job(LabelingJobName="pets-text")
    assert first["LabelingJobStatus"] == "Initializing"
    assert first["RoleArn"] == ROLE
    assert first["Tags"] == [{"Key": "project", "Value": "pets"}]
    assert first["HumanTaskConfig"]["PublicWorkforceTaskPrice"]["AmountInUsd"] == {
        "Dollars": 0,
        "Cents": 3,
        "TenthFractionsOfACent": 6,
    }
    started = _sweep_until(sagemaker_client, "pets-text", {"InProgress"})
    assert started["LabelCounters"] == {
        "TotalLabeled": 0,
        "HumanLabeled": 0,
        "MachineLabeled": 0,
        "FailedNonRetryableError": 0,
        "Unlabeled": 3,
    }

    # when: two workers answer every object
    seen = _work(worker_api, workers)

    # then: workers saw the job's type, labels, reward and the template's instructions
    assert len(seen) == 6
    assert {(task["task_type"], tuple(task["labels"]), task["reward"]) for task in seen} == {
        ("text_classification", ("cat", "dog"), "0.036")
    }
    assert "Pick the animal the text is about." in seen[0]["instructions"]

    # then: the job completes, as Ground Truth reports it
    done = _sweep_until(sagemaker_client, "pets-text", {"Completed", "Failed"})
    assert done["LabelingJobStatus"] == "Completed", done.get("FailureReason")
    assert done["LabelCounters"] == {
        "TotalLabeled": 3,
        "HumanLabeled": 3,
        "MachineLabeled": 0,
        "FailedNonRetryableError": 0,
        "Unlabeled": 0,
    }
    output_uri = done["LabelingJobOutput"]["OutputDatasetS3Uri"]
    assert output_uri == s3.uri("output/pets-text/manifests/output/output.manifest")

    # then: the output manifest, read back with boto3, labels every object as the workers did
    body = s3.client.get_object(Bucket=s3.name, Key="output/pets-text/manifests/output/output.manifest")["Body"].read()
    lines = [json.loads(line) for line in body.decode().splitlines()]
    assert [line["id"] for line in lines] == ["t1", "t2", "t3"]
    for line in lines:
        metadata = line["animal-metadata"]
        assert metadata["class-name"] == TRUTH[line["id"]]
        assert ["cat", "dog"][line["animal"]] == TRUTH[line["id"]]
        assert metadata["human-annotated"] == "yes"
        assert metadata["job-name"] == "labeling-job/pets-text"


def test_the_task_type_comes_from_the_templates_crowd_element(sagemaker_client, gt_files, make_worker, worker_api):
    s3 = gt_files
    template = (
        '<crowd-form><crowd-classifier-multi-select name="x" categories="[]">'
        "</crowd-classifier-multi-select></crowd-form>"
    )
    s3.client.put_object(Bucket=s3.name, Key="templates/custom.html", Body=template.encode())
    request = _request(s3, "custom-ui", UiConfig={"UiTemplateS3Uri": s3.uri("templates/custom.html")})
    request["HumanTaskConfig"]["PreHumanTaskLambdaArn"] = "arn:aws:lambda:us-east-1:123456789012:function:my-pre"
    del request["HumanTaskConfig"]["AnnotationConsolidationConfig"]

    sagemaker_client.create_labeling_job(**request)
    _sweep_until(sagemaker_client, "custom-ui", {"InProgress"})

    claimed = worker_api(make_worker()).post("/api/v1/worker/tasks/next").json()
    assert claimed["task_type"] == "text_multilabel"


@pytest.mark.parametrize(
    ("human", "named"),
    [
        ({"PreHumanTaskLambdaArn": LAMBDA.format("PRE", "VideoObjectTracking")}, "VideoObjectTracking"),
        ({"PreHumanTaskLambdaArn": LAMBDA.format("PRE", "3DPointCloudObjectDetection")}, "3DPointCloudObjectDetection"),
    ],
)
def test_a_task_type_groundwork_does_not_have_is_named(sagemaker_client, gt_files, human, named):
    with pytest.raises(ClientError) as excinfo:
        sagemaker_client.create_labeling_job(**_request(gt_files, "unsupported", **human))

    assert _code(excinfo) == "ValidationException"
    assert named in excinfo.value.response["Error"]["Message"]
    assert sagemaker_client.list_labeling_jobs()["LabelingJobSummaryList"] == []


def test_a_template_with_an_unsupported_tool_is_named(sagemaker_client, gt_files):
    s3 = gt_files
    s3.client.put_object(Bucket=s3.name, Key="templates/kp.html", Body=b"<crowd-form><crowd-keypoint></crowd-keypoint>")
    request = _request(s3, "keypoints", UiConfig={"UiTemplateS3Uri": s3.uri("templates/kp.html")})
    del request["HumanTaskConfig"]["PreHumanTaskLambdaArn"]
    del request["HumanTaskConfig"]["AnnotationConsolidationConfig"]

    with pytest.raises(ClientError) as excinfo:
        sagemaker_client.create_labeling_job(**request)

    assert _code(excinfo) == "ValidationException"
    assert "<crowd-keypoint>" in excinfo.value.response["Error"]["Message"]


def test_bad_requests_name_the_ground_truth_parameter(sagemaker_client, gt_files, s3):
    too_many = _request(gt_files, "too-many", NumberOfHumanWorkersPerDataObject=51)
    with pytest.raises(ClientError) as excinfo:
        sagemaker_client.create_labeling_job(**too_many)
    assert _code(excinfo) == "ValidationException"
    assert excinfo.value.response["Error"]["Message"].startswith("HumanTaskConfig.NumberOfHumanWorkersPerDataObject:")

    elsewhere = _request(gt_files, "elsewhere")
    elsewhere["InputConfig"]["DataSource"]["S3DataSource"]["ManifestS3Uri"] = "s3://not-registered/in.manifest"
    with pytest.raises(ClientError) as excinfo:
        sagemaker_client.create_labeling_job(**elsewhere)
    assert _code(excinfo) == "ValidationException"
    assert "InputConfig.DataSource.S3DataSource.ManifestS3Uri" in excinfo.value.response["Error"]["Message"]

    nowhere = _request(gt_files, "nowhere", WorkteamArn="arn:aws:sagemaker:us-east-1:1:workteam/private-crowd/nobody")
    with pytest.raises(ClientError) as excinfo:
        sagemaker_client.create_labeling_job(**nowhere)
    assert _code(excinfo) == "ResourceNotFound"
    assert sagemaker_client.list_labeling_jobs()["LabelingJobSummaryList"] == []


def test_a_job_name_in_use_is_refused(sagemaker_client, gt_files):
    sagemaker_client.create_labeling_job(**_request(gt_files, "twice"))

    with pytest.raises(ClientError) as excinfo:
        sagemaker_client.create_labeling_job(**_request(gt_files, "twice"))

    assert _code(excinfo) == "ResourceInUse"


def test_list_labeling_jobs_pages_filters_and_sorts(sagemaker_client, gt_files):
    for name in ("job-b", "job-a", "job-c"):
        sagemaker_client.create_labeling_job(**_request(gt_files, name))
    sagemaker_client.stop_labeling_job(LabelingJobName="job-c")

    pages = list(
        sagemaker_client.get_paginator("list_labeling_jobs").paginate(
            SortBy="Name", SortOrder="Descending", PaginationConfig={"PageSize": 2}
        )
    )

    assert [len(page["LabelingJobSummaryList"]) for page in pages] == [2, 1]
    summaries = [job for page in pages for job in page["LabelingJobSummaryList"]]
    assert [job["LabelingJobName"] for job in summaries] == ["job-c", "job-b", "job-a"]
    assert {job["WorkteamArn"] for job in summaries} == {PUBLIC_ARN}
    assert summaries[1]["PreHumanTaskLambdaArn"] == LAMBDA.format("PRE", "TextMultiClass")
    assert summaries[0]["LabelingJobStatus"] == "Initializing"  # stopped once its manifest is read
    only_b = sagemaker_client.list_labeling_jobs(NameContains="-B")["LabelingJobSummaryList"]
    assert [job["LabelingJobName"] for job in only_b] == ["job-b"]
    newest_first = sagemaker_client.list_labeling_jobs(SortBy="CreationTime", SortOrder="Descending")
    assert [job["LabelingJobName"] for job in newest_first["LabelingJobSummaryList"]] == ["job-c", "job-a", "job-b"]

    _sweep_until(sagemaker_client, "job-c", {"Stopped"})
    stopped = sagemaker_client.list_labeling_jobs(StatusEquals="Stopped")["LabelingJobSummaryList"]
    assert [job["LabelingJobName"] for job in stopped] == ["job-c"]


def test_stop_labeling_job(sagemaker_client, gt_files):
    sagemaker_client.create_labeling_job(**_request(gt_files, "to-stop"))
    _sweep_until(sagemaker_client, "to-stop", {"InProgress"})

    sagemaker_client.stop_labeling_job(LabelingJobName="to-stop")
    sagemaker_client.stop_labeling_job(LabelingJobName="to-stop")  # idempotent

    assert sagemaker_client.describe_labeling_job(LabelingJobName="to-stop")["LabelingJobStatus"] in {
        "Stopping",
        "Stopped",
    }
    assert _sweep_until(sagemaker_client, "to-stop", {"Stopped"})["LabelingJobStatus"] == "Stopped"
    with pytest.raises(ClientError) as excinfo:
        sagemaker_client.stop_labeling_job(LabelingJobName="no-such-job")
    assert _code(excinfo) == "ResourceNotFound"


def test_another_requesters_job_is_not_found(aws_client, make_requester, sagemaker_client, gt_files):
    sagemaker_client.create_labeling_job(**_request(gt_files, "private-job"))
    intruder = aws_client("sagemaker", make_requester())

    for call in (
        lambda: intruder.describe_labeling_job(LabelingJobName="private-job"),
        lambda: intruder.stop_labeling_job(LabelingJobName="private-job"),
    ):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert _code(excinfo) == "ResourceNotFound"
    assert intruder.list_labeling_jobs()["LabelingJobSummaryList"] == []
    assert sagemaker_client.describe_labeling_job(LabelingJobName="private-job")["LabelingJobStatus"] == "Initializing"


def test_a_private_team_job_and_list_labeling_jobs_for_workteam(sagemaker_client, aws_requester, gt_files):
    team_arn = sagemaker_client.create_workteam(
        WorkteamName="in-house",
        MemberDefinitions=[{"CognitoMemberDefinition": {"UserPool": "p", "UserGroup": "g", "ClientId": "c"}}],
        Description="our own",
    )["WorkteamArn"]
    for name in ("team-1", "team-2", "team-3"):
        request = _request(gt_files, name, WorkteamArn=team_arn)
        del request["HumanTaskConfig"]["PublicWorkforceTaskPrice"]
        sagemaker_client.create_labeling_job(**request)
    sagemaker_client.create_labeling_job(**_request(gt_files, "public-1"))

    pages = list(
        sagemaker_client.get_paginator("list_labeling_jobs_for_workteam").paginate(
            WorkteamArn=team_arn, PaginationConfig={"PageSize": 2}
        )
    )

    jobs = [job for page in pages for job in page["LabelingJobSummaryList"]]
    assert [job["LabelingJobName"] for job in jobs] == ["team-1", "team-2", "team-3"]
    assert jobs[0]["WorkRequesterAccountId"] == f"{aws_requester.organization.pk:012d}"
    assert jobs[0]["NumberOfHumanWorkersPerDataObject"] == 2
    assert jobs[0]["JobReferenceCode"].startswith("groundwork-job-")

    # then: a team with work open cannot be deleted
    _sweep_until(sagemaker_client, "team-1", {"InProgress"})
    with pytest.raises(ClientError) as excinfo:
        sagemaker_client.delete_workteam(WorkteamName="in-house")
    assert _code(excinfo) == "ResourceInUse"
    assert sagemaker_client.describe_workteam(WorkteamName="in-house")["Workteam"]["WorkteamArn"] == team_arn


def test_a_job_created_over_rest_is_described_as_ground_truth_would(
    sagemaker_client, aws_requester, gt_files, aws_server
):
    # given: a job posted over REST
    body = {
        "name": "rest-job",
        "label_attribute_name": "animal",
        "task_type": "bounding_box",
        "input_manifest_uri": gt_files.uri("input/dataset.manifest"),
        "output_uri": gt_files.uri("output/"),
        "label_categories": ["cat", "dog"],
        "title": "Box the animals",
        "reward": "0.05",
        "workers_per_object": 3,
    }
    with httpx.Client(base_url=aws_server, headers={"Authorization": f"Bearer {aws_requester.api_key}"}) as api:
        assert api.post("/api/v1/labeling-jobs", json=body).status_code == 201

    # when
    job = sagemaker_client.describe_labeling_job(LabelingJobName="rest-job")

    # then
    human = job["HumanTaskConfig"]
    assert (human["WorkteamArn"], human["NumberOfHumanWorkersPerDataObject"]) == (PUBLIC_ARN, 3)
    assert human["PreHumanTaskLambdaArn"] == LAMBDA.format("PRE", "BoundingBox")
    assert human["PublicWorkforceTaskPrice"] == {"AmountInUsd": {"Dollars": 0, "Cents": 5, "TenthFractionsOfACent": 0}}
    assert job["InputConfig"] == {"DataSource": {"S3DataSource": {"ManifestS3Uri": body["input_manifest_uri"]}}}
    assert job["LabelingJobStatus"] == "Initializing"


def test_an_unknown_status_filter_is_refused(sagemaker_client):
    with pytest.raises(ClientError) as excinfo:
        sagemaker_client.list_labeling_jobs(StatusEquals="Paused")

    assert _code(excinfo) == "ValidationException"
    assert "StatusEquals" in excinfo.value.response["Error"]["Message"]
