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


def new_secret(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def display_prefix(secret: str) -> str:
    """The first characters of a secret, safe to show in lists to tell keys apart."""
    return secret[:12]
