"""The AWS endpoint's protocol through boto3 only: Signature Version 4 refusals, unknown
operations, and one operation (GetAccountBalance) end to end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import botocore.auth
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from marketplace.models import ApiKey
from marketplace.services.organizations import api_key_revoke
from tests.support.factories import fund


def _error(excinfo) -> tuple[str, str, int]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"], excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_get_account_balance_reports_the_available_and_held_balance(mturk_client, aws_requester):
    # given: the fixture's $100,000 and a further deposit
    fund(aws_requester.organization, 12_345_000)

    # when
    balance = mturk_client.get_account_balance()

    # then
    assert balance["AvailableBalance"] == "100012.345"
    assert balance["OnHoldBalance"] == "0.00"
    assert len(balance["ResponseMetadata"]["RequestId"]) == 36


def test_a_wrong_secret_is_refused_as_an_invalid_signature(aws_client, aws_requester):
    client = aws_client("mturk", aws_requester, aws_secret_access_key="x" * 40)

    with pytest.raises(ClientError) as excinfo:
        client.get_account_balance()

    code, message, status = _error(excinfo)
    assert (code, status) == ("InvalidSignatureException", 403)
    assert message.startswith("The request signature we calculated does not match")


def test_a_stale_timestamp_is_refused(aws_client, aws_requester, monkeypatch):
    # given: a client whose clock is 16 minutes behind
    stale = datetime.now(UTC) - timedelta(minutes=16)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: stale.replace(tzinfo=None))
    client = aws_client("sagemaker", aws_requester)

    with pytest.raises(ClientError) as excinfo:
        client.list_workteams()

    code, message, status = _error(excinfo)
    assert (code, status) == ("InvalidSignatureException", 403)
    assert message.startswith("Signature expired")


def test_a_timestamp_within_15_minutes_is_accepted(aws_client, aws_requester, monkeypatch):
    slow = datetime.now(UTC) - timedelta(minutes=14)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: slow.replace(tzinfo=None))

    assert aws_client("mturk", aws_requester).get_account_balance()["AvailableBalance"] == "100000.00"


def test_an_unknown_access_key_id_is_refused(aws_client, aws_requester):
    client = aws_client("mturk", aws_requester, aws_access_key_id="GW" + "A" * 18)

    with pytest.raises(ClientError) as excinfo:
        client.get_account_balance()

    assert _error(excinfo) == (
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
        403,
    )


def test_a_revoked_key_is_refused_like_an_unknown_one(aws_client, aws_requester):
    # given: a client that worked, then its key is revoked
    client = aws_client("mturk", aws_requester)
    client.get_account_balance()
    api_key_revoke(api_key=ApiKey.objects.get(aws_access_key_id=aws_requester.aws_access_key_id))

    with pytest.raises(ClientError) as excinfo:
        client.get_account_balance()

    assert _error(excinfo) == (
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
        403,
    )


@pytest.mark.parametrize(
    ("service", "call", "name"),
    [
        ("mturk", lambda client: client.list_review_policy_results_for_hit(HITId="1"), "ListReviewPolicyResultsForHIT"),
        ("sagemaker", lambda client: client.list_models(), "ListModels"),
    ],
)
def test_an_operation_groundwork_does_not_offer_is_named_in_the_error(aws_client, aws_requester, service, call, name):
    with pytest.raises(ClientError) as excinfo:
        call(aws_client(service, aws_requester))

    code, message, status = _error(excinfo)
    assert (code, status) == ("UnknownOperationException", 400)
    assert message.endswith(f"operation {name}")


def test_a_signature_for_the_other_service_is_refused(aws_client, aws_requester):
    # given: an MTurk client whose requests are signed for SageMaker
    client = aws_client("mturk", aws_requester)
    client._request_signer._signing_name = "sagemaker"

    with pytest.raises(ClientError) as excinfo:
        client.get_account_balance()

    code, message, _ = _error(excinfo)
    assert code == "InvalidSignatureException"
    assert "mturk-requester" in message


def test_an_unsigned_request_is_refused(aws_endpoint):
    client = boto3.client(
        "sagemaker",
        endpoint_url=aws_endpoint,
        region_name="eu-west-1",
        config=Config(signature_version=UNSIGNED, retries={"total_max_attempts": 1}),
    )

    with pytest.raises(ClientError) as excinfo:
        client.list_workteams()

    code, _, status = _error(excinfo)
    assert (code, status) == ("MissingAuthenticationTokenException", 403)


def test_the_key_pair_is_stored_encrypted(aws_requester):
    row = ApiKey.objects.get(aws_access_key_id=aws_requester.aws_access_key_id)

    assert len(aws_requester.aws_access_key_id) == 20 and aws_requester.aws_access_key_id.startswith("GW")
    assert len(aws_requester.aws_secret_access_key) == 40
    assert aws_requester.aws_secret_access_key not in row.aws_secret_access_key_encrypted


def test_writes_share_the_api_keys_write_limit_and_reads_do_not(aws_client, aws_requester, settings):
    # given: a write limit of one request, barely refilling
    settings.GROUNDWORK = {**settings.GROUNDWORK, "API_KEY_WRITE_RATE_PER_SECOND": 0.001, "API_KEY_WRITE_RATE_BURST": 1}
    client = aws_client("sagemaker", aws_requester)
    members = [{"CognitoMemberDefinition": {"UserPool": "p", "UserGroup": "g", "ClientId": "c"}}]
    client.create_workteam(WorkteamName="first", MemberDefinitions=members, Description="d")

    # when
    with pytest.raises(ClientError) as excinfo:
        client.create_workteam(WorkteamName="second", MemberDefinitions=members, Description="d")

    # then
    assert _error(excinfo)[0] == "ThrottlingException"
    assert [team["WorkteamName"] for team in client.list_workteams(NameContains="s")["Workteams"]] == ["first"]
