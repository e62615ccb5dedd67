"""Presigned URLs, registration, the operator command and secrets."""

from __future__ import annotations

import base64
import json
from io import StringIO

import httpx
import pytest
from django.core import signing
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client

from labeling.admin import StorageLocationForm
from labeling.models import StorageLocation
from labeling.storage import access_storage
from marketplace.encryption import SecretDecryptionError, decrypt_secret, encrypt_secret
from marketplace.errors import InvalidInput
from tests.labeling.storage_access.helpers import register


def test_presigned_s3_url_is_signed_for_the_public_endpoint_and_fetchable(organization, s3, settings):
    # given: workers reach the same server under another name
    public = s3.endpoint_url.replace("127.0.0.1", "localhost")
    settings.AWS_PUBLIC_ENDPOINT_URL = public
    register(organization, s3.uri())
    s3.put("images/cat.jpg", b"\xff\xd8 a cat")
    handle = access_storage(organization, s3.uri("images/cat.jpg"), field="source-ref")
    # when
    url = handle.presigned_get_url(expires_seconds=600)
    response = httpx.get(url)
    # then
    assert url.startswith(f"{public}/{s3.name}/images/cat.jpg?")
    assert "X-Amz-Expires=600" in url
    assert response.status_code == 200
    assert response.content == b"\xff\xd8 a cat"


def test_presigned_s3_url_is_https_when_the_public_endpoint_is(organization, s3, settings):
    # given
    settings.AWS_PUBLIC_ENDPOINT_URL = "https://storage.example.com"
    register(organization, s3.uri())
    # when
    url = access_storage(organization, s3.uri("cat.jpg"), field="source-ref").presigned_get_url(expires_seconds=60)
    # then
    assert url.startswith(f"https://storage.example.com/{s3.name}/cat.jpg?")


def test_presigned_url_uses_the_organizations_own_credentials(organization, s3):
    # given
    register(organization, s3.uri(), access_key_id="AKIAORGOWNKEY", secret_access_key="org-secret")
    # when
    url = access_storage(organization, s3.uri("cat.jpg"), field="source-ref").presigned_get_url(expires_seconds=60)
    # then
    assert "X-Amz-Credential=AKIAORGOWNKEY%2F" in url


def test_presigned_file_url_serves_the_file(organization, storage_root):
    # given
    register(organization, "file://org/")
    (storage_root / "org" / "cat.png").write_bytes(b"\x89PNG a cat")
    handle = access_storage(organization, "file://org/cat.png", field="source-ref")
    # when
    url = handle.presigned_get_url(expires_seconds=600)
    response = Client().get(url)
    # then
    assert url.startswith("/api/v1/worker/objects/")
    token = url.removeprefix("/api/v1/worker/objects/")
    assert "cat" not in token and "org" not in token
    assert "cat" not in base64.urlsafe_b64decode(token + "==").decode("latin-1")  # opaque, not just encoded
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"\x89PNG a cat"
    assert response["Content-Type"] == "image/png"
    assert response["Content-Security-Policy"] == "sandbox"


def test_expired_or_tampered_file_url_is_the_json_404(organization, storage_root, monkeypatch):
    # given: a link made two hours ago, valid for one
    register(organization, "file://org/")
    (storage_root / "org" / "cat.png").write_bytes(b"a cat")
    handle = access_storage(organization, "file://org/cat.png", field="source-ref")
    with monkeypatch.context() as patched:
        two_hours_ago = signing.b62_encode(int(signing.time.time()) - 7200)
        patched.setattr(signing.TimestampSigner, "timestamp", lambda self: two_hours_ago)
        expired = handle.presigned_get_url(expires_seconds=3600)
    valid = handle.presigned_get_url(expires_seconds=3600)
    # when
    responses = [Client().get(expired), Client().get(valid[:-2] + "xx"), Client().get(valid)]
    # then
    assert [r.status_code for r in responses] == [404, 404, 200]
    assert json.loads(responses[0].content) == {
        "error": {"code": "not_found", "message": "no such object, or the link has expired", "fields": {}}
    }


