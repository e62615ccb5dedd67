"""Handles: :class:`StorageLocationHandle`, the backend-independent part of reading and writing
one URI that ``access_storage`` let through (children, streamed lines, multipart writers,
presigned links), and the writer interfaces. The backends are ``s3`` and ``files``."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Generator, Iterator
from contextlib import contextmanager

from marketplace.errors import InvalidInput

from ..models import StorageLocation
from .errors import ManifestLineNotUTF8, ManifestLineTooLong, StorageObjectTooLarge, _not_allowed
from .uris import _CONTROL_CHARACTERS, StorageURI, _stays_in_folder, storage_root

MIN_PART_SIZE_BYTES = 5 * 1024 * 1024  # S3's minimum for every part but the last
DEFAULT_PART_SIZE_BYTES = 8 * 1024 * 1024
MAX_PRESIGNED_EXPIRY_SECONDS = 7 * 86400  # S3's limit for Signature Version 4
READ_CHUNK_BYTES = 64 * 1024


class MultipartWriter(ABC):
    """Streams bytes to one object; made by ``StorageLocationHandle.open_multipart_writer``."""

    bytes_written: int

    @abstractmethod
    def write(self, data: bytes) -> None: ...


class StorageLocationHandle(ABC):
    """Reads and writes one URI that ``access_storage`` let through. ``location`` is the
    registration that allowed it; ``field`` names the input the URI came from (for errors)."""

    def __init__(
        self,
        *,
        location: StorageLocation,
        target: StorageURI,
        registered: StorageURI,
        field: str,
        folder_only: bool = False,
    ) -> None:
        self.location = location
        self.target = target
        self.registered = registered
        self.field = field
        self.folder_only = folder_only

    @property
    def uri(self) -> str:
        return str(self.target)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.uri}>"

    def child(self, relative_key: str) -> StorageLocationHandle:
        """The handle of ``relative_key`` under this URI, joined with exactly one slash
        (``s3://b/out`` + ``job/output.manifest`` → ``s3://b/out/job/output.manifest``); empty,
        ``.`` and ``..`` segments are refused, duplicate slashes dropped. The child lies under
        this handle, so the same registration covers it."""
        if _CONTROL_CHARACTERS.search(relative_key):
            raise InvalidInput.for_field(self.field, "a child key must not contain control characters")
        segments = relative_key.split("/")
        if any(segment in (".", "..") for segment in segments):
            raise InvalidInput.for_field(self.field, "a child key must not contain '.' or '..' segments")
        parts = [segment for segment in segments if segment]
        if not parts:
            raise InvalidInput.for_field(self.field, "a child key must not be empty")
        base = self.target.key.rstrip("/")
        key = "/".join([base, *parts] if base else parts) + ("/" if relative_key.endswith("/") else "")
        if len(key.encode()) > 1024:
            raise InvalidInput.for_field(self.field, "the key must be at most 1024 bytes")
        target = StorageURI(self.target.scheme, self.target.bucket, key)
        if target.scheme == "file":
            root = storage_root()
            if not (root / key).resolve().is_relative_to(root):
                raise InvalidInput.for_field(self.field, "leads out of the storage root")
        if not _stays_in_folder(target, self.registered):
            raise _not_allowed(str(target), self.field)
        # Same scheme, so the same backend: the class of this handle (what ``access._make_handle``
        # would pick), without this module importing the backends.
        return type(self)(
            location=self.location, target=target, registered=self.registered, field=self.field, folder_only=False
        )

    def iter_lines(self, *, max_line_chars: int) -> Iterator[str]:
        """The object's text lines, streamed in constant memory, without their ``\\n`` or
        ``\\r\\n``; line *n* of the object is the *n*-th item (blank lines included), and an
        empty or blank remainder after the last newline is not a line. A UTF-8 byte order mark
        is dropped. Raises ``ManifestLineTooLong(line_number)`` for a line over
        ``max_line_chars`` (without reading more of it than 4 bytes a character allows),
        ``ManifestLineNotUTF8`` (a ``UnicodeDecodeError`` carrying ``line_number``), or
        ``StorageUnavailable``."""
        self._require_object()
        if max_line_chars < 1:
            raise ValueError("max_line_chars must be positive")
        return self._lines(max_line_chars)

    def _lines(self, max_line_chars: int) -> Iterator[str]:
        max_line_bytes = 4 * max_line_chars + 1  # UTF-8 takes at most 4 bytes a character; + "\r"
        pending = bytearray()
        line_number = 0
        chunks = self._chunks()
        try:
            for chunk in chunks:
                start = 0
                while True:
                    end = chunk.find(b"\n", start)
                    pending += chunk[start:] if end < 0 else chunk[start:end]
                    if len(pending) > max_line_bytes:
                        raise ManifestLineTooLong(line_number + 1, max_line_chars=max_line_chars, uri=self.uri)
                    if end < 0:
                        break
                    line_number += 1
                    yield self._decode_line(pending, line_number, max_line_chars)
                    pending.clear()
                    start = end + 1
            if pending.strip():
                yield self._decode_line(pending, line_number + 1, max_line_chars)
        finally:
            chunks.close()

    def _decode_line(self, raw: bytearray, line_number: int, max_line_chars: int) -> str:
        if raw.endswith(b"\r"):
            del raw[-1]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ManifestLineNotUTF8(line_number, exc, uri=self.uri) from None
        if line_number == 1 and text.startswith("\ufeff"):
            text = text[1:]
        if len(text) > max_line_chars:
            raise ManifestLineTooLong(line_number, max_line_chars=max_line_chars, uri=self.uri)
        return text

    def _require_object(self) -> None:
        if self.folder_only or self.target.is_folder:
            raise InvalidInput.for_field(self.field, f"{self.uri} names a folder, not an object")

    def _too_large(self, max_bytes: int) -> StorageObjectTooLarge:
        return StorageObjectTooLarge.for_field(self.field, f"{self.uri} is larger than {max_bytes} bytes")

    @contextmanager
    def open_multipart_writer(
        self, *, content_type: str, part_size_bytes: int = DEFAULT_PART_SIZE_BYTES
    ) -> Iterator[MultipartWriter]:
        """A context manager yielding a writer whose ``write(bytes)`` streams to this object.
        S3: a multipart upload in parts of ``part_size_bytes`` (at least 5 MiB; one ``PutObject``
        when everything fits in one part), completed on a clean exit and aborted on an exception.
        File: a temporary file beside the target, renamed over it on a clean exit (readers see
        the old file or the whole new one), removed on an exception."""
        self._require_object()
        if part_size_bytes < MIN_PART_SIZE_BYTES:
            raise ValueError(f"part_size_bytes must be at least {MIN_PART_SIZE_BYTES}")
        writer = self._new_writer(content_type=content_type, part_size_bytes=part_size_bytes)
        try:
            yield writer
        except BaseException:
            writer.abort()
            raise
        writer.close()

    def list_folder(self, *, limit: int) -> list[str]:
        """The objects under this URI read as a folder, as keys relative to it (``a.jsonl``,
        ``day/b.jsonl``), sorted, at most ``limit`` of them; names starting with a dot (a
        writer's temporary file, hidden files) are left out. Raises ``StorageUnavailable``."""
        if limit < 1:
            raise ValueError("limit must be positive")
        return self._list_folder(self.target.as_folder().key, limit)

    def presigned_get_url(self, *, expires_seconds: int) -> str:
        """A URL anyone holding it can GET the object with, for ``expires_seconds`` (1 s to 7 days)."""
        self._require_object()
        if not 1 <= expires_seconds <= MAX_PRESIGNED_EXPIRY_SECONDS:
            raise ValueError(f"expires_seconds must be between 1 and {MAX_PRESIGNED_EXPIRY_SECONDS}")
        return self._presigned_get_url(expires_seconds)

    @abstractmethod
    def _chunks(self) -> Generator[bytes]:
        """The object's bytes in chunks (a generator: closing it releases the stream)."""

    @abstractmethod
    def read_bytes(self, *, max_bytes: int) -> bytes:
        """The whole object; ``StorageObjectTooLarge`` (an ``InvalidInput``) above ``max_bytes``."""

    @abstractmethod
    def put_bytes(self, data: bytes, *, content_type: str) -> None:
        """Write the whole object, replacing any previous one."""

    @abstractmethod
    def _new_writer(self, *, content_type: str, part_size_bytes: int) -> _Writer: ...

    @abstractmethod
    def _list_folder(self, folder_key: str, limit: int) -> list[str]: ...

    @abstractmethod
    def _presigned_get_url(self, expires_seconds: int) -> str: ...


def is_hidden(relative_key: str) -> bool:
    return any(segment.startswith(".") for segment in relative_key.split("/"))


class _Writer(MultipartWriter):
    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def abort(self) -> None: ...
