"""Access: the organization's registered storage locations, matching a URI to the most specific
one, and the handles (:func:`access_storage`) and predicates (:func:`storage_checker`) built on
them. Builds the backend handles, so it imports ``s3`` and ``files``."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from marketplace.errors import InvalidInput
from marketplace.models import Organization

from ..models import StorageLocation
from .errors import StorageUnavailable, _not_allowed
from .files import _FileHandle
from .handles import StorageLocationHandle
from .s3 import _S3Handle
from .uris import StorageURI, _stays_in_folder, parse_storage_uri, storage_root


def _registered_prefix(location: StorageLocation) -> StorageURI | None:
    """The registration as a folder; None for a row that no longer parses (a storage root moved)."""
    try:
        return parse_storage_uri(location.uri_prefix, field="uri_prefix").as_folder()
    except InvalidInput:
        return None


def _match(
    target: StorageURI, registrations: Iterable[tuple[StorageLocation, StorageURI]]
) -> tuple[StorageLocation, StorageURI, bool] | None:
    """The most specific registration covering ``target`` and whether ``target`` may only be
    used as a folder (it names the registered folder without its trailing slash)."""
    best: tuple[StorageLocation, StorageURI, bool] | None = None
    for location, prefix in registrations:
        if (prefix.scheme, prefix.bucket) != (target.scheme, target.bucket):
            continue
        if target.key.startswith(prefix.key):
            folder_only = False
        elif f"{target.key}/" == prefix.key:
            folder_only = True
        else:
            continue
        if not _stays_in_folder(target, prefix):
            continue
        if best is None or len(prefix.key) > len(best[1].key):
            best = (location, prefix, folder_only)
    return best


def _registrations(organization) -> list[tuple[StorageLocation, StorageURI]]:
    found = []
    for location in StorageLocation.objects.filter(organization=organization).order_by("pk"):
        prefix = _registered_prefix(location)
        if prefix is not None:
            found.append((location, prefix))
    return found


def access_storage(organization: Organization | int, uri: str, *, field: str) -> StorageLocationHandle:
    """A handle on ``uri`` for ``organization`` (or its id): ``InvalidInput`` when the URI is malformed,
    ``Forbidden(code="storage_not_allowed")`` when no registration of the organization covers it.
    Only the database is read here; no storage call is made.

    A registered prefix is a folder: ``s3://b/pre`` (stored as ``s3://b/pre/``) covers
    ``s3://b/pre/x`` but not ``s3://b/prefix2/x``; ``s3://b/`` covers the whole bucket. The folder
    itself named without its slash (``s3://b/pre``) is accepted as a folder: its children can be
    used, the object of that name cannot.
    """
    target = parse_storage_uri(uri, field=field)
    match = _match(target, _registrations(organization))
    if match is None:
        raise _not_allowed(uri, field)
    location, prefix, folder_only = match
    return _make_handle(location=location, target=target, registered=prefix, field=field, folder_only=folder_only)


def storage_checker(organization) -> Callable[[str], bool]:
    """A predicate telling whether a URI lies in storage registered for ``organization``
    (malformed URIs: False). Reads the registrations once: for checking many URIs, such as
    every ``source-ref`` of a manifest."""
    registrations = _registrations(organization)

    def covers(uri: str) -> bool:
        try:
            target = parse_storage_uri(uri, field="uri")
        except InvalidInput:
            return False
        match = _match(target, registrations)
        return match is not None and not match[2]

    return covers


def storage_reader(organization, *, field: str) -> Callable[[str], StorageLocationHandle]:
    """``access_storage`` for many URIs of one organization, reading its registrations once (the
    same errors, per URI). The handles it returns touch no database, so they may be used from
    worker threads: resolve them first, on the caller's thread."""
    registrations = _registrations(organization)

    def handle(uri: str) -> StorageLocationHandle:
        target = parse_storage_uri(uri, field=field)
        match = _match(target, registrations)
        if match is None:
            raise _not_allowed(uri, field)
        location, prefix, folder_only = match
        return _make_handle(location=location, target=target, registered=prefix, field=field, folder_only=folder_only)

    return handle


def prepare_registered_folder(prefix: StorageURI) -> None:
    """Create a ``file://`` folder being registered (nothing to do for S3: buckets are the
    operator's)."""
    if prefix.scheme == "file":
        try:
            (storage_root() / prefix.key).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageUnavailable(f"{prefix}: cannot create the folder ({exc.strerror})") from None


def _make_handle(
    *, location: StorageLocation, target: StorageURI, registered: StorageURI, field: str, folder_only: bool
) -> StorageLocationHandle:
    handle_class = _S3Handle if target.scheme == "s3" else _FileHandle
    return handle_class(location=location, target=target, registered=registered, field=field, folder_only=folder_only)
