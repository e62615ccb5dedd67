"""Reading and writing objects, and storage that fails."""

from __future__ import annotations

import os

import pytest

from labeling.storage import (
    ManifestLineNotUTF8,
    ManifestLineTooLong,
    StorageObjectTooLarge,
    StorageUnavailable,
    access_storage,
    clear_client_cache,
)
from tests.labeling.storage_access.helpers import MiB, register


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
