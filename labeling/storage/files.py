"""The ``file://`` backend: files inside ``settings.STORAGE_ROOT``, written atomically through a
temporary file, and the signed links (:func:`open_signed_file`) that stand in for presigned URLs."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.core import signing
from django.urls import reverse

from marketplace.encryption import SecretDecryptionError, decrypt_secret, encrypt_secret
from marketplace.errors import NotFound

from .errors import StorageUnavailable, _not_allowed
from .handles import READ_CHUNK_BYTES, StorageLocationHandle, _Writer, is_hidden
from .uris import storage_root

_FILE_TOKEN_SALT = "groundwork.labeling.storage.file-object"


def _describe_os_error(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "file does not exist"
    if isinstance(exc, IsADirectoryError):
        return "is a folder, not a file"
    if isinstance(exc, NotADirectoryError):
        return "a parent of the path is a file, not a folder"
    if isinstance(exc, PermissionError):
        return "permission denied"
    return exc.strerror or str(exc)


@contextmanager
def _file_errors(uri: str) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        raise StorageUnavailable(f"{uri}: {_describe_os_error(exc)}") from None


class _FileHandle(StorageLocationHandle):
    def _path(self) -> Path:
        """The target's path, checked again now (a link may have changed since ``access_storage``)."""
        root = storage_root()
        path = root / self.target.key
        if not path.resolve().is_relative_to((root / self.registered.key).resolve()):
            raise _not_allowed(self.uri, self.field)
        return path

    def _chunks(self) -> Generator[bytes]:
        path = self._path()
        with _file_errors(self.uri):
            stream = path.open("rb")
        with stream:
            while True:
                with _file_errors(self.uri):
                    chunk = stream.read(READ_CHUNK_BYTES)
                if not chunk:
                    return
                yield chunk

    def read_bytes(self, *, max_bytes: int) -> bytes:
        self._require_object()
        path = self._path()
        with _file_errors(self.uri), path.open("rb") as stream:
            data = stream.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise self._too_large(max_bytes)
        return data

    def put_bytes(self, data: bytes, *, content_type: str) -> None:
        with self.open_multipart_writer(content_type=content_type) as writer:
            writer.write(data)

    def _new_writer(self, *, content_type: str, part_size_bytes: int) -> _Writer:
        return _FileWriter(self._path(), self.uri)

    def _list_folder(self, folder_key: str, limit: int) -> list[str]:
        root = storage_root()
        folder = root / folder_key
        if not folder.resolve().is_relative_to((root / self.registered.key).resolve()):
            raise _not_allowed(self.uri, self.field)
        if not folder.is_dir():
            return []
        with _file_errors(self.uri):
            found = sorted(
                path.relative_to(folder).as_posix()
                for path in folder.rglob("*")
                if path.is_file() and not is_hidden(path.relative_to(folder).as_posix())
            )
        return found[:limit]

    def _presigned_get_url(self, expires_seconds: int) -> str:
        self._path()
        payload = {"path": self.target.key, "folder": self.registered.key, "max_age": expires_seconds}
        signed = signing.TimestampSigner(salt=_FILE_TOKEN_SALT).sign_object(payload, compress=True)
        # Encrypted too, so the link does not show the object's path (a gold image's name, say).
        token = encrypt_secret(signed)
        # Absolute when the server knows its public address; else relative to the API's origin.
        return settings.PUBLIC_BASE_URL + reverse("labeling-storage-object", kwargs={"token": token})


class _FileWriter(_Writer):
    def __init__(self, path: Path, uri: str) -> None:
        self._path = path
        self._uri = uri
        self.bytes_written = 0
        with _file_errors(uri):
            path.parent.mkdir(parents=True, exist_ok=True)
            descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
        self._temporary = Path(temporary)
        self._stream: BinaryIO | None = os.fdopen(descriptor, "wb")

    def write(self, data: bytes) -> None:
        if self._stream is None:
            raise ValueError("write to a closed writer")
        with _file_errors(self._uri):
            self._stream.write(data)
        self.bytes_written += len(data)

    def close(self) -> None:
        if self._stream is None:
            return
        try:
            with _file_errors(self._uri):
                self._stream.flush()
                os.fsync(self._stream.fileno())
                self._stream.close()
                self._stream = None
                os.chmod(self._temporary, 0o644)  # mkstemp makes 0600; the rest of the root is not
                os.replace(self._temporary, self._path)
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None
        self._temporary.unlink(missing_ok=True)


def open_signed_file(token: str) -> tuple[BinaryIO, str]:
    """The open file and its name for a token made by a ``file://`` handle's
    ``presigned_get_url``; ``NotFound`` for a bad or expired token, or a file no longer there
    (or no longer inside its registered folder)."""
    signer = signing.TimestampSigner(salt=_FILE_TOKEN_SALT)
    not_found = NotFound("no such object, or the link has expired")
    try:
        signed = decrypt_secret(token)
        payload = signer.unsign_object(signed)  # checks the signature: max_age is ours
        payload = signer.unsign_object(signed, max_age=int(payload["max_age"]))
        key, folder = str(payload["path"]), str(payload["folder"])
    except (signing.BadSignature, SecretDecryptionError, KeyError, TypeError, ValueError):
        raise not_found from None
    root = storage_root()
    path = root / key
    if not path.resolve().is_relative_to((root / folder).resolve()) or not path.resolve().is_relative_to(root):
        raise not_found
    try:
        return path.open("rb"), path.name
    except OSError:
        raise not_found from None
