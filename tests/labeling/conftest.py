"""Fixtures for the labeling app: a real S3 (moto's server, over HTTP) and a storage root."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import boto3
import pytest
from botocore.client import BaseClient
from moto.server import ThreadedMotoServer

from labeling.storage import clear_client_cache


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """moto's S3 server on a free local port, started once per test session; its endpoint URL."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@dataclass(frozen=True)
class S3Bucket:
    """A fresh bucket on the moto server, with a direct client for arranging and checking."""

    name: str
    endpoint_url: str
    client: BaseClient

    def uri(self, key: str = "") -> str:
        return f"s3://{self.name}/{key}"

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.name, Key=key, Body=data)

    def get(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()

    def head(self, key: str) -> dict:
        return self.client.head_object(Bucket=self.name, Key=key)

    def list(self, prefix: str = "") -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name, Prefix=prefix)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    def multipart_uploads(self) -> list[str]:
        return [upload["Key"] for upload in self.client.list_multipart_uploads(Bucket=self.name).get("Uploads", [])]


@pytest.fixture
def s3(s3_server, settings) -> Iterator[S3Bucket]:
    """Points the storage settings at the moto server (dummy credentials, through pytest-django's
    ``settings``, so nothing leaks into the environment) and creates a bucket for this test."""
    settings.AWS_ENDPOINT_URL = s3_server
    settings.AWS_PUBLIC_ENDPOINT_URL = ""
    settings.AWS_REGION = "us-east-1"
    settings.AWS_ACCESS_KEY_ID = "testing"
    settings.AWS_SECRET_ACCESS_KEY = "testing"
    clear_client_cache()
    client = boto3.session.Session().client(
        "s3",
        endpoint_url=s3_server,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    bucket = S3Bucket(name=f"gw-test-{uuid.uuid4().hex[:20]}", endpoint_url=s3_server, client=client)
    client.create_bucket(Bucket=bucket.name)
    yield bucket
    clear_client_cache()
