"""The storage boundary (labeling/storage/) against a real S3 (moto's server over HTTP) and a
real storage root on disk."""

from __future__ import annotations

import base64
import json
import os
from io import StringIO

import httpx
import pytest
from django.core import signing
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client

from labeling.admin import StorageLocationForm
from labeling.models import StorageLocation
from labeling.services.storage_registration import storage_register
from labeling.storage import (
    ManifestLineNotUTF8,
    ManifestLineTooLong,
    StorageObjectTooLarge,
    StorageUnavailable,
    StorageURI,
    access_storage,
    clear_client_cache,
    parse_storage_uri,
    storage_checker,
)
from marketplace.encryption import SecretDecryptionError, decrypt_secret, encrypt_secret
from marketplace.errors import Forbidden, InvalidInput

MiB = 1024 * 1024


@pytest.fixture
def organization(requester):
    return requester.organization


def register(organization, uri_prefix: str, **credentials) -> StorageLocation:
    return storage_register(organization=organization, uri_prefix=uri_prefix, **credentials)


# --- parsing ------------------------------------------------------------------------------------


def test_parse_storage_uri_splits_s3_bucket_and_key():
    # when
    parsed = parse_storage_uri("s3://my-bucket.example/in/manifest.jsonl", field="input")
    # then
    assert parsed == StorageURI("s3", "my-bucket.example", "in/manifest.jsonl")
    assert str(parsed) == "s3://my-bucket.example/in/manifest.jsonl"


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        ("http://bucket/key", "must be an s3:// or file:// URI"),
        (
            "s3://Bucket/key",
            "the bucket name must be 3 to 63 lowercase letters, digits, dots and hyphens, "
            "beginning and ending with a letter or digit",
        ),
        (
            "s3://ab/key",
            "the bucket name must be 3 to 63 lowercase letters, digits, dots and hyphens, "
            "beginning and ending with a letter or digit",
        ),
        ("s3://my..bucket/key", "the bucket name must not contain two adjacent dots"),
        ("s3://192.168.5.4/key", "the bucket name must not look like an IP address"),
        ("s3://xn--bucket/key", "the bucket name uses a prefix or suffix reserved by S3"),
        ("s3://bucket/a/../b", "the key must not contain '.' or '..' segments"),
        ("s3://bucket/a\nb", "must not contain control characters"),
    ],
)
def test_parse_storage_uri_rejects_malformed_uris_for_the_field(uri, reason):
    # when
    with pytest.raises(InvalidInput) as raised:
        parse_storage_uri(uri, field="input_manifest_uri")
    # then
    assert raised.value.fields == {"input_manifest_uri": [reason]}


def test_parse_file_uri_normalises_inside_the_storage_root(storage_root):
    # when
    parsed = parse_storage_uri("file://org//data/./in.jsonl", field="input")
    inside_absolute = parse_storage_uri(f"file://{storage_root}/org/in.jsonl", field="input")
    folder = parse_storage_uri("file://org/out/", field="output")
    # then
    assert parsed == StorageURI("file", "", "org/data/in.jsonl")
    assert inside_absolute == StorageURI("file", "", "org/in.jsonl")
    assert folder == StorageURI("file", "", "org/out/")


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        ("file://../etc/passwd", "must not contain '..': paths stay inside the storage root"),
        ("file://org/../../etc/passwd", "must not contain '..': paths stay inside the storage root"),
        ("file:///etc/passwd", "must be a path inside the storage root"),
    ],
)
def test_parse_file_uri_refuses_paths_out_of_the_root(storage_root, uri, reason):
    # when
    with pytest.raises(InvalidInput) as raised:
        parse_storage_uri(uri, field="input")
    # then
    assert raised.value.fields == {"input": [reason]}


# --- access ---------------------------------------------------------------------------------------


def test_unregistered_bucket_is_forbidden_before_any_storage_call(organization, s3, settings):
    # given: a registration for another bucket, and an endpoint where nothing listens, so any
    # storage call would end in StorageUnavailable instead
    register(organization, "s3://other-bucket/")
    settings.AWS_ENDPOINT_URL = "http://127.0.0.1:9"
    clear_client_cache()
    # when
    with pytest.raises(Forbidden) as raised:
        access_storage(organization, s3.uri("in.jsonl"), field="input_manifest_uri")
    # then
    assert raised.value.code == "storage_not_allowed"
    assert raised.value.status == 403
    assert raised.value.fields == {"input_manifest_uri": ["is not in storage registered for your organization"]}


