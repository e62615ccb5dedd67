"""Ground Truth's workteam operations, through boto3's sagemaker client only (the vendor side is
arranged with the marketplace's services, as an operator and a vendor's portal would)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from marketplace.services.organizations import vendor_create
from marketplace.services.vendors import offering_publish, subscription_accept, subscription_request

PUBLIC_ARN = "arn:aws:sagemaker:us-east-1:394669845002:workteam/public-crowd/default"
COGNITO = [{"CognitoMemberDefinition": {"UserPool": "pool", "UserGroup": "group", "ClientId": "client"}}]


def _code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


@pytest.fixture
def subscribed_vendor(aws_requester):
    """A vendor offering the requester subscribes to (accepted by the vendor)."""
    vendor = vendor_create(name="Label Co").organization
    offering = offering_publish(
        vendor=vendor,
        name="Label Co boxes",
        description="Careful boxes",
        task_types=["bounding_box"],
        languages=["en"],
        price="0.08",
        capacity=10,
    )
    subscription, _ = subscription_request(requester=aws_requester.organization, offering=offering)
    subscription_accept(subscription=subscription)
    return offering


def test_create_describe_update_delete_a_private_workteam(sagemaker_client, aws_requester):
    # when
    created = sagemaker_client.create_workteam(
        WorkteamName="my-labelers", MemberDefinitions=COGNITO, Description="In-house team"
    )

    # then
    arn = created["WorkteamArn"]
    account = f"{aws_requester.organization.pk:012d}"
    assert arn == f"arn:aws:sagemaker:us-east-1:{account}:workteam/private-crowd/my-labelers"
    team = sagemaker_client.describe_workteam(WorkteamName="my-labelers")["Workteam"]
    assert (team["WorkteamName"], team["WorkteamArn"], team["Description"]) == ("my-labelers", arn, "In-house team")
    assert team["MemberDefinitions"] == []
    assert team["CreateDate"].tzinfo is not None

    updated = sagemaker_client.update_workteam(WorkteamName="my-labelers", Description="Night shift")["Workteam"]
    assert updated["Description"] == "Night shift"
    assert sagemaker_client.describe_workteam(WorkteamName="my-labelers")["Workteam"]["Description"] == "Night shift"

    assert sagemaker_client.delete_workteam(WorkteamName="my-labelers")["Success"] is True
    with pytest.raises(ClientError) as excinfo:
        sagemaker_client.describe_workteam(WorkteamName="my-labelers")
    assert _code(excinfo) == "ResourceNotFound"
    assert [t["WorkteamName"] for t in sagemaker_client.list_workteams()["Workteams"]] == ["default"]


def test_a_workteam_name_in_use_is_refused(sagemaker_client):
    sagemaker_client.create_workteam(WorkteamName="crew", MemberDefinitions=COGNITO, Description="one")

    with pytest.raises(ClientError) as excinfo:
        sagemaker_client.create_workteam(WorkteamName="crew", MemberDefinitions=COGNITO, Description="two")

    assert _code(excinfo) == "ResourceInUse"
    assert len(sagemaker_client.list_workteams(NameContains="crew")["Workteams"]) == 1


def test_another_requesters_workteam_is_not_found(aws_client, make_requester, sagemaker_client):
    sagemaker_client.create_workteam(WorkteamName="mine", MemberDefinitions=COGNITO, Description="mine")
    intruder = aws_client("sagemaker", make_requester())

    for call in (
        lambda: intruder.describe_workteam(WorkteamName="mine"),
        lambda: intruder.update_workteam(WorkteamName="mine", Description="taken"),
        lambda: intruder.delete_workteam(WorkteamName="mine"),
    ):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert _code(excinfo) == "ResourceNotFound"
    assert sagemaker_client.describe_workteam(WorkteamName="mine")["Workteam"]["Description"] == "mine"


def test_list_workteams_shows_the_public_workforce_own_and_subscribed_teams(
    sagemaker_client, aws_requester, subscribed_vendor
):
    sagemaker_client.create_workteam(WorkteamName="alpha", MemberDefinitions=COGNITO, Description="a")
    sagemaker_client.create_workteam(WorkteamName="beta", MemberDefinitions=COGNITO, Description="b")

    # when: paged one at a time by botocore's paginator
    pages = list(
        sagemaker_client.get_paginator("list_workteams").paginate(
            SortBy="Name", SortOrder="Ascending", PaginationConfig={"PageSize": 1}
        )
    )

    # then
    assert [len(page["Workteams"]) for page in pages] == [1, 1, 1, 1]
    teams = [team for page in pages for team in page["Workteams"]]
    unpaged = sagemaker_client.list_workteams(SortBy="Name", SortOrder="Ascending")["Workteams"]
    assert teams == unpaged
    by_name = {team["WorkteamName"]: team for team in teams}
    assert sorted(by_name) == ["Label-Co-boxes", "alpha", "beta", "default"]
    assert by_name["default"]["WorkteamArn"] == PUBLIC_ARN
    assert by_name["Label-Co-boxes"]["WorkteamArn"].endswith(":workteam/vendor-crowd/Label-Co-boxes")
    assert by_name["Label-Co-boxes"]["ProductListingIds"] == [f"offering-{subscribed_vendor.pk}"]
    assert by_name["alpha"]["WorkteamArn"].endswith(":workteam/private-crowd/alpha")


def test_subscribed_workteams_list_and_describe(sagemaker_client, subscribed_vendor):
    pages = list(sagemaker_client.get_paginator("list_subscribed_workteams").paginate(PaginationConfig={"PageSize": 1}))

    listed = [team for page in pages for team in page["SubscribedWorkteams"]]
    assert listed == [
        {
            "WorkteamArn": listed[0]["WorkteamArn"],
            "MarketplaceTitle": "Label Co boxes",
            "SellerName": "Label Co",
            "MarketplaceDescription": "Careful boxes",
            "ListingId": f"offering-{subscribed_vendor.pk}",
        }
    ]
    described = sagemaker_client.describe_subscribed_workteam(WorkteamArn=listed[0]["WorkteamArn"])
    assert described["SubscribedWorkteam"] == listed[0]

    with pytest.raises(ClientError) as excinfo:
        sagemaker_client.describe_subscribed_workteam(WorkteamArn=PUBLIC_ARN)
    assert _code(excinfo) == "ResourceNotFound"


def test_a_tampered_next_token_is_refused(sagemaker_client):
    for name in ("one", "two"):
        sagemaker_client.create_workteam(WorkteamName=name, MemberDefinitions=COGNITO, Description=name)
    token = sagemaker_client.list_workteams(MaxResults=1)["NextToken"]

    with pytest.raises(ClientError) as excinfo:
        sagemaker_client.list_workteams(MaxResults=1, NextToken=token[:-2] + "xx")

    assert _code(excinfo) == "ValidationException"
    with pytest.raises(ClientError) as excinfo:
        sagemaker_client.list_workteams(MaxResults=101)
    assert _code(excinfo) == "ValidationException"
