"""Registering the storage an organization may read and write (an operator's act)."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from marketplace.encryption import encrypt_secret
from marketplace.errors import InvalidInput
from marketplace.locking import locked_alone
from marketplace.models import Organization

from ..models import StorageLocation
from ..storage import parse_storage_uri, prepare_registered_folder

MAX_ACCESS_KEY_ID_CHARS = 128  # StorageLocation.access_key_id
MAX_SECRET_ACCESS_KEY_CHARS = 1024


def normalise_storage_prefix(uri_prefix: str, *, field: str = "uri_prefix") -> str:
    """The canonical form of a prefix being registered: a folder (``s3://b/pre`` →
    ``s3://b/pre/``), or a whole bucket (``s3://b/``); a ``file://`` folder inside the storage
    root, never the root itself. ``InvalidInput`` for ``field`` otherwise."""
    prefix = parse_storage_uri(uri_prefix, field=field).as_folder()
    if prefix.scheme == "file" and not prefix.key:
        raise InvalidInput.for_field(field, "must name a folder inside the storage root, not the root itself")
    return str(prefix)


def _check_credentials(access_key_id: str, secret_access_key: str) -> None:
    if bool(access_key_id) != bool(secret_access_key):
        field = "secret_access_key" if access_key_id else "access_key_id"
        raise InvalidInput.for_field(field, "give both the access key id and the secret access key, or neither")
    if len(access_key_id) > MAX_ACCESS_KEY_ID_CHARS or not access_key_id.isprintable():
        raise InvalidInput.for_field("access_key_id", f"must be at most {MAX_ACCESS_KEY_ID_CHARS} printable characters")
    if len(secret_access_key) > MAX_SECRET_ACCESS_KEY_CHARS or not secret_access_key.isprintable():
        raise InvalidInput.for_field(
            "secret_access_key", f"must be at most {MAX_SECRET_ACCESS_KEY_CHARS} printable characters"
        )


def storage_register(
    *, organization: Organization, uri_prefix: str, access_key_id: str = "", secret_access_key: str = ""
) -> StorageLocation:
    """Let ``organization`` read and write under ``uri_prefix``, with its own S3 credentials
    (both keys) or the server's (neither). Idempotent on (organization, normalised prefix): a
    repeat replaces the credentials, so a repeat without keys goes back to the server's. The
    secret is stored encrypted (``marketplace.encryption``). A ``file://`` folder is created."""
    prefix = normalise_storage_prefix(uri_prefix)
    _check_credentials(access_key_id, secret_access_key)
    credentials = {
        "access_key_id": access_key_id,
        "secret_access_key_encrypted": encrypt_secret(secret_access_key) if secret_access_key else "",
    }
    prepare_registered_folder(parse_storage_uri(prefix, field="uri_prefix"))
    try:
        with transaction.atomic():
            location, _ = StorageLocation.objects.update_or_create(
                organization=organization, uri_prefix=prefix, defaults=credentials
            )
    except IntegrityError:
        # A concurrent first registration of the same prefix won the insert: update that row.
        with transaction.atomic():
            location = locked_alone(StorageLocation.objects).get(organization=organization, uri_prefix=prefix)
            for name, value in credentials.items():
                setattr(location, name, value)
            location.save(update_fields=list(credentials))
    return location