def test_registered_prefix_is_a_folder_not_a_string_prefix(organization, s3):
    # given
    register(organization, s3.uri("pre"))
    s3.put("prefix2/x.jsonl", b"{}\n")
    # when
    allowed = access_storage(organization, s3.uri("pre/x.jsonl"), field="input")
    with pytest.raises(Forbidden) as raised:
        access_storage(organization, s3.uri("prefix2/x.jsonl"), field="input")
    # then
    assert allowed.uri == s3.uri("pre/x.jsonl")
    assert raised.value.code == "storage_not_allowed"


def test_another_organizations_registration_does_not_count(organization, make_requester, s3):
    # given
    other = make_requester().organization
    register(other, s3.uri())
    # when
    with pytest.raises(Forbidden) as raised:
        access_storage(organization, s3.uri("in.jsonl"), field="input")
    # then
    assert raised.value.code == "storage_not_allowed"


def test_registered_folder_named_without_its_slash_is_usable_only_as_a_folder(organization, s3):
    # given
    register(organization, s3.uri("out/"))
    # when
    folder = access_storage(organization, s3.uri("out"), field="output_uri")
    folder.child("job-1/output.manifest").put_bytes(b"{}\n", content_type="application/jsonlines")
    with pytest.raises(InvalidInput) as raised:
        folder.put_bytes(b"x", content_type="text/plain")
    # then
    assert s3.list() == ["out/job-1/output.manifest"]
    assert raised.value.fields == {"output_uri": [f"{s3.uri('out')} names a folder, not an object"]}


def test_child_joins_with_one_slash_and_refuses_dot_segments(organization, s3):
    # given
    register(organization, s3.uri())
    handle = access_storage(organization, s3.uri("out/"), field="output_uri")
    # when
    child = handle.child("/job//manifests/output.manifest")
    with pytest.raises(InvalidInput) as raised:
        handle.child("../elsewhere")
    # then
    assert child.uri == s3.uri("out/job/manifests/output.manifest")
    assert raised.value.fields == {"output_uri": ["a child key must not contain '.' or '..' segments"]}


def test_storage_checker_tells_which_uris_are_covered(organization, s3):
    # given
    register(organization, s3.uri("images/"))
    covers = storage_checker(organization)
    # then
    assert covers(s3.uri("images/cat.jpg")) is True
    assert covers(s3.uri("imagesX/cat.jpg")) is False
    assert covers("s3://another-bucket/images/cat.jpg") is False
    assert covers("not a uri") is False


def test_file_uri_needs_a_registration_too(organization, storage_root):
    # given
    (storage_root / "org").mkdir()
    (storage_root / "org" / "in.jsonl").write_text("{}\n")
    # when
    with pytest.raises(Forbidden) as raised:
        access_storage(organization, "file://org/in.jsonl", field="input")
    # then
    assert raised.value.code == "storage_not_allowed"


def test_symlink_out_of_the_root_is_refused(organization, storage_root, tmp_path):
    # given
    register(organization, "file://org/")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    (storage_root / "org" / "link").symlink_to(outside)
    # when
    with pytest.raises(InvalidInput) as raised:
        access_storage(organization, "file://org/link/secret.txt", field="input")
    # then
    assert raised.value.fields == {"input": ["leads out of the storage root"]}


def test_symlink_into_another_folder_of_the_root_is_not_allowed(organization, make_requester, storage_root):
    # given
    register(organization, "file://org-a/")
    register(make_requester().organization, "file://org-b/")
    (storage_root / "org-b" / "in.jsonl").write_text('{"source": "b"}\n')
    (storage_root / "org-a" / "link").symlink_to(storage_root / "org-b")
    # when
    with pytest.raises(Forbidden) as raised:
        access_storage(organization, "file://org-a/link/in.jsonl", field="input")
    # then
    assert raised.value.code == "storage_not_allowed"


# --- reading ----------------------------------------------------------------------------------------


def test_iter_lines_streams_s3_lines_with_crlf_and_ignores_the_final_newline(organization, s3):
    # given
    register(organization, s3.uri())
    s3.put("in.jsonl", b'{"a": 1}\r\n{"b": "\xc3\xa9"}\n\n{"c": 3}\r\n')
    handle = access_storage(organization, s3.uri("in.jsonl"), field="input")
    # when
    lines = list(handle.iter_lines(max_line_chars=100))
    # then
    assert lines == ['{"a": 1}', '{"b": "é"}', "", '{"c": 3}']


