"""Bearer secrets: generated with ``secrets``, stored as SHA-256, compared by hash lookup.

A SHA-256 is enough here (no slow hash): the secrets carry 256 bits of randomness, so there is
nothing to brute-force, and a unique index on the hash makes authentication one lookup.
"""

from __future__ import annotations

import hashlib
import secrets

REQUESTER_KEY_PREFIX = "gwr_"
WORKER_TOKEN_PREFIX = "gww_"
WS_TICKET_PREFIX = "gwt_"
# AWS access key ids are 20 characters of A-Z and 2-7 (AWS's own start AKIA); ours start GW so
# a reader tells them apart from real AWS keys.
AWS_ACCESS_KEY_ID_PREFIX = "GW"
_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def new_secret(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def display_prefix(secret: str) -> str:
    """The first characters of a secret, safe to show in lists to tell keys apart."""
    return secret[:12]


def new_aws_key_pair() -> tuple[str, str]:
    """An AWS-style pair: a 20-character access key id (``GW`` and 18 base-32 characters, 90
    random bits, only to name the key) and a 40-character secret access key (240 random bits,
    the alphabet of AWS's secrets)."""
    access_key_id = AWS_ACCESS_KEY_ID_PREFIX + "".join(secrets.choice(_BASE32) for _ in range(18))
    secret_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    secret_access_key = "".join(secrets.choice(secret_alphabet) for _ in range(40))
    return access_key_id, secret_access_key
