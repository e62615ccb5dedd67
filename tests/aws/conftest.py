"""Fixtures of the AWS face: a live server, and boto3 clients signed with a requester's AWS pair.

``aws_server`` is pytest-django's live server (a real HTTP server on 127.0.0.1, in a thread of
the test process, so ``settings`` overrides such as the moto S3 endpoint reach it); tests using
it run on a transactional database, and what they arrange is committed. Tests drive it only
through ``boto3.client("mturk"|"sagemaker", endpoint_url=<server>/aws/)`` and, for the workers'
side, the worker REST API (``worker_api``).

Typical use::

    def test_something(mturk_client):
        assert mturk_client.get_account_balance()["AvailableBalance"] == "100000.00"
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import boto3
import httpx
import pytest
from botocore.client import BaseClient
from botocore.config import Config

from marketplace.services.organizations import CreatedOrganization
from marketplace.services.workteams import public_workforce
from tests.labeling.conftest import s3, s3_server  # noqa: F401  (moto's S3 server, for Ground Truth jobs)

# No retries: a refusal shows at once (botocore would retry throttling and 5xx against AWS),
# and a 5xx in these tests is a bug to see, not to paper over.
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=60)


@pytest.fixture
def aws_server(live_server) -> str:
    """The live server's base URL (``http://localhost:<port>``)."""
    return live_server.url


@pytest.fixture
def aws_endpoint(aws_server) -> str:
    return f"{aws_server}/aws/"


@pytest.fixture
def aws_client(aws_endpoint) -> Callable[..., BaseClient]:
    """``aws_client(service, requester, **overrides)``: a boto3 client of ``service`` signed with
    ``requester``'s AWS pair (``aws_access_key_id=``/``aws_secret_access_key=`` override it)."""

    def make(service: str, requester: CreatedOrganization, **overrides) -> BaseClient:
        credentials = {
            "aws_access_key_id": requester.aws_access_key_id,
            "aws_secret_access_key": requester.aws_secret_access_key,
            **overrides,
        }
        return boto3.session.Session().client(
            service, endpoint_url=aws_endpoint, region_name="us-east-1", config=NO_RETRIES, **credentials
        )

    return make


@pytest.fixture
def aws_requester(make_requester) -> CreatedOrganization:
    """A requester organization funded with $100,000, with an API key and its AWS pair. (The
    public workforce is made again too: a migration makes it, and a transactional test's flush
    empties the tables.)"""
    public_workforce()
    return make_requester()


@pytest.fixture
def mturk_client(aws_client, aws_requester) -> BaseClient:
    return aws_client("mturk", aws_requester)


@pytest.fixture
def sagemaker_client(aws_client, aws_requester) -> BaseClient:
    return aws_client("sagemaker", aws_requester)


@pytest.fixture
def worker_api(aws_server) -> Iterator[Callable[..., httpx.Client]]:
    """``worker_api(worker)``: an HTTP client of the live server with the worker's token (the
    workers' side of a test; ``make_worker`` gives ``worker.token``)."""
    clients: list[httpx.Client] = []

    def make(worker) -> httpx.Client:
        client = httpx.Client(base_url=aws_server, headers={"Authorization": f"Bearer {worker.token}"}, timeout=30)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
