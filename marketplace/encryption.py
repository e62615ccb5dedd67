"""Encryption of secrets the server must read back: organizations' own S3 secret keys
(``labeling``) and the AWS secret access keys of requester API keys, which the server needs to
recompute Signature Version 4 (``aws.sigv4``).

Fernet (AES-128-CBC with HMAC-SHA256) with a key derived from ``settings.FIELD_ENCRYPTION_KEY``
(which falls back to ``SECRET_KEY``, DESIGN.md "Security"). Keys listed in
``settings.FIELD_ENCRYPTION_KEY_FALLBACKS`` still decrypt, so the key can be rotated: set the new
key, list the old one as a fallback, re-save the secrets, then drop the fallback.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

# Keeps the derived Fernet key distinct from any other use of the same SECRET_KEY. The context
# still names labeling, where this module began: changing it would orphan every stored secret.
_DERIVATION_CONTEXT = b"groundwork.labeling.secrets.v1\x00"


class SecretDecryptionError(ValueError):
    """The ciphertext was not made with the current key or any fallback key (or is damaged)."""


def _fernet_key(passphrase: str) -> bytes:
    digest = hashlib.sha256(_DERIVATION_CONTEXT + passphrase.encode()).digest()
    return base64.urlsafe_b64encode(digest)


def _fernet() -> MultiFernet:
    primary = settings.FIELD_ENCRYPTION_KEY or settings.SECRET_KEY
    fallbacks = getattr(settings, "FIELD_ENCRYPTION_KEY_FALLBACKS", [])
    return MultiFernet([Fernet(_fernet_key(key)) for key in [primary, *fallbacks]])


def encrypt_secret(plain: str) -> str:
    """The ciphertext of ``plain`` as ASCII text (a Fernet token); a fresh IV every call."""
    return _fernet().encrypt(plain.encode()).decode("ascii")


def decrypt_secret(token: str) -> str:
    """The plain text of a value made by :func:`encrypt_secret`; ``SecretDecryptionError`` when
    no configured key opens it."""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeError) as exc:
        raise SecretDecryptionError(
            "the stored secret cannot be decrypted: FIELD_ENCRYPTION_KEY (or SECRET_KEY) changed"
        ) from exc