def test_iter_lines_reads_a_last_line_without_newline_and_drops_a_byte_order_mark(organization, storage_root):
    # given
    register(organization, "file://org/")
    (storage_root / "org" / "in.jsonl").write_bytes(b"\xef\xbb\xbffirst\nsecond")
    handle = access_storage(organization, "file://org/in.jsonl", field="input")
    # when
    lines = list(handle.iter_lines(max_line_chars=100))
    # then
    assert lines == ["first", "second"]


@pytest.mark.parametrize("backend", ["s3", "file"])
def test_iter_lines_raises_at_the_first_line_over_the_limit(organization, s3, storage_root, backend):
    # given: line 2 is exactly at the limit (with CRLF), line 3 one character over it
    exact = "é" * 100_000
    content = ("ok\r\n" + exact + "\r\n" + "x" * 100_001 + "\nnever read\n").encode()
    if backend == "s3":
        register(organization, s3.uri())
        s3.put("big.jsonl", content)
        uri = s3.uri("big.jsonl")
    else:
        register(organization, "file://org/")
        (storage_root / "org" / "big.jsonl").write_bytes(content)
        uri = "file://org/big.jsonl"
    lines = access_storage(organization, uri, field="input").iter_lines(max_line_chars=100_000)
    # when
    first, second = next(lines), next(lines)
    with pytest.raises(ManifestLineTooLong) as raised:
        next(lines)
    # then
    assert (first, second) == ("ok", exact)
    assert raised.value.line_number == 3
    assert raised.value.message == f"{uri} line 3: longer than 100000 characters"


def test_iter_lines_gives_up_on_a_huge_line_without_reading_it_all(organization, storage_root):
    # given: 50 MB without a newline
    register(organization, "file://org/")
    path = storage_root / "org" / "huge.jsonl"
    with path.open("wb") as stream:
        stream.truncate(50 * 1000 * 1000)
    lines = access_storage(organization, "file://org/huge.jsonl", field="input").iter_lines(max_line_chars=1000)
    # when
    with pytest.raises(ManifestLineTooLong) as raised:
        next(lines)
    # then
    assert raised.value.line_number == 1


def test_iter_lines_names_the_line_that_is_not_utf8(organization, s3):
    # given
    register(organization, s3.uri())
    s3.put("in.jsonl", b'{"a": 1}\n{"b": "\xff"}\n')
    lines = access_storage(organization, s3.uri("in.jsonl"), field="input").iter_lines(max_line_chars=100)
    # when
    first = next(lines)
    with pytest.raises(ManifestLineNotUTF8) as raised:
        next(lines)
    # then
    assert first == '{"a": 1}'
    assert raised.value.line_number == 2
    assert isinstance(raised.value, UnicodeDecodeError)
    assert str(raised.value) == f"{s3.uri('in.jsonl')} line 2: not valid UTF-8 (invalid start byte at byte 7)"


def test_read_bytes_refuses_an_object_over_the_limit(organization, s3):
    # given
    register(organization, s3.uri())
    s3.put("labels.json", b"x" * 101)
    s3.put("small.json", b"x" * 100)
    # when
    small = access_storage(organization, s3.uri("small.json"), field="config").read_bytes(max_bytes=100)
    with pytest.raises(StorageObjectTooLarge) as raised:
        access_storage(organization, s3.uri("labels.json"), field="config").read_bytes(max_bytes=100)
    # then
    assert small == b"x" * 100
    assert raised.value.fields == {"config": [f"{s3.uri('labels.json')} is larger than 100 bytes"]}


# --- storage failures ----------------------------------------------------------------------------------


def test_missing_bucket_is_storage_unavailable_naming_the_uri(organization, s3):
    # given
    register(organization, "s3://no-such-bucket-here/")
    handle = access_storage(organization, "s3://no-such-bucket-here/in.jsonl", field="input")
    # when
    with pytest.raises(StorageUnavailable) as raised:
        list(handle.iter_lines(max_line_chars=100))
    # then
    assert str(raised.value) == "s3://no-such-bucket-here/in.jsonl: bucket does not exist"
    assert raised.value.code == "storage_unavailable"


def test_missing_object_and_missing_file_are_storage_unavailable(organization, s3, storage_root):
    # given
    register(organization, s3.uri())
    register(organization, "file://org/")
    # when
    with pytest.raises(StorageUnavailable) as missing_object:
        access_storage(organization, s3.uri("gone.json"), field="config").read_bytes(max_bytes=10)
    with pytest.raises(StorageUnavailable) as missing_file:
        list(access_storage(organization, "file://org/gone.jsonl", field="input").iter_lines(max_line_chars=10))
    # then
    assert str(missing_object.value) == f"{s3.uri('gone.json')}: object does not exist"
    assert str(missing_file.value) == "file://org/gone.jsonl: file does not exist"


