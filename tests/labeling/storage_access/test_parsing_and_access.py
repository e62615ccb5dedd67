"""Storage URIs parsed, and access limited to a requester's registered locations."""

from __future__ import annotations

import pytest

from labeling.storage import StorageURI, access_storage, clear_client_cache, parse_storage_uri, storage_checker
from marketplace.errors import Forbidden, InvalidInput
from tests.labeling.storage_access.helpers import register


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
