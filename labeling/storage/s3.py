"""The S3 backend: the only module that imports boto3/botocore. Clients are cached per
(credentials, endpoint, region), with explicit timeouts and standard retries; boto3/botocore
failures become ``StorageUnavailable`` naming the URI."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)
from django.conf import settings

from marketplace.encryption import SecretDecryptionError, decrypt_secret

from .errors import StorageUnavailable
from .handles import READ_CHUNK_BYTES, StorageLocationHandle, _Writer, is_hidden

CONNECT_TIMEOUT_SECONDS = 5
READ_TIMEOUT_SECONDS = 30
MAX_ATTEMPTS = 3


_clients: dict[tuple[str, str, str, str], BaseClient] = {}
_clients_lock = threading.Lock()


def clear_client_cache() -> None:
    """Forget the cached boto3 clients (tests change endpoints and credentials)."""
    with _clients_lock:
        _clients.clear()


def _s3_client(*, access_key_id: str, secret_access_key: str, endpoint_url: str) -> BaseClient:
    region = settings.AWS_REGION or "us-east-1"
    cache_key = (access_key_id, hashlib.sha256(secret_access_key.encode()).hexdigest(), endpoint_url, region)
    with _clients_lock:
        client = _clients.get(cache_key)
        if client is None:
            config = Config(
                region_name=region,
                connect_timeout=CONNECT_TIMEOUT_SECONDS,
                read_timeout=READ_TIMEOUT_SECONDS,
                retries={"max_attempts": MAX_ATTEMPTS, "mode": "standard"},
                signature_version="s3v4",
                # MinIO and friends are addressed by path; AWS itself by virtual host.
                s3={"addressing_style": "path" if endpoint_url else "auto"},
                # Checksums only where S3 requires them: S3-compatible servers that predate the
                # 2025 default of CRC checksums on every upload reject them.
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            )
            credentials: dict[str, Any] = {}
            if access_key_id and secret_access_key:
                credentials = {"aws_access_key_id": access_key_id, "aws_secret_access_key": secret_access_key}
            # A session per client: boto3 sessions are not thread-safe, its clients are.
            session = boto3.session.Session(**credentials)
            client = session.client("s3", endpoint_url=endpoint_url or None, config=config)
            _clients[cache_key] = client
        return client


def _describe_storage_error(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        known = {
            "NoSuchBucket": "bucket does not exist",
            "NoSuchKey": "object does not exist",
            "404": "object does not exist",
            "NotFound": "object does not exist",
            "AccessDenied": "access denied by the storage",
            "403": "access denied by the storage",
            "Forbidden": "access denied by the storage",
            "AllAccessDisabled": "access denied by the storage",
            "InvalidAccessKeyId": "the storage does not know the access key",
            "SignatureDoesNotMatch": "the storage rejected the secret key",
            "ExpiredToken": "the storage credentials have expired",
            "InvalidBucketName": "invalid bucket name",
            "NoSuchUpload": "the multipart upload was cancelled",
            "SlowDown": "the storage is throttling requests; try again later",
            "ServiceUnavailable": "the storage is unavailable; try again later",
            "InternalError": "the storage had an internal error; try again later",
        }
        if code in known:
            return known[code]
        message = error.get("Message") or "request failed"
        return f"{code or 'error'}: {message}"
    if isinstance(exc, ReadTimeoutError):
        return f"the storage did not answer within {READ_TIMEOUT_SECONDS} seconds"
    if isinstance(exc, ConnectTimeoutError):
        return f"connecting to the storage endpoint timed out after {CONNECT_TIMEOUT_SECONDS} seconds"
    if isinstance(exc, EndpointConnectionError):
        return "the storage endpoint is unreachable"
    if isinstance(exc, NoCredentialsError):
        return "no storage credentials are configured on the server"
    if isinstance(exc, SecretDecryptionError):
        return str(exc)
    return f"storage error: {exc}"


@contextmanager
def _storage_errors(uri: str) -> Iterator[None]:
    """Turn boto3/botocore failures into ``StorageUnavailable`` naming ``uri``."""
    try:
        yield
    except (ClientError, BotoCoreError, SecretDecryptionError) as exc:
        raise StorageUnavailable(f"{uri}: {_describe_storage_error(exc)}") from None


class _S3Handle(StorageLocationHandle):
    def _client(self, *, public: bool = False) -> BaseClient:
        endpoint = settings.AWS_ENDPOINT_URL or ""
        if public and settings.AWS_PUBLIC_ENDPOINT_URL:
            endpoint = settings.AWS_PUBLIC_ENDPOINT_URL
        location = self.location
        with _storage_errors(self.uri):
            if location.access_key_id and location.secret_access_key_encrypted:
                return _s3_client(
                    access_key_id=location.access_key_id,
                    secret_access_key=decrypt_secret(location.secret_access_key_encrypted),
                    endpoint_url=endpoint,
                )
        return _s3_client(
            access_key_id=settings.AWS_ACCESS_KEY_ID,
            secret_access_key=settings.AWS_SECRET_ACCESS_KEY,
            endpoint_url=endpoint,
        )

    @property
    def _object(self) -> dict[str, str]:
        return {"Bucket": self.target.bucket, "Key": self.target.key}

    def _chunks(self) -> Generator[bytes]:
        client = self._client()
        with _storage_errors(self.uri):
            body = client.get_object(**self._object)["Body"]
        try:
            while True:
                with _storage_errors(self.uri):
                    chunk = body.read(READ_CHUNK_BYTES)
                if not chunk:
                    return
                yield chunk
        finally:
            body.close()

    def read_bytes(self, *, max_bytes: int) -> bytes:
        self._require_object()
        client = self._client()
        with _storage_errors(self.uri):
            response = client.get_object(**self._object)
            body = response["Body"]
            try:
                if response.get("ContentLength", 0) > max_bytes:
                    raise self._too_large(max_bytes)
                data = body.read(max_bytes + 1)
            finally:
                body.close()
        if len(data) > max_bytes:
            raise self._too_large(max_bytes)
        return data

    def put_bytes(self, data: bytes, *, content_type: str) -> None:
        self._require_object()
        client = self._client()
        with _storage_errors(self.uri):
            client.put_object(**self._object, Body=data, ContentType=content_type)

    def _new_writer(self, *, content_type: str, part_size_bytes: int) -> _Writer:
        return _S3MultipartWriter(self, self._client(), content_type=content_type, part_size_bytes=part_size_bytes)

    def _list_folder(self, folder_key: str, limit: int) -> list[str]:
        client = self._client()
        found: list[str] = []
        with _storage_errors(self.uri):
            pages = client.get_paginator("list_objects_v2").paginate(Bucket=self.target.bucket, Prefix=folder_key)
            for page in pages:  # S3 lists keys in ascending (UTF-8 binary) order
                for item in page.get("Contents", []):
                    relative = item["Key"][len(folder_key) :]
                    if relative and not relative.endswith("/") and not is_hidden(relative):
                        found.append(relative)
                        if len(found) == limit:
                            return found
        return found

    def _presigned_get_url(self, expires_seconds: int) -> str:
        client = self._client(public=True)
        with _storage_errors(self.uri):
            return client.generate_presigned_url("get_object", Params=self._object, ExpiresIn=expires_seconds)


class _S3MultipartWriter(_Writer):
    """Buffers one part at a time; the multipart upload is created only once a full part is
    ready, so a small object is one ``PutObject``."""

    def __init__(self, handle: _S3Handle, client: BaseClient, *, content_type: str, part_size_bytes: int) -> None:
        self._handle = handle
        self._client = client
        self._content_type = content_type
        self._part_size = part_size_bytes
        self._buffer = bytearray()
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []
        self._closed = False
        self.bytes_written = 0

    def write(self, data: bytes) -> None:
        if self._closed:
            raise ValueError("write to a closed writer")
        self._buffer += data
        self.bytes_written += len(data)
        while len(self._buffer) >= self._part_size:
            part = bytes(self._buffer[: self._part_size])
            del self._buffer[: self._part_size]
            self._upload_part(part)

    def _upload_part(self, part: bytes) -> None:
        with _storage_errors(self._handle.uri):
            if self._upload_id is None:
                created = self._client.create_multipart_upload(**self._handle._object, ContentType=self._content_type)
                self._upload_id = created["UploadId"]
            number = len(self._parts) + 1
            uploaded = self._client.upload_part(
                **self._handle._object, UploadId=self._upload_id, PartNumber=number, Body=part
            )
        self._parts.append({"PartNumber": number, "ETag": uploaded["ETag"]})

    def close(self) -> None:
        if self._closed:
            return
        try:
            if self._upload_id is None:
                with _storage_errors(self._handle.uri):
                    self._client.put_object(
                        **self._handle._object, Body=bytes(self._buffer), ContentType=self._content_type
                    )
            else:
                if self._buffer:
                    self._upload_part(bytes(self._buffer))
                with _storage_errors(self._handle.uri):
                    self._client.complete_multipart_upload(
                        **self._handle._object, UploadId=self._upload_id, MultipartUpload={"Parts": self._parts}
                    )
        except BaseException:
            self.abort()
            raise
        self._closed = True
        self._buffer = bytearray()

    def abort(self) -> None:
        self._closed = True
        self._buffer = bytearray()
        if self._upload_id is not None:
            upload_id, self._upload_id = self._upload_id, None
            try:
                self._client.abort_multipart_upload(**self._handle._object, UploadId=upload_id)
            except (ClientError, BotoCoreError):
                pass  # the bucket's lifecycle rule for incomplete uploads is the backstop