def test_unreachable_endpoint_is_storage_unavailable(organization, s3, settings):
    # given
    register(organization, s3.uri())
    settings.AWS_ENDPOINT_URL = "http://127.0.0.1:9"
    clear_client_cache()
    handle = access_storage(organization, s3.uri("in.jsonl"), field="input")
    # when
    with pytest.raises(StorageUnavailable) as raised:
        handle.put_bytes(b"x", content_type="text/plain")
    # then
    assert str(raised.value) == f"{s3.uri('in.jsonl')}: the storage endpoint is unreachable"


# --- writing ---------------------------------------------------------------------------------------


def test_multipart_writer_uploads_a_large_object_in_several_parts(organization, s3):
    # given
    register(organization, s3.uri("out/"))
    handle = access_storage(organization, s3.uri("out/output.manifest"), field="output_uri")
    data = os.urandom(12 * MiB)
    # when
    with handle.open_multipart_writer(content_type="application/jsonlines", part_size_bytes=5 * MiB) as writer:
        for start in range(0, len(data), MiB):
            writer.write(data[start : start + MiB])
    # then
    assert writer.bytes_written == 12 * MiB
    assert s3.get("out/output.manifest") == data
    head = s3.head("out/output.manifest")
    assert head["ETag"].endswith('-3"')  # a multipart object of three parts
    assert head["ContentType"] == "application/jsonlines"
    assert s3.multipart_uploads() == []


def test_multipart_writer_puts_a_small_object_in_one_request(organization, s3):
    # given
    register(organization, s3.uri())
    handle = access_storage(organization, s3.uri("small.manifest"), field="output_uri")
    # when
    with handle.open_multipart_writer(content_type="application/jsonlines") as writer:
        writer.write(b'{"a": 1}\n')
    # then
    assert s3.get("small.manifest") == b'{"a": 1}\n'
    assert "-" not in s3.head("small.manifest")["ETag"]


def test_multipart_writer_aborts_the_upload_on_an_exception(organization, s3):
    # given
    register(organization, s3.uri())
    handle = access_storage(organization, s3.uri("out.manifest"), field="output_uri")
    # when
    with (
        pytest.raises(RuntimeError),
        handle.open_multipart_writer(content_type="application/jsonlines", part_size_bytes=5 * MiB) as writer,
    ):
        writer.write(b"x" * (6 * MiB))
        raise RuntimeError("the job was stopped")
    # then
    assert s3.list() == []
    assert s3.multipart_uploads() == []


def test_file_writer_replaces_the_file_atomically(organization, storage_root):
    # given
    register(organization, "file://org/")
    handle = access_storage(organization, "file://org/out/output.manifest", field="output_uri")
    data = os.urandom(12 * MiB)
    # when
    with handle.open_multipart_writer(content_type="application/jsonlines", part_size_bytes=5 * MiB) as writer:
        for start in range(0, len(data), MiB):
            writer.write(data[start : start + MiB])
    # then
    assert (storage_root / "org" / "out" / "output.manifest").read_bytes() == data
    assert sorted(p.name for p in (storage_root / "org" / "out").iterdir()) == ["output.manifest"]


def test_file_writer_leaves_the_old_file_on_an_exception(organization, storage_root):
    # given
    register(organization, "file://org/")
    (storage_root / "org" / "output.manifest").write_bytes(b"old\n")
    handle = access_storage(organization, "file://org/output.manifest", field="output_uri")
    # when
    with pytest.raises(RuntimeError), handle.open_multipart_writer(content_type="application/jsonlines") as writer:
        writer.write(b"new, half written")
        raise RuntimeError("the job was stopped")
    # then
    assert (storage_root / "org" / "output.manifest").read_bytes() == b"old\n"
    assert sorted(p.name for p in (storage_root / "org").iterdir()) == ["output.manifest"]


def test_put_bytes_and_read_bytes_round_trip_on_both_backends(organization, s3, storage_root):
    # given
    register(organization, s3.uri())
    register(organization, "file://org/")
    # when
    for uri in (s3.uri("a/b.json"), "file://org/a/b.json"):
        access_storage(organization, uri, field="output").put_bytes(b'{"ok": true}', content_type="application/json")
    # then
    assert s3.get("a/b.json") == b'{"ok": true}'
    assert access_storage(organization, "file://org/a/b.json", field="x").read_bytes(max_bytes=100) == b'{"ok": true}'


# --- presigned URLs -------------------------------------------------------------------------------


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


# --- registration, the operator command and secrets ------------------------------------------------


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
