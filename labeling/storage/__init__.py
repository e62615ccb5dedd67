"""The storage boundary: the one package that talks to S3 (through boto3) and to the local
storage root.

Everything that reads or writes a requester's data goes through :func:`access_storage`, which
finds the organization's registered :class:`~labeling.models.StorageLocation` covering a URI
*before* any byte moves and raises ``Forbidden(code="storage_not_allowed")`` otherwise. The handle
it returns reads and writes that one URI (and, through :meth:`StorageLocationHandle.child`, the
objects under it) on either backend:

- ``s3://bucket/key``: boto3 with explicit timeouts and standard retries; clients are cached per
  (credentials, endpoint, region). A location registered with its own access key uses it,
  anything else the server's credentials (settings, or boto3's default chain).
- ``file://relative/path``: a file inside ``settings.STORAGE_ROOT`` (the embedded default).
  Paths are normalised lexically (no ``..``, no way out) and resolved again on every use, so a
  symbolic link can lead neither out of the root nor out of the registered folder.

Every failure of the storage itself (missing bucket or object, access denied, endpoint
unreachable, timeouts, a missing file) becomes :class:`StorageUnavailable` whose message names
the URI (``"s3://bkt/in.jsonl: bucket does not exist"``), never a raw botocore traceback.

Where each part lives (import from ``labeling.storage``, not from the modules):

- ``errors``: :class:`StorageUnavailable`, :class:`StorageObjectTooLarge`,
  :class:`ManifestLineTooLong`, :class:`ManifestLineNotUTF8`, and the ``storage_not_allowed``
  ``Forbidden``.
- ``uris``: :class:`StorageURI`, :func:`parse_storage_uri`, :func:`storage_root`.
- ``handles``: :class:`StorageLocationHandle` (backend-independent), :class:`MultipartWriter`,
  the part-size and expiry limits.
- ``s3``: the S3 handle and multipart writer, the boto3 client cache
  (:func:`clear_client_cache`), botocore errors described; the only module importing
  boto3/botocore.
- ``files``: the ``file://`` handle and writer, signed links (:func:`open_signed_file`).
- ``access``: registrations and matching, :func:`access_storage`, :func:`storage_checker`,
  :func:`storage_reader`,
  :func:`prepare_registered_folder`; it builds the backend handles.

Imports go one way: ``errors`` ← ``uris`` ← ``handles`` ← ``s3``/``files`` ← ``access``.
"""

from .access import access_storage, prepare_registered_folder, storage_checker, storage_reader
from .errors import ManifestLineNotUTF8, ManifestLineTooLong, StorageObjectTooLarge, StorageUnavailable
from .files import open_signed_file
from .handles import (
    DEFAULT_PART_SIZE_BYTES,
    MAX_PRESIGNED_EXPIRY_SECONDS,
    MIN_PART_SIZE_BYTES,
    READ_CHUNK_BYTES,
    MultipartWriter,
    StorageLocationHandle,
)
from .s3 import CONNECT_TIMEOUT_SECONDS, MAX_ATTEMPTS, READ_TIMEOUT_SECONDS, clear_client_cache
from .uris import MAX_URI_CHARS, StorageURI, parse_storage_uri, storage_root

__all__ = [
    "CONNECT_TIMEOUT_SECONDS",
    "DEFAULT_PART_SIZE_BYTES",
    "MAX_ATTEMPTS",
    "MAX_PRESIGNED_EXPIRY_SECONDS",
    "MAX_URI_CHARS",
    "MIN_PART_SIZE_BYTES",
    "READ_CHUNK_BYTES",
    "READ_TIMEOUT_SECONDS",
    "ManifestLineNotUTF8",
    "ManifestLineTooLong",
    "MultipartWriter",
    "StorageLocationHandle",
    "StorageObjectTooLarge",
    "StorageURI",
    "StorageUnavailable",
    "access_storage",
    "clear_client_cache",
    "open_signed_file",
    "parse_storage_uri",
    "prepare_registered_folder",
    "storage_checker",
    "storage_reader",
    "storage_root",
]