def test_register_storage_prints_one_json_line_and_is_idempotent(organization, s3):
    # given
    out_first, out_second = StringIO(), StringIO()
    # when
    call_command("register_storage", str(organization.pk), s3.uri("pre"), stdout=out_first)
    call_command(
        "register_storage",
        str(organization.pk),
        s3.uri("pre/"),
        "--access-key-id",
        "AKIAORGOWNKEY",
        "--secret-access-key",
        "org-secret",
        stdout=out_second,
    )
    # then
    first, second = json.loads(out_first.getvalue()), json.loads(out_second.getvalue())
    location = StorageLocation.objects.get(organization=organization)
    assert out_first.getvalue().count("\n") == 1
    assert first == {
        "storage_location_id": location.pk,
        "organization_id": organization.pk,
        "uri_prefix": s3.uri("pre/"),
        "has_own_credentials": False,
    }
    assert second == {**first, "has_own_credentials": True}
    assert "org-secret" not in out_second.getvalue()
    assert location.access_key_id == "AKIAORGOWNKEY"
    assert decrypt_secret(location.secret_access_key_encrypted) == "org-secret"


def test_register_storage_refuses_half_credentials_and_unknown_organizations(organization):
    # when
    with pytest.raises(CommandError) as half:
        call_command(
            "register_storage", str(organization.pk), "s3://bucket-a/", "--access-key-id", "AKIA1", stdout=StringIO()
        )
    with pytest.raises(CommandError) as unknown:
        call_command("register_storage", "999999", "s3://bucket-a/", stdout=StringIO())
    with pytest.raises(CommandError) as bad_uri:
        call_command("register_storage", str(organization.pk), "s3://Bucket/", stdout=StringIO())
    # then
    assert str(half.value) == "secret_access_key: give both the access key id and the secret access key, or neither"
    assert str(unknown.value) == "no organization with id 999999"
    assert str(bad_uri.value).startswith("uri_prefix: the bucket name must be")
    assert StorageLocation.objects.count() == 0


def test_register_storage_creates_a_file_folder_but_not_the_root(organization, storage_root):
    # when
    location = register(organization, "file://org/data")
    with pytest.raises(InvalidInput) as raised:
        register(organization, "file://")
    # then
    assert location.uri_prefix == "file://org/data/"
    assert (storage_root / "org" / "data").is_dir()
    assert raised.value.fields == {"uri_prefix": ["must name a folder inside the storage root, not the root itself"]}


def test_secret_is_stored_encrypted(organization):
    # given
    location = register(organization, "s3://bucket-a/", access_key_id="AKIA1", secret_access_key="plain-secret-value")
    # when
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT secret_access_key_encrypted FROM {StorageLocation._meta.db_table} WHERE id = %s", [location.pk]
        )
        (stored,) = cursor.fetchone()
    # then
    assert "plain-secret-value" not in stored
    assert decrypt_secret(stored) == "plain-secret-value"


def test_encrypt_secret_round_trips_and_another_key_cannot_decrypt(settings):
    # given
    settings.FIELD_ENCRYPTION_KEY = "key one"
    token = encrypt_secret("s3cr3t")
    # when
    settings.FIELD_ENCRYPTION_KEY = "key two"
    with pytest.raises(SecretDecryptionError):
        decrypt_secret(token)
    settings.FIELD_ENCRYPTION_KEY_FALLBACKS = ["key one"]
    # then
    assert decrypt_secret(token) == "s3cr3t"
    assert encrypt_secret("s3cr3t") != token


def test_admin_form_stores_the_secret_encrypted_and_never_shows_it(organization):
    # given
    form = StorageLocationForm(
        data={
            "organization": organization.pk,
            "uri_prefix": "s3://bucket-a/pre",
            "access_key_id": "AKIA1",
            "secret_access_key": "plain-secret-value",
        }
    )
    # when
    location = form.save() if form.is_valid() else None
    edit = StorageLocationForm(
        instance=location,
        data={
            "organization": organization.pk,
            "uri_prefix": "s3://bucket-a/pre/",
            "access_key_id": "AKIA2",
            "secret_access_key": "",
        },
    )
    edited = edit.save() if edit.is_valid() else None
    # then
    assert form.errors == {}
    assert edit.errors == {}
    edited.refresh_from_db()
    assert (edited.pk, edited.uri_prefix, edited.access_key_id) == (location.pk, "s3://bucket-a/pre/", "AKIA2")
    assert decrypt_secret(edited.secret_access_key_encrypted) == "plain-secret-value"
    assert "plain-secret-value" not in str(edit)
    assert edited.secret_access_key_encrypted not in str(edit)


def test_admin_form_needs_a_secret_with_a_new_access_key(organization):
    # given
    form = StorageLocationForm(
        data={
            "organization": organization.pk,
            "uri_prefix": "s3://bucket-a/",
            "access_key_id": "AKIA1",
            "secret_access_key": "",
        }
    )
    # then
    assert form.is_valid() is False
    assert form.errors == {"secret_access_key": ["A secret access key is needed with an access key id."]}
    assert StorageLocation.objects.count() == 0
