"""The ``Groundwork-Signature`` header: ``t=<unix seconds>,v1=<hex HMAC-SHA256>``.

Each ``v1`` is the HMAC-SHA256 of ``"<t>.<raw body>"`` keyed with a secret string's UTF-8
bytes (the secret exactly as shown to the requester, prefix included); while a secret rotates,
the header carries one ``v1`` per live secret, the newest first. Receivers verify as
docs/webhooks.md shows, rejecting timestamps more than 5 minutes away from their clock.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets as random_secrets

SIGNATURE_HEADER = "Groundwork-Signature"
SECRET_PREFIX = "whsec_"


def signature(body: bytes, secret: str, timestamp: int) -> str:
    """The hex ``v1`` value of ``body`` at ``timestamp`` under ``secret``."""
    return hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(body: bytes, secrets: list[str], timestamp: int) -> str:
    """The header value signing ``body`` at ``timestamp`` with each of ``secrets`` (at least one)."""
    if not secrets:
        raise ValueError("at least one secret is needed to sign")
    return ",".join([f"t={timestamp}", *(f"v1={signature(body, secret, timestamp)}" for secret in secrets)])


def new_secret() -> str:
    """A fresh signing secret (``whsec_`` and 43 URL-safe characters: 256 random bits)."""
    return SECRET_PREFIX + random_secrets.token_urlsafe(32)
