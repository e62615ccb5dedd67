"""AWS Signature Version 4 verification: which API key signed a request, if any.

The server recomputes the signature from the canonical request (method, path, query, the signed
headers, the SHA-256 of the body) with the key's secret access key, which it stores encrypted
(``marketplace.encryption``) for that reason. Refusals use the codes AWS answers for the same
reason, so botocore raises them as ``ClientError`` with familiar codes:

- no ``Authorization`` header: ``MissingAuthenticationTokenException``;
- a malformed one, or no ``X-Amz-Date``: ``IncompleteSignatureException``;
- an unknown access key id, or one of a revoked key or deactivated organization (the two are
  indistinguishable): ``UnrecognizedClientException``;
- a credential scoped to another service, a date more than 15 minutes off the server's clock,
  or a signature that does not match: ``InvalidSignatureException``.

Any region name is accepted; the scope's service must be ``mturk-requester`` or ``sagemaker``
(the one the ``X-Amz-Target`` belongs to). Query-string (presigned) signatures are not taken.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, quote

from django.http import HttpRequest

from marketplace.encryption import SecretDecryptionError, decrypt_secret
from marketplace.models import ApiKey, Organization

from .errors import AuthenticationError

logger = logging.getLogger(__name__)

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_CLOCK_SKEW = timedelta(minutes=15)
_AMZ_DATE = "%Y%m%dT%H%M%SZ"
_AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<credential>[^,\s]+),\s*"
    r"SignedHeaders=(?P<signed_headers>[^,\s]+),\s*Signature=(?P<signature>[0-9a-f]{64})\s*$"
)


def _refuse(type_name: str, message: str) -> AuthenticationError:
    return AuthenticationError(message, type_name=type_name)


def _header(request: HttpRequest, name: str) -> str | None:
    """A request header by its lower-case name, as the client sent it."""
    if name in ("content-type", "content-length"):
        key = name.upper().replace("-", "_")
    else:
        key = "HTTP_" + name.upper().replace("-", "_")
    return request.META.get(key)


def _canonical_query(query_string: str) -> str:
    pairs = parse_qsl(query_string, keep_blank_values=True)
    return "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(pairs))


def _canonical_request(request: HttpRequest, body: bytes, signed_headers: list[str]) -> str:
    headers = []
    for name in signed_headers:
        value = _header(request, name)
        if value is None:
            raise _refuse("IncompleteSignatureException", f"the signed header {name!r} is missing from the request")
        headers.append(f"{name}:{' '.join(value.split())}\n")
    return "\n".join(
        [
            request.method or "POST",
            quote(request.path, safe="/~"),
            _canonical_query(request.META.get("QUERY_STRING", "")),
            "".join(headers),
            ";".join(signed_headers),
            hashlib.sha256(body).hexdigest(),
        ]
    )


def _signing_key(secret_access_key: str, date: str, region: str, service: str) -> bytes:
    key = ("AWS4" + secret_access_key).encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def _active_key(access_key_id: str) -> ApiKey | None:
    return (
        ApiKey.objects.select_related("organization")
        .filter(
            aws_access_key_id=access_key_id,
            revoked_at__isnull=True,
            organization__is_active=True,
            organization__kind=Organization.Kind.REQUESTER,
        )
        .first()
    )


@dataclass(frozen=True)
class Signer:
    """Who signed a request, and for which region (ARNs in answers name it)."""

    api_key: ApiKey
    region: str


def verify_signature(request: HttpRequest, body: bytes, *, signing_name: str, now: datetime | None = None) -> Signer:
    """The API key that signed ``request`` for ``signing_name``; ``AuthenticationError`` otherwise
    (see the module docstring for each refusal)."""
    authorization = _header(request, "authorization")
    if not authorization:
        raise _refuse(
            "MissingAuthenticationTokenException",
            "Missing Authentication Token: sign the request with Signature Version 4 (an AWS key pair of your API key)",
        )
    match = _AUTHORIZATION.match(authorization)
    if match is None:
        raise _refuse(
            "IncompleteSignatureException",
            f"the Authorization header must be '{ALGORITHM} Credential=..., SignedHeaders=..., Signature=...'",
        )
    scope = match["credential"].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request":
        raise _refuse(
            "IncompleteSignatureException", "the Credential must be <key id>/<date>/<region>/<service>/aws4_request"
        )
    access_key_id, date, region, service, _ = scope
    if service != signing_name:
        raise _refuse("InvalidSignatureException", f"Credential should be scoped to correct service: '{signing_name}'.")
    amz_date = _header(request, "x-amz-date")
    try:
        signed_at = datetime.strptime(amz_date or "", _AMZ_DATE).replace(tzinfo=UTC)
    except ValueError:
        raise _refuse("IncompleteSignatureException", "X-Amz-Date must be given as YYYYMMDDTHHMMSSZ") from None
    if date != signed_at.strftime("%Y%m%d"):
        raise _refuse("InvalidSignatureException", "the date of the Credential scope does not match X-Amz-Date")
    now = now or datetime.now(UTC)
    if abs(now - signed_at) > MAX_CLOCK_SKEW:
        raise _refuse(
            "InvalidSignatureException",
            f"Signature expired: {amz_date} is more than 15 minutes away from the server's time "
            f"{now.strftime(_AMZ_DATE)}; check the client's clock",
        )
    signed_headers = match["signed_headers"].split(";")
    if "host" not in signed_headers or signed_headers != sorted(signed_headers):
        raise _refuse("IncompleteSignatureException", "SignedHeaders must be sorted and include host")
    api_key = _active_key(access_key_id)
    if api_key is None:
        raise _refuse("UnrecognizedClientException", "The security token included in the request is invalid.")
    try:
        secret_access_key = decrypt_secret(api_key.aws_secret_access_key_encrypted)
    except SecretDecryptionError:
        # The server's FIELD_ENCRYPTION_KEY changed: the pair cannot be checked, so it is refused
        # like an unknown one, and the operator is told why.
        logger.error("API key %s: its AWS secret cannot be decrypted (FIELD_ENCRYPTION_KEY changed?)", api_key.pk)
        raise _refuse("UnrecognizedClientException", "The security token included in the request is invalid.") from None
    canonical = _canonical_request(request, body, signed_headers)
    string_to_sign = "\n".join(
        [ALGORITHM, amz_date or "", "/".join(scope[1:]), hashlib.sha256(canonical.encode()).hexdigest()]
    )
    expected = hmac.new(
        _signing_key(secret_access_key, date, region, service), string_to_sign.encode(), hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(expected, match["signature"]):
        logger.debug("SigV4 mismatch for %s; the canonical request:\n%s", access_key_id, canonical)
        raise _refuse(
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method.",
        )
    return Signer(api_key=api_key, region=region)
