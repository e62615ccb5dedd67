"""Storage URIs: parsing and normalising ``s3://bucket/key`` and ``file://path`` (relative to
:func:`storage_root`), and the check that a ``file://`` path stays inside a folder."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from django.conf import settings

from marketplace.errors import InvalidInput

MAX_URI_CHARS = 1024  # the URI columns of LabelingJob and StorageLocation


_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_IP_ADDRESS = re.compile(r"\d{1,3}(\.\d{1,3}){3}")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class StorageURI:
    """A parsed, normalised storage URI. ``key`` is the object key (``s3``) or the path relative
    to the storage root (``file``, whose ``bucket`` is empty); a key that is empty or ends with
    ``/`` names a folder."""

    scheme: Literal["s3", "file"]
    bucket: str
    key: str

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}" if self.scheme == "s3" else f"file://{self.key}"

    @property
    def is_folder(self) -> bool:
        return self.key == "" or self.key.endswith("/")

    def as_folder(self) -> StorageURI:
        """The same location read as a folder (``s3://b/pre`` → ``s3://b/pre/``); a bare bucket
        stays the bucket."""
        key = self.key.rstrip("/")
        return StorageURI(self.scheme, self.bucket, f"{key}/" if key else "")


def _bucket_problem(bucket: str) -> str | None:
    """Why ``bucket`` is not a valid S3 bucket name (the current naming rules), or None."""
    if not _BUCKET_NAME.fullmatch(bucket):
        return (
            "the bucket name must be 3 to 63 lowercase letters, digits, dots and hyphens, "
            "beginning and ending with a letter or digit"
        )
    if ".." in bucket:
        return "the bucket name must not contain two adjacent dots"
    if _IP_ADDRESS.fullmatch(bucket):
        return "the bucket name must not look like an IP address"
    if bucket.startswith(("xn--", "sthree-")) or bucket.endswith(("-s3alias", "--ol-s3")):
        return "the bucket name uses a prefix or suffix reserved by S3"
    return None


def parse_storage_uri(uri: str, *, field: str) -> StorageURI:
    """Parse and normalise ``s3://bucket/key`` or ``file://path``; ``InvalidInput`` for ``field``
    when it is malformed.

    S3 keys are taken literally (S3 has no directories) except that ``.`` and ``..`` segments
    are refused: servers and HTTP stacks disagree on whether they collapse. ``file://`` paths are
    relative to ``settings.STORAGE_ROOT`` (an absolute path is accepted only when it lies inside
    the root); duplicate slashes and ``.`` segments are dropped, ``..`` is refused, and the
    resolved path (symbolic links followed) must stay inside the root.
    """
    if not isinstance(uri, str) or not uri:
        raise InvalidInput.for_field(field, "must be an s3:// or file:// URI")
    if len(uri) > MAX_URI_CHARS:
        raise InvalidInput.for_field(field, f"must be at most {MAX_URI_CHARS} characters")
    if _CONTROL_CHARACTERS.search(uri):
        raise InvalidInput.for_field(field, "must not contain control characters")
    if uri.startswith("s3://"):
        return _parse_s3(uri[len("s3://") :], field=field)
    if uri.startswith("file://"):
        return _parse_file(uri[len("file://") :], field=field)
    raise InvalidInput.for_field(field, "must be an s3:// or file:// URI")


def _parse_s3(rest: str, *, field: str) -> StorageURI:
    bucket, _, key = rest.partition("/")
    problem = _bucket_problem(bucket)
    if problem:
        raise InvalidInput.for_field(field, problem)
    if any(segment in (".", "..") for segment in key.split("/")):
        raise InvalidInput.for_field(field, "the key must not contain '.' or '..' segments")
    if len(key.encode()) > 1024:
        raise InvalidInput.for_field(field, "the key must be at most 1024 bytes")
    return StorageURI("s3", bucket, key)


def storage_root() -> Path:
    return Path(settings.STORAGE_ROOT).resolve()


def _parse_file(rest: str, *, field: str) -> StorageURI:
    root = storage_root()
    segments = rest.split("/")
    if ".." in segments:
        raise InvalidInput.for_field(field, "must not contain '..': paths stay inside the storage root")
    is_folder = rest == "" or rest.endswith("/") or segments[-1] == "."
    parts = [segment for segment in segments if segment not in ("", ".")]
    if rest.startswith("/"):
        absolute = Path("/", *parts)
        configured = Path(settings.STORAGE_ROOT)
        base = next((b for b in (root, configured) if absolute.is_relative_to(b)), None)
        if base is None:
            raise InvalidInput.for_field(field, "must be a path inside the storage root")
        parts = list(absolute.relative_to(base).parts)
    if not (root / Path(*parts)).resolve().is_relative_to(root):
        raise InvalidInput.for_field(field, "leads out of the storage root")
    key = "/".join(parts)
    return StorageURI("file", "", f"{key}/" if is_folder and key else key)


def _stays_in_folder(target: StorageURI, folder: StorageURI) -> bool:
    """For ``file`` URIs: the resolved path (links followed) stays inside the registered folder."""
    if target.scheme != "file":
        return True
    root = storage_root()
    return (root / target.key).resolve().is_relative_to((root / folder.key).resolve())
